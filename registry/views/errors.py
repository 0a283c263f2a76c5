"""Error pages: JSON for the API, the registry's own pages for people, also with DEBUG on.

With DEBUG on, Django answers a 404 with its technical page (which lists every URL
pattern) and a crash with a traceback; the demo runs with DEBUG on, so people would see
them. The traceback still goes to the log.
"""

import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger("django.request")


def page_not_found(request, exception):
    """An API client asking for a URL that does not exist gets JSON, like every API error."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Not found."}, status=404)
    else:
        response = defaults.page_not_found(request, exception)
    response.registry_page = True
    return response


def server_error(request):
    """The registry's 500 page, rendered without the request: the database may be down."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())


class ErrorPagesMiddleware:
    """The registry's 404 and 500 pages in place of Django's technical ones under DEBUG."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "registry_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return page_not_found(request, None)
        return response

    def process_exception(self, request, exception):
        handled_by_django = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
        if not settings.DEBUG or isinstance(exception, handled_by_django):
            return None
        # What Django does for a crash: the signal (the test client re-raises on it) and
        # the logged traceback; only the page differs.
        signals.got_request_exception.send(sender=None, request=request)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)
