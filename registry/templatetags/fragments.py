"""`{% shared_fragment key [html] %}…{% endshared_fragment %}`: a part of a page rendered
once per process for `key`, then shared by every request with that key.

The view builds the key from everything the part shows (a stored report result's key and
the query; a filter form's values and choices), so two requests with one key render the
same HTML: nothing of the user (name, role-dependent links, CSRF token) may go inside.
Without a key the part is rendered every time. A view that looked the part up already
(`cached_fragment`, to skip reading what only the part shows) passes the HTML it found.
"""

import hashlib

from django import template
from django.core.cache import caches

register = template.Library()

FRAGMENT_SECONDS = 60 * 60


def _cache_key(key: str) -> str:
    return "fragment:" + hashlib.sha256(key.encode()).hexdigest()


def cached_fragment(key: str) -> str | None:
    """The part rendered for `key`, if this process has it."""
    return caches["fragments"].get(_cache_key(key))


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, key, found):
        self.nodelist, self.key, self.found = nodelist, key, found

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        html = self.found.resolve(context) if self.found else None
        if html is None:
            html = cached_fragment(key)
        if html is None:
            html = self.nodelist.render(context)
            caches["fragments"].set(_cache_key(key), html, FRAGMENT_SECONDS)
        return html


@register.tag
def shared_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError("shared_fragment takes the key and the HTML found.")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    found = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    return SharedFragmentNode(nodelist, parser.compile_filter(bits[1]), found)
