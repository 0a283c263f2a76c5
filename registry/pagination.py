"""Page numbers whose cost does not grow with the page's depth.

A deep page (OFFSET 5000) of the patient list used to fetch and join 5,025 whole rows to
keep 25: OFFSET now walks only the keys, in the list's order, and the page's rows are
read by key in the same query. The pages, their numbers and their order stay the same.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework import pagination


class KeyFirstPaginator(Paginator):
    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet) and isinstance(self.object_list, QuerySet):
            object_list = self.object_list.filter(pk__in=object_list.values("pk"))
        return super()._get_page(object_list, number, paginator)


class PageNumberPagination(pagination.PageNumberPagination):
    """The API's lists: `?page=` as before, on the key-first paginator."""

    django_paginator_class = KeyFirstPaginator
