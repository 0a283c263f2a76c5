"""Security headers that Django does not set itself."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send the CONTENT_SECURITY_POLICY header on every response (pages, API, files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
