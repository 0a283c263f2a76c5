"""The case page's dated timeline: every record of a patient, in the clinic's words."""

from dataclasses import dataclass
from datetime import date

from .domain.response import CrEpisode
from .models import KIND_BY_MODEL


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # CSS class: diagnosis, biology, line, response, cr, progression, ...
    title: str
    detail: str = ""
    slug: str = ""  # record type, for the edit link
    pk: int | None = None


def _percent(value: int | None) -> str:
    return "–" if value is None else f"{value}%"


def _entry(record, on, kind, title, detail="") -> TimelineEntry:
    return TimelineEntry(on, kind, title, detail, KIND_BY_MODEL[type(record)].slug, record.pk)


def build_timeline(
    patient, records: dict[str, list], episodes: list[CrEpisode]
) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            patient.primary_diagnosis_date, "diagnosis", "Primary breast cancer diagnosis"
        ),
        TimelineEntry(
            patient.mbc_diagnosis_date,
            "diagnosis",
            "Metastatic disease diagnosed",
            patient.get_presentation_display(),
        ),
    ]
    for a in records["biology"]:
        entries.append(
            _entry(
                a,
                a.assessed_on,
                "biology",
                f"Biology: {a.subtype.value}",
                f"{a.get_specimen_display()}; ER {_percent(a.er_percent)}, "
                f"PR {_percent(a.pr_percent)}, HER2 {a.her2_status.value}",
            )
        )
    for s in records["sites"]:
        entries.append(
            _entry(
                s,
                s.detected_on,
                "site",
                f"{s.get_category_display()} metastasis",
                s.get_confirmation_display(),
            )
        )
    for line in records["lines"]:
        entries.append(
            _entry(
                line,
                line.start_date,
                "line",
                f"Line {line.number} starts",
                f"{line.get_regimen_display()}: {line.agents}",
            )
        )
        if line.maintenance_start_date:
            entries.append(
                _entry(
                    line,
                    line.maintenance_start_date,
                    "line",
                    f"Line {line.number}: maintenance starts",
                )
            )
        if line.end_date:
            entries.append(
                _entry(
                    line,
                    line.end_date,
                    "line",
                    f"Line {line.number} ends",
                    line.get_end_reason_display(),
                )
            )
    episode_starts = {e.first_cr_on for e in episodes}
    for r in records["responses"]:
        kind = "cr" if r.category == "CR" else "response"
        title = f"Response {r.category_abbreviation} (line {r.line.number})"
        if r.category == "CR" and r.assessed_on in episode_starts:
            title += " – start of a CR episode"
        entries.append(_entry(r, r.assessed_on, kind, title, r.get_method_display()))
    for p in records["progressions"]:
        detail = p.get_locoregional_site_display() if p.locoregional_site else ""
        if p.is_locoregional_oligoprogression:
            detail += " – oligoprogression (other sites kept their best response)"
        entries.append(
            _entry(p, p.occurred_on, "progression", f"{p.get_kind_display()} progression", detail)
        )
    for s in records["surgeries"]:
        entries.append(
            _entry(
                s,
                s.operated_on,
                "local",
                "Surgery: " + ", ".join(s.procedure_labels()),
                s.get_intent_display(),
            )
        )
    for rt in records["radiotherapy"]:
        entries.append(
            _entry(
                rt,
                rt.started_on,
                "local",
                f"Radiotherapy: {rt.get_site_display()}",
                f"{rt.dose}, {rt.get_intent_display().lower()}",
            )
        )
    for d in records["discussions"]:
        status = (
            "awaiting decision" if d.awaiting_decision else d.get_recommendation_category_display()
        )
        entries.append(
            _entry(d, d.meeting.held_on, "board", "Tumour board", f"{d.question} → {status}")
        )
    for f in records["follow-up"]:
        if f.death_date:
            entries.append(_entry(f, f.death_date, "death", "Death"))
        else:
            entries.append(
                _entry(
                    f, f.contact_date, "follow-up", f"Follow-up: {f.get_disease_status_display()}"
                )
            )
    entries.sort(key=lambda e: (e.on, e.kind != "diagnosis"))
    return entries
