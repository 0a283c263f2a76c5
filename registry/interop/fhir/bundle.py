"""Cases as a FHIR R4 Bundle (type collection) following the mCODE STU3 profiles.

The cases are read by the case exchange's selector (`exchange.export_cases`: one query per
record table whatever the number of patients, the de-identification of 0005 already applied);
everything here is a pure function of those case dictionaries, so the FHIR resources say
exactly what the registry's own export says. Codes come from `codes.py`.

Resource ids are built from the registry ID and each record's natural key (never a database
id), so the same record keeps its id from one export to the next; `fullUrl` is a UUID derived
from that id, and every reference inside the bundle points at a `fullUrl`.
"""

import re
import uuid
from datetime import UTC, datetime

from django.db.models import QuerySet

from registry import exchange
from registry.models import Centre
from registry.models.vocabularies import (
    LineEndReason,
    Presentation,
    ProgressionKind,
    VitalStatus,
)

from . import codes
from .codes import Extension, Profile

# Names the fullUrl UUIDs (uuid5 of "<type>/<id>"): the same resource, the same fullUrl.
FULL_URL_NAMESPACE = uuid.UUID("6f1c2d2e-3f0b-5b8e-9a77-4b1d6d3c2a10")
TUMOUR_MARKERS = (
    # (id part, receptor field, LOINC concept)
    ("er", "er_percent", codes.ER_PERCENT),
    ("pr", "pr_percent", codes.PR_PERCENT),
)
NOT_EXPORTED_ISH = "pending"  # a requested ISH without its result is no test result yet


def full_url(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(FULL_URL_NAMESPACE, f'{resource_type}/{resource_id}')}"


def reference(resource_type: str, resource_id: str) -> dict:
    return {"reference": full_url(resource_type, resource_id)}


def _slug(value: str) -> str:
    """A registry code or date as a piece of a FHIR id ([A-Za-z0-9-.])."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", str(value))


class Ids:
    """The stable id of each resource of one case, from its registry ID and natural keys."""

    def __init__(self, registry_id: str):
        self.patient = registry_id
        self.primary = f"{registry_id}-primary"

    def site(self, category):
        return f"{self.patient}-site-{_slug(category)}"

    def marker(self, marker, assessed_on, specimen):
        return f"{self.patient}-{marker}-{assessed_on}-{_slug(specimen)}"

    def line(self, number):
        return f"{self.patient}-line-{number}"

    def response(self, line_number, assessed_on):
        return f"{self.line(line_number)}-response-{assessed_on}"

    def progression(self, occurred_on, kind):
        return f"{self.patient}-progression-{occurred_on}-{_slug(kind)}"

    def surgery(self, operated_on, procedure):
        return f"{self.patient}-surgery-{operated_on}-{_slug(procedure)}"

    def radiotherapy(self, started_on, site):
        return f"{self.patient}-rt-{started_on}-{_slug(site)}"


def centre_id(code: str) -> str:
    return f"centre-{_slug(code)}"


def _meta(profile: str) -> dict:
    return {"meta": {"profile": [profile]}}


def _extension(url: str, **value) -> dict:
    return {"url": url, **value}


def organization(code: str, name: str) -> dict:
    """The centre: the registry's source of the case and the requester of its treatments."""
    return {
        "resourceType": "Organization",
        "id": centre_id(code),
        "identifier": [{"system": codes.CENTRE_SYSTEM, "value": code}],
        "active": True,
        "name": name,
    }


def patient_resource(case: dict, ids: Ids, *, deidentified: bool) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": ids.patient,
        **_meta(Profile.CANCER_PATIENT),
        "identifier": [
            {"use": "usual", "system": codes.REGISTRY_ID_SYSTEM, "value": case["registry_id"]}
        ],
        "gender": "female" if case["sex"] == "F" else "male",
        "managingOrganization": reference("Organization", centre_id(case["centre"])),
    }
    if deidentified:
        # US Core asks for a name; a masked one says it is withheld, not missing.
        resource["name"] = [
            {"extension": [_extension(codes.DATA_ABSENT_REASON, valueCode="masked")]}
        ]
        resource["extension"] = [
            _extension(
                codes.AGE_AT_MBC_DIAGNOSIS,
                valueAge={
                    "value": case["age_at_mbc_diagnosis"],
                    "unit": "years",
                    "system": codes.UCUM,
                    "code": "a",
                },
            )
        ]
    else:
        resource["identifier"].append(
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": codes.IDENTIFIER_TYPE,
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": codes.record_number_system(case["centre"]),
                "value": case["record_number"],
            }
        )
        resource["name"] = [
            {"use": "official", "family": case["family_name"], "given": [case["given_name"]]}
        ]
        resource["birthDate"] = case["birth_date"]
    deaths = [c["death_date"] for c in case["follow_up"] if c["vital_status"] == VitalStatus.DEAD]
    if deaths:
        resource["deceasedDateTime"] = deaths[0]
    elif case["follow_up"]:
        resource["deceasedBoolean"] = False
    return resource


