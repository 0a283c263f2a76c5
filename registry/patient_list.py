"""What a row of the patient list shows, read once per patient into plain values: the
template then looks up dictionary keys, not model attributes through related objects."""

from .display_dates import day
from .links import link_maker


def patient_rows(patients, *, identifying: bool) -> list[dict]:
    """The page's patients as rows; names and record numbers only for those who see them."""
    detail_url = link_maker("registry:patient-detail", segment="")
    rows = []
    for patient in patients:
        summary = getattr(patient, "summary", None)  # a missing summary shows as blanks
        row = {
            "registry_id": patient.registry_id,
            "url": detail_url(patient.registry_id),
            "is_archived": patient.is_archived,
            "centre": patient.centre.code,
            "age": patient.age_at_mbc_diagnosis,
            "mbc": day(patient.mbc_diagnosis_date),
            "de_novo": patient.presentation == "de_novo",
            "warnings": summary.warning_count if summary else 0,
            "subtype": summary.subtype if summary else "",
            "lines": summary.line_count if summary else "",
            "cr_episodes": summary.cr_episode_count if summary else 0,
            "opd": day(summary.first_locoregional_opd_date) if summary else "",
            "last_contact": day(summary.last_contact) if summary else "",
            "dead": bool(summary) and summary.status_at_last_contact == "dead",
        }
        if identifying:
            row |= {
                "name": f"{patient.family_name}, {patient.given_name}",
                "record_number": patient.record_number,
            }
        rows.append(row)
    return rows
