"""A small REDCap project for the tests: its data dictionary, records in each layout, and
its mapping, built from plain Python values."""

import copy
import csv
import io

import yaml

from registry.interop import redcap

# (name, instrument, type, choices, validation)
FIELDS = [
    ("record_id", "patient", "text", "", ""),
    ("mrn", "patient", "text", "", ""),
    ("surname", "patient", "text", "", ""),
    ("first_name", "patient", "text", "", ""),
    ("dob", "patient", "text", "", "date_dmy"),
    ("primary_dx", "patient", "text", "", "date_ymd"),
    ("mbc_dx", "patient", "text", "", "date_ymd"),
    ("presentation", "patient", "radio", "1, De novo | 2, Recurrent", ""),
    ("histology", "patient", "dropdown", "1, NST | 2, Lobular | 99, Not recorded", ""),
    ("site", "patient", "dropdown", "1, Centre A | 2, Centre B", ""),
    ("line_no", "treatment_line", "text", "", "integer"),
    ("line_regimen", "treatment_line", "dropdown", "1, Chemotherapy | 2, Endocrine + CDK4/6", ""),
    ("line_agents", "treatment_line", "text", "", ""),
    ("line_start", "treatment_line", "text", "", "date_mdy"),
    ("line_end", "treatment_line", "text", "", "date_mdy"),
    ("line_end_reason", "treatment_line", "dropdown", "1, Progression | 2, Toxicity", ""),
    ("resp_line", "response", "text", "", "integer"),
    ("resp_date", "response", "text", "", "datetime_seconds_dmy"),
    ("resp_recist", "response", "radio", "1, CR | 2, PR | 4, PD", ""),
    ("surg_date", "surgery", "text", "", "date_ymd"),
    (
        "surg_proc",
        "surgery",
        "checkbox",
        "1, Lumpectomy | 2, Mastectomy | 4, Axillary dissection",
        "",
    ),
    ("surg_intent", "surgery", "dropdown", "2, Locoregional control | 99, Not recorded", ""),
    ("surg_cont", "surgery", "yesno", "", ""),
    ("fu_date", "follow_up", "text", "", "date_ymd"),
    ("fu_dead", "follow_up", "truefalse", "", ""),
    ("fu_death", "follow_up", "text", "", "date_ymd"),
    ("fu_status", "follow_up", "radio", "1, NED | 2, With disease", ""),
    ("fu_score", "follow_up", "slider", "", ""),
]
HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
]
MAPPING = {
    "format": "mbc-registry-redcap-mapping",
    "version": 1,
    "registry_id": "RC-{record}",
    "centre": "CA",
    "records": {
        "patients": {
            "instrument": "patient",
            "fields": {
                "record_number": "mrn",
                "family_name": "surname",
                "given_name": "first_name",
                "sex": {"value": "F"},
                "birth_date": "dob",
                "primary_diagnosis_date": "primary_dx",
                "mbc_diagnosis_date": "mbc_dx",
                "presentation": {"field": "presentation", "codes": {1: "de_novo", 2: "recurrent"}},
                "histology": {
                    "field": "histology",
                    "codes": {1: "ductal", 2: "lobular", 99: "not_recorded"},
                },
            },
        },
        "treatment_lines": {
            "instrument": "treatment_line",
            "fields": {
                "number": "line_no",
                "regimen": {
                    "field": "line_regimen",
                    "codes": {1: "chemotherapy", 2: "endocrine_cdk46"},
                },
                "agents": "line_agents",
                "start_date": "line_start",
                "end_date": "line_end",
                "end_reason": {
                    "field": "line_end_reason",
                    "codes": {1: "progression", 2: "toxicity"},
                },
            },
        },
        "responses": {
            "instrument": "response",
            "fields": {
                "line_number": "resp_line",
                "assessed_on": "resp_date",
                "category": {"field": "resp_recist", "codes": {1: "CR", 2: "PR", 4: "PD"}},
            },
        },
        "surgeries": {
            "instrument": "surgery",
            "fields": {
                "operated_on": "surg_date",
                "lumpectomy": {"field": "surg_proc", "option": 1},
                "mastectomy": {"field": "surg_proc", "option": 2},
                "axillary_dissection": {"field": "surg_proc", "option": 4},
                "intent": {
                    "field": "surg_intent",
                    "codes": {2: "locoregional_control", 99: "not_recorded"},
                },
                "systemic_line_continued": "surg_cont",
            },
        },
        "follow_up": {
            "instrument": "follow_up",
            "fields": {
                "contact_date": "fu_date",
                "vital_status": {"field": "fu_dead", "codes": {1: "dead", 0: "alive"}},
                "death_date": "fu_death",
                "disease_status": {"field": "fu_status", "codes": {1: "ned", 2: "with_disease"}},
            },
        },
    },
}


