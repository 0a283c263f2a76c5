"""Page numbers whose cost does not grow with the page's depth, nor the count with N.

A deep page (OFFSET 5000) of the patient list used to fetch and join 5,025 whole rows to
keep 25: OFFSET now walks only the keys, in the list's order, and the page's rows are
read by key in the same query. The pages, their numbers and their order stay the same.

The number of matching rows is counted once per (query, data version): an exact count
of a third of 100,000 patients cost 40-50 ms of every list request, where the version is
one small query. Any write, archive, move or change of a centre's members makes a new
version (`selectors.data_version`), so a count is never stale; the user's roles and
grants are in the query itself.
"""

import hashlib
import json

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination

from .selectors import data_version

COUNT_SECONDS = 15 * 60


class KeyFirstPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        try:
            sql, params = self.object_list.query.sql_with_params()
        except EmptyResultSet:  # a user who sees no centre: nothing to ask
            return 0
        key = json.dumps([sql, params, data_version()], default=str)
        key = "list-count:" + hashlib.sha256(key.encode()).hexdigest()
        count = cache.get(key)
        if count is None:
            count = super().count
            cache.set(key, count, COUNT_SECONDS)
        return count

    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet) and isinstance(self.object_list, QuerySet):
            object_list = self.object_list.filter(pk__in=object_list.values("pk"))
        return super()._get_page(object_list, number, paginator)


class PageNumberPagination(pagination.PageNumberPagination):
    """The API's lists: `?page=` as before, on the key-first paginator."""

    django_paginator_class = KeyFirstPaginator
