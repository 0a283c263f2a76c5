"""`{% shared_fragment key %}…{% endshared_fragment %}`: a part of a page rendered once per
process for `key`, then shared by every request with that key.

The view builds the key from everything the part shows (a stored report result's key and
the query; a filter form's values and choices), so two requests with one key render the
same HTML: nothing of the user (name, role-dependent links, CSRF token) may go inside.
Without a key the part is rendered every time.
"""

import hashlib

from django import template
from django.core.cache import cache

register = template.Library()

FRAGMENT_SECONDS = 60 * 60


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist, self.key = nodelist, key

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        cache_key = "fragment:" + hashlib.sha256(key.encode()).hexdigest()
        html = cache.get(cache_key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(cache_key, html, FRAGMENT_SECONDS)
        return html


@register.tag
def shared_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("shared_fragment takes one argument: the key.")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, parser.compile_filter(bits[1]))