def mapping(**changes) -> dict:
    """The test mapping, a deep copy to change."""
    return copy.deepcopy(MAPPING) | changes


def dictionary_csv(fields=FIELDS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for name, form, kind, choices, validation in fields:
        writer.writerow([name, form, "", kind, name.replace("_", " "), choices, "", validation])
    return buffer.getvalue().encode()


def columns(*, events: bool = False, repeating: bool = True) -> list[str]:
    names = ["record_id"]
    if events:
        names.append("redcap_event_name")
    if repeating:
        names += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    form = "patient"
    for name, field_form, kind, choices, _ in FIELDS[1:]:
        if field_form != form:
            names.append(f"{form}_complete")
            form = field_form
        codes = [c.split(",")[0].strip() for c in choices.split("|")] if kind == "checkbox" else []
        names += [f"{name}___{code}" for code in codes] if codes else [name]
    return [*names, f"{form}_complete"]


def records_csv(rows: list[dict], *, events: bool = False, repeating: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns(events=events, repeating=repeating), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


PATIENT = {
    "mrn": "H-1",
    "surname": "Rossi",
    "first_name": "Anna",
    "dob": "01/05/1960",
    "primary_dx": "2019-02-01",
    "mbc_dx": "2019-02-10",
    "presentation": "1",
    "histology": "1",
    "site": "1",
}
LINES = [
    {
        "line_no": "1",
        "line_regimen": "1",
        "line_agents": "paclitaxel",
        "line_start": "03/15/2019",
        "line_end": "01/10/2020",
        "line_end_reason": "1",
    },
    {
        "line_no": "2",
        "line_regimen": "2",
        "line_agents": "letrozole + palbociclib",
        "line_start": "01/20/2020",
    },
]
RESPONSES = [
    {"resp_line": "1", "resp_date": "15/06/2019 10:30:00", "resp_recist": "2"},
    {"resp_line": "1", "resp_date": "15/09/2019 09:00:00", "resp_recist": "1"},
    {"resp_line": "2", "resp_date": "20/04/2020 11:15:00", "resp_recist": "2"},
]
SURGERY = {
    "surg_date": "2019-11-05",
    "surg_proc___1": "0",
    "surg_proc___2": "1",
    "surg_proc___4": "1",
    "surg_intent": "2",
    "surg_cont": "1",
}
FOLLOW_UP = {"fu_date": "2020-06-01", "fu_dead": "0", "fu_status": "2"}


def repeating_rows(record: str = "1", **patient) -> list[dict]:
    """One patient: the patient and follow-up on the record's row, the rest repeating."""
    rows = [{"record_id": record, **PATIENT, **FOLLOW_UP, **patient}]
    for form, instances in (
        ("treatment_line", LINES),
        ("response", RESPONSES),
        ("surgery", [SURGERY]),
    ):
        for number, values in enumerate(instances, 1):
            rows.append(
                {
                    "record_id": record,
                    "redcap_repeat_instrument": form,
                    "redcap_repeat_instance": str(number),
                    **values,
                }
            )
    return rows


def project(
    records: bytes,
    the_mapping: dict | None = None,
    *,
    mapping_name="mapping.yaml",
    dictionary: bytes | None = None,
) -> redcap.ProjectFiles:
    text = yaml.safe_dump(the_mapping or MAPPING, sort_keys=False).encode()
    return redcap.ProjectFiles(
        dictionary=("dictionary.csv", dictionary or dictionary_csv()),
        records=("records.csv", records),
        mapping=(mapping_name, text),
    )
