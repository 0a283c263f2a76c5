"""Read an exported mCODE bundle back into the registry's values, through fhir.resources.

The bundle is parsed by the same models that check it on export; each resource is then read
as the export wrote it (`codes.py` maps codes both ways), and the records are keyed like the
registry's own (registry ID, then each kind's natural key) so a test can compare them with
the database.
"""

import json
from collections import defaultdict

from registry.interop.fhir import codes, parse_bundle
from registry.interop.fhir.codes import Extension, Profile


def _extension(resource: dict, url: str) -> dict | None:
    return next((e for e in resource.get("extension", []) if e["url"] == url), None)


def _registry_id(resource: dict, patients: dict) -> str:
    subject = resource.get("subject") or resource.get("patient")
    return patients[subject["reference"]]


def read_cases(resources: list[dict], full_urls: dict) -> dict[str, dict]:
    """{registry ID: what the bundle says of the case}, in the registry's terms."""
    patients = {
        full_urls[id(r)]: r["identifier"][0]["value"]
        for r in resources
        if r["resourceType"] == "Patient"
    }
    lines_by_url = {}
    cases: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for resource in resources:
        profile = resource.get("meta", {}).get("profile", [None])[0]
        if profile == Profile.CANCER_PATIENT:
            cases[resource["identifier"][0]["value"]]["patient"] = _patient(resource)
        elif profile == Profile.MEDICATION_REQUEST:
            lines_by_url[full_urls[id(resource)]] = int(resource["identifier"][0]["value"])
    for resource in resources:
        profile = resource.get("meta", {}).get("profile", [None])[0]
        reader = READERS.get(profile)
        if reader is None:
            continue
        key, record = reader(resource, lines_by_url)
        cases[_registry_id(resource, patients)][key].append(record)
    return {registry_id: dict(case) for registry_id, case in cases.items()}


def _patient(resource: dict) -> dict:
    patient = {
        "registry_id": resource["identifier"][0]["value"],
        "sex": {"female": "F", "male": "M"}[resource["gender"]],
        "death_date": resource.get("deceasedDateTime"),
    }
    record_number = [i for i in resource["identifier"] if i.get("type")]
    if record_number:
        name = resource["name"][0]
        patient |= {
            "record_number": record_number[0]["value"],
            "centre": record_number[0]["system"].rsplit(":", 1)[1],
            "family_name": name["family"],
            "given_name": name["given"][0],
            "birth_date": resource["birthDate"],
        }
    else:
        patient["age_at_mbc_diagnosis"] = _extension(resource, codes.AGE_AT_MBC_DIAGNOSIS)[
            "valueAge"
        ]["value"]
    return patient


def _primary(resource: dict, lines) -> tuple[str, dict]:
    histology = _extension(resource, Extension.HISTOLOGY)["valueCodeableConcept"]
    presentation = _extension(resource, codes.PRESENTATION)["valueCodeableConcept"]
    return "primary", {
        "primary_diagnosis_date": resource["onsetDateTime"],
        "mbc_diagnosis_date": _extension(resource, codes.MBC_DIAGNOSIS_DATE)["valueDateTime"],
        "histology": codes.HISTOLOGY.code_of(histology),
        "presentation": presentation["coding"][0]["code"],
    }


def _site(resource: dict, lines) -> tuple[str, dict]:
    evidence = resource.get("evidence")
    confirmation = (
        codes.SITE_CONFIRMATION.code_of(evidence[0]["code"][0]) if evidence else "not_recorded"
    )
    category = codes.METASTATIC_SITE_BODY.code_of(resource["bodySite"][0])
    assert codes.METASTATIC_SITE_DISORDER.code_of(resource["code"]) == category
    return "metastatic_sites", {
        "category": category,
        "detected_on": resource["onsetDateTime"],
        "confirmation": confirmation,
        "detail": resource.get("note", [{"text": ""}])[0]["text"],
    }


MARKERS = {
    codes.ER_PERCENT.code: "er_percent",
    codes.PR_PERCENT.code: "pr_percent",
    codes.HER2_IHC.code: "her2_ihc",
    codes.HER2_ISH.code: "her2_ish",
}


def _marker(resource: dict, lines) -> tuple[str, dict]:
    field = MARKERS[resource["code"]["coding"][0]["code"]]
    if field in ("er_percent", "pr_percent"):
        value = int(float(resource["valueQuantity"]["value"]))
    elif field == "her2_ihc":
        value = codes.HER2_IHC_SCORE.code_of(resource["valueCodeableConcept"])
    else:
        value = codes.ISH_RESULT.code_of(resource["valueCodeableConcept"])
    return "tumour_markers", {
        "assessed_on": resource["effectiveDateTime"],
        "specimen": resource["specimen"]["identifier"]["value"],
        field: value,
    }


