"""What a patient's rules need to know beyond the record being checked: read once per write.

A record's dates must fall between birth and death, its free text must not name the
patient, a birth date cannot follow a stored record, a death cannot precede one. The
model rules take these facts from a `PatientBounds` handed to them, so `clean()` asks
the database nothing: the services read them with `selectors.patient_bounds`, the
importer computes them from the file and the stored rows together.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PatientBounds:
    birth_date: date | None
    mbc_diagnosis_date: date | None
    family_name: str
    given_name: str
    record_number: str
    # Each follow-up contact that records the death: (the record or its pk, death date).
    deaths: tuple[tuple[object, date], ...] = ()
    # First and last date on any record that must lie between birth and death.
    earliest_record_date: date | None = None
    latest_record_date: date | None = None

    def death_date(self, *, besides=None) -> date | None:
        """The recorded death, leaving out the contact `besides` (the one being checked)."""
        for who, day in self.deaths:
            if besides is not None and (
                who is besides or (besides.pk is not None and who == besides.pk)
            ):
                continue
            return day
        return None
