"""Error pages: JSON for the API, HTML for people."""

from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """An API client asking for a URL that does not exist gets JSON, like every API error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
