"""URLs that differ in one segment, reversed once: a page with hundreds of links (the case
page's records, the patient list's rows, a report's counts) spent a third of its CPU in
reverse() when it was called per link."""

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

# Stands in the segment while the route is reversed: accepted by the registry's converters
# (int, registry ID, path) and found nowhere else in a URL.
_SEGMENT = "987654321"


@lru_cache(maxsize=512)
def _around_segment(name: str, args: tuple, kwargs: tuple, prefix: str, urlconf) -> tuple:
    """The route's URL before and after its varying segment. `prefix` and `urlconf` (the
    request's) only key the cache."""
    url = reverse(name, args=args or None, kwargs=dict(kwargs) or None, urlconf=urlconf)
    before, found, after = url.rpartition(_SEGMENT)
    if not found:
        raise ValueError(f"{name}: the varying segment is not in {url}.")
    return before, after


def link_maker(name: str, *, args=(), kwargs=None, segment: str):
    """A function of one value giving the route's URL with that value as the argument named
    `segment` (a kwarg) or, if `segment` is "", as the last of `args`; the value quoted as
    reverse() quotes a path."""
    if segment:
        args, kwargs = (), {**(kwargs or {}), segment: _SEGMENT}
    else:
        args = (*args, _SEGMENT)
    before, after = _around_segment(
        name,
        tuple(args),
        tuple(sorted((kwargs or {}).items())),
        get_script_prefix(),
        get_urlconf(),
    )
    return lambda value: f"{before}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{after}"