def _condition_base(ids: Ids, profile: str, resource_id: str, code: dict, onset: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": resource_id,
        **_meta(profile),
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]
        },
        "category": [
            {"coding": [{"system": codes.CONDITION_CATEGORY, "code": "problem-list-item"}]}
        ],
        "code": code,
        "subject": reference("Patient", ids.patient),
        "onsetDateTime": onset,
    }


def primary_condition(case: dict, ids: Ids) -> dict:
    """Breast cancer, from its first diagnosis; the MBC diagnosis date and the presentation
    (de novo, recurrent) are the registry's own extensions (mCODE has no element for them)."""
    resource = _condition_base(
        ids,
        Profile.PRIMARY_CANCER_CONDITION,
        ids.primary,
        {"coding": [codes.BREAST_CANCER.coding()], "text": "Breast cancer"},
        case["primary_diagnosis_date"],
    )
    resource["extension"] = [
        _extension(
            Extension.HISTOLOGY, valueCodeableConcept=codes.HISTOLOGY.codeable(case["histology"])
        ),
        _extension(codes.MBC_DIAGNOSIS_DATE, valueDateTime=case["mbc_diagnosis_date"]),
        _extension(
            codes.PRESENTATION,
            valueCodeableConcept={
                "coding": [
                    {
                        "system": f"{codes.REGISTRY}presentation",
                        "code": case["presentation"],
                        "display": Presentation(case["presentation"]).label,
                    }
                ],
                "text": Presentation(case["presentation"]).label,
            },
        ),
    ]
    return resource


def secondary_condition(site: dict, ids: Ids) -> dict:
    category = site["category"]
    resource = _condition_base(
        ids,
        Profile.SECONDARY_CANCER_CONDITION,
        ids.site(category),
        codes.METASTATIC_SITE_DISORDER.codeable(category),
        site["detected_on"],
    )
    resource["extension"] = [
        _extension(Extension.RELATED_PRIMARY, valueReference=reference("Condition", ids.primary))
    ]
    resource["bodySite"] = [codes.METASTATIC_SITE_BODY.codeable(category)]
    confirmation = codes.SITE_CONFIRMATION.concepts[site["confirmation"]]
    if confirmation:  # "not recorded" is the absence of evidence
        resource["evidence"] = [{"code": [{"coding": [c.coding() for c in confirmation]}]}]
    if site["detail"]:
        resource["note"] = [{"text": site["detail"]}]
    return resource


def _marker(ids: Ids, assessment: dict, part: str, concept, value: dict) -> dict:
    specimen = assessment["specimen"]
    return {
        "resourceType": "Observation",
        "id": ids.marker(part, assessment["assessed_on"], specimen),
        **_meta(Profile.TUMOR_MARKER_TEST),
        "extension": [
            _extension(
                Extension.RELATED_CONDITION, valueReference=reference("Condition", ids.primary)
            )
        ],
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [concept.coding()]},
        "subject": reference("Patient", ids.patient),
        "effectiveDateTime": assessment["assessed_on"],
        "specimen": {
            "type": "Specimen",
            "identifier": {"system": codes.SPECIMEN.system, "value": specimen},
            "display": codes.SPECIMEN.labels[specimen],
        },
        **value,
    }


def tumour_markers(assessment: dict, ids: Ids) -> list[dict]:
    """ER and PR as percentages of stained cells, HER2 as its IHC score and ISH result."""
    markers = []
    for part, field, concept in TUMOUR_MARKERS:
        if assessment[field] is not None:
            quantity = {"value": assessment[field], "unit": "%", "system": codes.UCUM, "code": "%"}
            markers.append(_marker(ids, assessment, part, concept, {"valueQuantity": quantity}))
    if assessment["her2_ihc"]:
        value = codes.HER2_IHC_SCORE.codeable(assessment["her2_ihc"])
        markers.append(
            _marker(ids, assessment, "her2-ihc", codes.HER2_IHC, {"valueCodeableConcept": value})
        )
    if assessment["her2_ish"] and assessment["her2_ish"] != NOT_EXPORTED_ISH:
        value = codes.ISH_RESULT.codeable(assessment["her2_ish"])
        markers.append(
            _marker(ids, assessment, "her2-ish", codes.HER2_ISH, {"valueCodeableConcept": value})
        )
    return markers


def _period(start: str, end: str | None) -> dict:
    return {"start": start, **({"end": end} if end else {})}


