"""Path converters of the report, endpoint and snapshot URLs (pages and API), registered once."""

import re

from django.urls import register_converter

from .endpoint_views import FILES


def closed_list(*choices: str) -> type:
    """A path converter for a closed list of segments: anything else is a 404, not an error."""

    class Converter:
        regex = "|".join(re.escape(choice) for choice in choices)

        def to_python(self, value: str) -> str:
            return value

        def to_url(self, value: str) -> str:
            return value

    return Converter


register_converter(closed_list("csv", "xlsx", "json"), "report_format")
register_converter(closed_list("csv", "xlsx"), "dataset_format")
register_converter(closed_list("png", "svg"), "plot_format")
register_converter(closed_list(*FILES), "endpoint_file")
register_converter(closed_list("csv", "json"), "diff_format")


class SnapshotIdConverter:
    """SNAP-2026-0001: a snapshot's ID, as printed on everything made from it."""

    regex = r"SNAP-[0-9]{4}-[0-9]{4,}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SnapshotIdConverter, "snapshot_id")
