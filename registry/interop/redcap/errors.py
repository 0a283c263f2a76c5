"""What a REDCap import reports: errors located in REDCap's own terms."""

from dataclasses import dataclass, field

from registry.exchange import ExchangeFileError, RecordError


class RedcapFileError(ExchangeFileError):
    """One of the project's files cannot be read at all (not its records)."""


@dataclass(frozen=True)
class RedcapError(RecordError):
    """An importer's error with its REDCap coordinates: record, event, instrument, instance,
    field (and the line of the records file), besides the readable `where`."""

    redcap: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Place:
    """Where a value came from in the records export."""

    record: str
    event: str
    instrument: str
    instance: str
    line: int | None

    def describe(self) -> str:
        parts = [f"record {self.record}"]
        if self.event:
            parts.append(f"event {self.event}")
        if self.instrument:
            parts.append(f"instrument {self.instrument}")
        if self.instance:
            parts.append(f"instance {self.instance}")
        text = ", ".join(parts)
        return f"{text} (records line {self.line})" if self.line else text

    def error(self, redcap_field: str, message: str) -> RedcapError:
        return RedcapError(
            self.describe(),
            redcap_field,
            message,
            redcap={
                "record": self.record,
                "event": self.event,
                "instrument": self.instrument,
                "instance": self.instance,
                "field": redcap_field,
                "line": self.line,
            },
        )