def medication_request(line: dict, ids: Ids, centre: str) -> dict:
    """One treatment line: its agents as charted, its regimen category (the registry's own
    vocabulary, as a category), its dates as the dosage's bounds; a line with maintenance has
    two dosage phases, induction then maintenance (decision 0025)."""
    end, maintenance = line["end_date"], line["maintenance_start_date"]
    if maintenance:
        dosage = [
            {
                "sequence": 1,
                "text": "Induction",
                "timing": _bounds(line["start_date"], maintenance),
            },
            {"sequence": 2, "text": "Maintenance", "timing": _bounds(maintenance, end)},
        ]
    else:
        dosage = [{"sequence": 1, "timing": _bounds(line["start_date"], end)}]
    resource = {
        "resourceType": "MedicationRequest",
        "id": ids.line(line["number"]),
        **_meta(Profile.MEDICATION_REQUEST),
        "identifier": [{"system": f"{codes.REGISTRY}line-number", "value": str(line["number"])}],
        "status": _line_status(line),
        "intent": "order",
        "category": [codes.REGIMEN_CATEGORY.codeable(line["regimen"])],
        "medicationCodeableConcept": {"text": line["agents"]},
        "subject": reference("Patient", ids.patient),
        "authoredOn": line["start_date"],
        "requester": reference("Organization", centre_id(centre)),
        "reasonReference": [reference("Condition", ids.primary)],
        "dosageInstruction": dosage,
    }
    if line["end_reason"]:
        resource["statusReason"] = codes.LINE_END_REASON.codeable(line["end_reason"])
    return resource


def _bounds(start: str, end: str | None) -> dict:
    return {"repeat": {"boundsPeriod": _period(start, end)}}


def _line_status(line: dict) -> str:
    if not line["end_date"]:
        return "active"
    return "completed" if line["end_reason"] == LineEndReason.COMPLETED else "stopped"


def _disease_status(ids: Ids, resource_id: str, effective: str, value: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        **_meta(Profile.CANCER_DISEASE_STATUS),
        "status": "final",
        "code": {"coding": [codes.DISEASE_STATUS_CODE.coding()]},
        "subject": reference("Patient", ids.patient),
        "focus": [reference("Condition", ids.primary)],
        "effectiveDateTime": effective,
        "valueCodeableConcept": value,
    }


def response_status(response: dict, line_number: int, ids: Ids) -> dict:
    """A RECIST assessment of the line it was made on (basedOn that line's request)."""
    resource = _disease_status(
        ids,
        ids.response(line_number, response["assessed_on"]),
        response["assessed_on"],
        codes.RESPONSE.codeable(response["category"]),
    )
    resource["basedOn"] = [reference("MedicationRequest", ids.line(line_number))]
    method = response["method"]
    if method:
        resource["method"] = codes.ASSESSMENT_METHOD.codeable(method)
        if method in codes.ASSESSMENT_EVIDENCE:
            evidence = {"coding": [codes.ASSESSMENT_EVIDENCE[method].coding()]}
            resource["extension"] = [
                _extension(Extension.EVIDENCE_TYPE, valueCodeableConcept=evidence)
            ]
    return resource


def progression_status(event: dict, ids: Ids) -> dict:
    resource = _disease_status(
        ids,
        ids.progression(event["occurred_on"], event["kind"]),
        event["occurred_on"],
        codes.PROGRESSION_KIND.codeable(event["kind"]),
    )
    if event["kind"] == ProgressionKind.LOCOREGIONAL:
        resource["bodySite"] = codes.LOCOREGIONAL_SITE.codeable(event["locoregional_site"])
        resource["extension"] = [
            _extension(
                codes.OTHER_SITES_KEPT_BEST_RESPONSE,
                valueBoolean=event["other_sites_kept_best_response"],
            )
        ]
    if event["notes"]:
        resource["note"] = [{"text": event["notes"]}]
    return resource


def surgical_procedures(surgery: dict, ids: Ids) -> list[dict]:
    """One Procedure per procedure of the operation, all with the operation's date."""
    done = [name for name in codes.SURGICAL_PROCEDURE.labels if name != "other" and surgery[name]]
    if surgery["other_procedure"]:
        done.append("other")
    resources = []
    for name in done:
        code = codes.SURGICAL_PROCEDURE.codeable(name)
        if name == "other":
            code["text"] = surgery["other_procedure"]
        extensions = _procedure_extensions(codes.SURGERY_INTENT, surgery["intent"])
        if surgery["systemic_line_continued"] is not None:
            extensions.append(
                _extension(
                    codes.SYSTEMIC_LINE_CONTINUED, valueBoolean=surgery["systemic_line_continued"]
                )
            )
        resource = {
            "resourceType": "Procedure",
            "id": ids.surgery(surgery["operated_on"], name),
            **_meta(Profile.SURGICAL_PROCEDURE),
            **_extensions(extensions),
            "status": "completed",
            "code": code,
            "subject": reference("Patient", ids.patient),
            "performedDateTime": surgery["operated_on"],
            "reasonReference": [reference("Condition", ids.primary)],
        }
        resources.append(resource)
    return resources