def _line(resource: dict, lines) -> tuple[str, dict]:
    dosage = {
        d["sequence"]: d["timing"]["repeat"]["boundsPeriod"] for d in resource["dosageInstruction"]
    }
    reason = resource.get("statusReason")
    return "treatment_lines", {
        "number": int(resource["identifier"][0]["value"]),
        "regimen": codes.REGIMEN_CATEGORY.code_of(resource["category"][0]),
        "agents": resource["medicationCodeableConcept"]["text"],
        "start_date": dosage[1]["start"],
        "maintenance_start_date": dosage[2]["start"] if 2 in dosage else None,
        "end_date": dosage[max(dosage)].get("end"),
        "end_reason": codes.LINE_END_REASON.code_of(reason) if reason else "",
    }


def _disease_status(resource: dict, lines) -> tuple[str, dict]:
    if "basedOn" in resource:
        method = resource.get("method")
        return "responses", {
            "line": lines[resource["basedOn"][0]["reference"]],
            "assessed_on": resource["effectiveDateTime"],
            "category": codes.RESPONSE.code_of(resource["valueCodeableConcept"]),
            "method": codes.ASSESSMENT_METHOD.code_of(method) if method else "",
        }
    kept = _extension(resource, codes.OTHER_SITES_KEPT_BEST_RESPONSE)
    site = resource.get("bodySite")
    return "progression_events", {
        "occurred_on": resource["effectiveDateTime"],
        "kind": codes.PROGRESSION_KIND.code_of(resource["valueCodeableConcept"]),
        "locoregional_site": codes.LOCOREGIONAL_SITE.code_of(site) if site else "",
        "other_sites_kept_best_response": kept["valueBoolean"] if kept else None,
        "notes": resource.get("note", [{"text": ""}])[0]["text"],
    }


def _intent(resource: dict, mapping) -> str:
    intent = _extension(resource, Extension.PROCEDURE_INTENT)
    return mapping.code_of(intent["valueCodeableConcept"]) if intent else "not_recorded"


def _surgical_procedure(resource: dict, lines) -> tuple[str, dict]:
    continued = _extension(resource, codes.SYSTEMIC_LINE_CONTINUED)
    procedure = codes.SURGICAL_PROCEDURE.code_of(resource["code"])
    return "surgical_procedures", {
        "operated_on": resource["performedDateTime"],
        "procedure": procedure,
        "other_procedure": resource["code"]["text"] if procedure == "other" else "",
        "intent": _intent(resource, codes.SURGERY_INTENT),
        "systemic_line_continued": continued["valueBoolean"] if continued else None,
    }


def _radiotherapy(resource: dict, lines) -> tuple[str, dict]:
    dose = _extension(resource, Extension.DOSE_TO_VOLUME)
    parts = {e["url"]: e for e in dose["extension"]} if dose else {}
    total = parts.get("totalDoseDelivered")
    fractions = parts.get("fractionsDelivered")
    return "radiotherapy", {
        "started_on": resource["performedPeriod"]["start"],
        "site": codes.RADIOTHERAPY_SITE.code_of(resource["bodySite"][0]),
        "intent": _intent(resource, codes.RADIOTHERAPY_INTENT),
        "total_dose_gy": float(total["valueQuantity"]["value"]) / 100 if total else None,
        "fractions": fractions["valueUnsignedInt"] if fractions else None,
    }


READERS = {
    Profile.PRIMARY_CANCER_CONDITION: _primary,
    Profile.SECONDARY_CANCER_CONDITION: _site,
    Profile.TUMOR_MARKER_TEST: _marker,
    Profile.MEDICATION_REQUEST: _line,
    Profile.CANCER_DISEASE_STATUS: _disease_status,
    Profile.SURGICAL_PROCEDURE: _surgical_procedure,
    Profile.RADIOTHERAPY_COURSE_SUMMARY: _radiotherapy,
}


def read_bundle(content: bytes) -> dict[str, dict]:
    """The cases an exported bundle holds, read back through fhir.resources."""
    bundle = parse_bundle(json.loads(content))
    resources, full_urls = [], {}
    for entry in bundle.entry:
        resource = entry.resource.model_dump(mode="json", by_alias=True, exclude_none=True)
        full_urls[id(resource)] = entry.fullUrl
        resources.append(resource)
    return read_cases(resources, full_urls)