def _extensions(extensions: list[dict]) -> dict:
    """FHIR JSON has no empty arrays: no extension, no element."""
    return {"extension": extensions} if extensions else {}


def _procedure_extensions(mapping: codes.Mapping, intent: str) -> list[dict]:
    if intent == "not_recorded":
        return []
    return [_extension(Extension.PROCEDURE_INTENT, valueCodeableConcept=mapping.codeable(intent))]


def radiotherapy_resources(course: dict, ids: Ids) -> list[dict]:
    """The course summary, and the treated volume its dose is delivered to (mCODE puts the
    total dose and the fractions on the volume)."""
    resource_id = ids.radiotherapy(course["started_on"], course["site"])
    site = codes.RADIOTHERAPY_SITE.codeable(course["site"])
    extensions = _procedure_extensions(codes.RADIOTHERAPY_INTENT, course["intent"])
    summary = {
        "resourceType": "Procedure",
        "id": resource_id,
        **_meta(Profile.RADIOTHERAPY_COURSE_SUMMARY),
        "status": "completed",
        "code": {"coding": [codes.RADIOTHERAPY_COURSE.coding()]},
        "subject": reference("Patient", ids.patient),
        "performedPeriod": {"start": course["started_on"]},
        "bodySite": [site],
        "reasonReference": [reference("Condition", ids.primary)],
    }
    if course["total_dose_gy"] is None and course["fractions"] is None:
        return [{**summary, **_extensions(extensions)}]
    volume_id = f"{resource_id}-volume"
    dose = [_extension("volume", valueReference=reference("BodyStructure", volume_id))]
    if course["total_dose_gy"] is not None:
        centigray = round(course["total_dose_gy"] * 100)
        dose.append(
            _extension(
                "totalDoseDelivered",
                valueQuantity={
                    "value": centigray,
                    "unit": "cGy",
                    "system": codes.UCUM,
                    "code": "cGy",
                },
            )
        )
    if course["fractions"] is not None:
        dose.append(_extension("fractionsDelivered", valueUnsignedInt=course["fractions"]))
        extensions.append(_extension(Extension.SESSIONS, valueUnsignedInt=course["fractions"]))
    extensions.append({"url": Extension.DOSE_TO_VOLUME, "extension": dose})
    summary["extension"] = extensions
    volume = {
        "resourceType": "BodyStructure",
        "id": volume_id,
        **_meta(Profile.RADIOTHERAPY_VOLUME),
        "identifier": [{"use": "usual", "value": site["text"]}],
        "location": site,
        "patient": reference("Patient", ids.patient),
    }
    return [summary, volume]


def case_resources(case: dict, *, deidentified: bool) -> list[dict]:
    """Every resource of one case, the patient first."""
    ids = Ids(case["registry_id"])
    resources = [
        patient_resource(case, ids, deidentified=deidentified),
        primary_condition(case, ids),
    ]
    resources += [secondary_condition(site, ids) for site in case["metastatic_sites"]]
    for assessment in case["receptor_assessments"]:
        resources += tumour_markers(assessment, ids)
    for line in case["treatment_lines"]:
        resources.append(medication_request(line, ids, case["centre"]))
        resources += [response_status(r, line["number"], ids) for r in line["responses"]]
    resources += [progression_status(event, ids) for event in case["progression_events"]]
    for surgery in case["surgeries"]:
        resources += surgical_procedures(surgery, ids)
    for course in case["radiotherapy"]:
        resources += radiotherapy_resources(course, ids)
    return resources


def bundle_from_cases(cases: list[dict], centres: dict[str, str], *, deidentified: bool) -> dict:
    """A collection Bundle of the cases and their centres (pure: no database)."""
    resources = [organization(code, centres[code]) for code in sorted({c["centre"] for c in cases})]
    for case in cases:
        resources += case_resources(case, deidentified=deidentified)
    return {
        "resourceType": "Bundle",
        "meta": {
            "tag": [
                {
                    "system": codes.EXPORT_TAG_SYSTEM,
                    "code": "deidentified" if deidentified else "identified",
                }
            ]
        },
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "entry": [
            {"fullUrl": full_url(r["resourceType"], r["id"]), "resource": r} for r in resources
        ],
    }


def export_bundle(patients: QuerySet, *, deidentified: bool) -> dict:
    """The patients of the queryset as one mCODE bundle: a query per record table, and one
    for the centres' names, whatever the number of patients."""
    cases = exchange.export_cases(patients, deidentified=deidentified)
    codes_needed = {case["centre"] for case in cases}
    centres = dict(Centre.objects.filter(code__in=codes_needed).values_list("code", "name"))
    return bundle_from_cases(cases, centres, deidentified=deidentified)
