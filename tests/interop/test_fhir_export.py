"""The FHIR mCODE export: its resources, codes and ids (pure, on a hand-built case), the round
trip through fhir.resources against the registry's records, the routes, the job, the
command and the demo cohort."""

import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from bench.generate import generate
from registry.interop import fhir
from registry.interop.fhir import bundle, codes
from registry.interop.fhir.codes import Profile
from registry.models import (
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from registry.models.vocabularies import SiteCategory
from tests.conftest import make_case
from tests.factories import CentreFactory
from tests.interop.fhir_reader import read_bundle
from tests.jobs import jobs_run

MCODE_PROFILES = {
    "Patient": {Profile.CANCER_PATIENT},
    "Condition": {Profile.PRIMARY_CANCER_CONDITION, Profile.SECONDARY_CANCER_CONDITION},
    "Observation": {Profile.TUMOR_MARKER_TEST, Profile.CANCER_DISEASE_STATUS},
    "MedicationRequest": {Profile.MEDICATION_REQUEST},
    "Procedure": {Profile.SURGICAL_PROCEDURE, Profile.RADIOTHERAPY_COURSE_SUMMARY},
    "BodyStructure": {Profile.RADIOTHERAPY_VOLUME},
}


def hand_built_case(**changes) -> dict:
    """A case as the exchange selector gives it (identified)."""
    case = {
        "registry_id": "MBC-T0001",
        "centre": "CA",
        "record_number": "REC-1",
        "family_name": "Quagliarella",
        "given_name": "Zelinda",
        "sex": "F",
        "birth_date": "1957-02-03",
        "primary_diagnosis_date": "2015-05-04",
        "mbc_diagnosis_date": "2018-03-01",
        "presentation": "recurrent",
        "histology": "lobular",
        "receptor_assessments": [
            {
                "assessed_on": "2015-05-04",
                "specimen": "primary",
                "er_percent": 90,
                "pr_percent": 0,
                "her2_ihc": "2+",
                "her2_ish": "not_amplified",
                "ki67_percent": 20,
            },
            {
                "assessed_on": "2018-03-05",
                "specimen": "metastasis",
                "er_percent": None,
                "pr_percent": None,
                "her2_ihc": "2+",
                "her2_ish": "pending",
                "ki67_percent": None,
            },
        ],
        "metastatic_sites": [
            {
                "category": "bone",
                "detected_on": "2018-03-01",
                "confirmation": "histology",
                "detail": "T8",
            },
            {
                "category": "skin_soft_tissue",
                "detected_on": "2018-09-01",
                "confirmation": "not_recorded",
                "detail": "",
            },
        ],
        "treatment_lines": [
            {
                "number": 1,
                "regimen": "endocrine_cdk46",
                "agents": "letrozole + palbociclib",
                "start_date": "2018-03-15",
                "maintenance_start_date": None,
                "end_date": "2019-03-01",
                "end_reason": "progression",
                "responses": [{"assessed_on": "2018-06-15", "category": "CR", "method": "ct"}],
            },
            {
                "number": 2,
                "regimen": "chemotherapy",
                "agents": "paclitaxel",
                "start_date": "2019-03-10",
                "maintenance_start_date": "2019-09-01",
                "end_date": None,
                "end_reason": "",
                "responses": [
                    {"assessed_on": "2019-06-01", "category": "non_CR_non_PD", "method": ""}
                ],
            },
        ],
        "progression_events": [
            {
                "occurred_on": "2019-03-01",
                "kind": "locoregional",
                "locoregional_site": "breast",
                "other_sites_kept_best_response": True,
                "notes": "Nodule at the scar",
            }
        ],
        "surgeries": [
            {
                "operated_on": "2019-04-15",
                "lumpectomy": True,
                "mastectomy": False,
                "sentinel_node_biopsy": True,
                "axillary_dissection": False,
                "metastasectomy": False,
                "other_procedure": "Skin graft",
                "intent": "locoregional_control",
                "systemic_line_continued": True,
            }
        ],
        "radiotherapy": [
            {
                "started_on": "2018-09-01",
                "site": "bone",
                "intent": "palliative",
                "total_dose_gy": 20.0,
                "fractions": 5,
            },
            {
                "started_on": "2019-01-10",
                "site": "brain",
                "intent": "ablative",
                "total_dose_gy": None,
                "fractions": None,
            },
        ],
        "follow_up": [
            {
                "contact_date": "2020-01-01",
                "vital_status": "dead",
                "death_date": "2019-12-20",
                "disease_status": "with_disease",
            }
        ],
        "board_discussions": [],
    }
    return case | changes


def resources_by_id(document: dict) -> dict[str, dict]:
    return {entry["resource"]["id"]: entry["resource"] for entry in document["entry"]}


def codings(codeable: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in codeable["coding"]}


def empty_values(value, where="") -> list[str]:
    """FHIR JSON allows no empty array, object or string."""
    if value in ([], {}, ""):
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{where}[{i}]")]
    return []


def mcode_problems(document: dict) -> list[str]:
    """The mCODE must-support elements the registry holds, checked on every resource."""
    problems = [f"empty {where}" for where in empty_values(document)]
    urls = {entry["fullUrl"] for entry in document["entry"]}
    for entry in document["entry"]:
        resource = entry["resource"]
        kind, where = resource["resourceType"], f"{resource['resourceType']}/{resource['id']}"
        if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", resource["id"]):
            problems.append(f"{where}: id")
        if entry["fullUrl"] != bundle.full_url(kind, resource["id"]):
            problems.append(f"{where}: fullUrl")
        if kind != "Organization" and not set(resource["meta"]["profile"]) & MCODE_PROFILES[kind]:
            problems.append(f"{where}: profile")
        for target in re.findall(r'"reference": "([^"]+)"', json.dumps(resource)):
            if target not in urls:
                problems.append(f"{where}: reference {target} outside the bundle")
        subjects = ("Condition", "Observation", "MedicationRequest", "Procedure")
        if kind in subjects and "subject" not in resource:
            problems.append(f"{where}: subject")
        if kind == "Observation" and not re.fullmatch(
            r"\d{4}-\d\d-\d\d", resource["effectiveDateTime"]
        ):
            problems.append(f"{where}: effective date")
        profile = resource.get("meta", {}).get("profile", [None])[0]
        if profile == Profile.CANCER_DISEASE_STATUS and codings(resource["code"]) != {
            (codes.LOINC, "97509-4")
        }:
            problems.append(f"{where}: disease status code")
        if profile == Profile.TUMOR_MARKER_TEST and not (
            codings(resource["code"])
            & {
                (codes.LOINC, c.code)
                for c in (codes.ER_PERCENT, codes.PR_PERCENT, codes.HER2_IHC, codes.HER2_ISH)
            }
        ):
            problems.append(f"{where}: tumour marker LOINC code")
        if profile in (Profile.MEDICATION_REQUEST, Profile.SURGICAL_PROCEDURE) and not resource.get(
            "reasonReference"
        ):
            problems.append(f"{where}: reasonReference (mcode-reason-required)")
        if profile == Profile.RADIOTHERAPY_COURSE_SUMMARY and codings(resource["code"]) != {
            (codes.SNOMED, "1217123003")
        }:
            problems.append(f"{where}: radiotherapy code")
    return problems


# --- the builder, on a hand-built case (no database) -------------------------------------


def test_each_record_becomes_its_mcode_resource_with_a_stable_id():
    document = bundle.bundle_from_cases([hand_built_case()], {"CA": "Centre A"}, deidentified=False)

    assert sorted(resources_by_id(document)) == sorted(
        [
            "centre-CA",
            "MBC-T0001",
            "MBC-T0001-primary",
            "MBC-T0001-site-bone",
            "MBC-T0001-site-skin-soft-tissue",
            "MBC-T0001-er-2015-05-04-primary",
            "MBC-T0001-pr-2015-05-04-primary",
            "MBC-T0001-her2-ihc-2015-05-04-primary",
            "MBC-T0001-her2-ish-2015-05-04-primary",
            "MBC-T0001-her2-ihc-2018-03-05-metastasis",  # the pending ISH is no result yet
            "MBC-T0001-line-1",
            "MBC-T0001-line-1-response-2018-06-15",
            "MBC-T0001-line-2",
            "MBC-T0001-line-2-response-2019-06-01",
            "MBC-T0001-progression-2019-03-01-locoregional",
            "MBC-T0001-surgery-2019-04-15-lumpectomy",
            "MBC-T0001-surgery-2019-04-15-sentinel-node-biopsy",
            "MBC-T0001-surgery-2019-04-15-other",
            "MBC-T0001-rt-2018-09-01-bone",
            "MBC-T0001-rt-2018-09-01-bone-volume",
            "MBC-T0001-rt-2019-01-10-brain",  # no dose recorded: no volume to carry it
        ]
    )
    assert document["type"] == "collection"
    assert mcode_problems(document) == []
    fhir.parse_bundle(document)


def test_the_same_case_gives_the_same_ids_and_full_urls():
    first = bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    again = bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]


@pytest.mark.parametrize("category", SiteCategory.values)
def test_every_site_category_is_a_secondary_condition_with_its_codes(category):
    site = {
        "category": category,
        "detected_on": "2018-03-01",
        "confirmation": "imaging",
        "detail": "",
    }
    resource = bundle.secondary_condition(site, bundle.Ids("MBC-T0001"))

    assert resource["meta"]["profile"] == [Profile.SECONDARY_CANCER_CONDITION]
    body = codings(resource["bodySite"][0])
    expected = {(c.system, c.code) for c in codes.METASTATIC_SITE_BODY.concepts[category]}
    assert body == expected | {(f"{codes.REGISTRY}metastatic-site", category)}
    assert (codes.SNOMED, "363679005") in codings(resource["evidence"][0]["code"][0])
    assert resource["extension"][0]["valueReference"] == bundle.reference(
        "Condition", "MBC-T0001-primary"
    )


def test_site_body_structures_are_the_snomed_codes_of_the_registry_categories():
    body = {
        category: {c.code for c in concepts}
        for category, concepts in codes.METASTATIC_SITE_BODY.concepts.items()
    }
    assert body == {
        "bone": {"119186007"},
        "liver": {"10200004"},
        "lung": {"39607008"},
        "pleura": {"3120008"},
        "brain": {"12738006"},
        "distant_nodes": {"59441001"},
        "skin_soft_tissue": {"39937001", "87784001"},
        "peritoneum": {"15425007"},
        "other": set(),  # no body structure for "other": the label says it
    }


def test_receptors_are_tumour_marker_tests_with_loinc_codes_and_values():
    found = resources_by_id(
        bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    )
    er, pr = found["MBC-T0001-er-2015-05-04-primary"], found["MBC-T0001-pr-2015-05-04-primary"]
    ihc, ish = (
        found["MBC-T0001-her2-ihc-2015-05-04-primary"],
        found["MBC-T0001-her2-ish-2015-05-04-primary"],
    )

    assert codings(er["code"]) == {(codes.LOINC, "85329-1")}
    assert er["valueQuantity"] == {"value": 90, "unit": "%", "system": codes.UCUM, "code": "%"}
    assert codings(pr["code"]) == {(codes.LOINC, "85325-9")} and pr["valueQuantity"]["value"] == 0
    assert codings(ihc["code"]) == {(codes.LOINC, "85319-2")}
    assert codings(ihc["valueCodeableConcept"]) == {(f"{codes.REGISTRY}her2-ihc", "2+")}
    assert codings(ish["code"]) == {(codes.LOINC, "85318-4")}
    assert (codes.LOINC, "LA6577-6") in codings(ish["valueCodeableConcept"])  # negative
    assert er["effectiveDateTime"] == "2015-05-04" and er["status"] == "final"
    assert er["specimen"]["identifier"]["value"] == "primary"


def test_a_line_is_a_medication_request_with_its_regimen_dates_and_end():
    found = resources_by_id(
        bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    )
    first, second = found["MBC-T0001-line-1"], found["MBC-T0001-line-2"]

    assert first["status"] == "stopped"
    assert codings(first["statusReason"]) == {
        (codes.SNOMED, "266721009"),
        (f"{codes.REGISTRY}line-end-reason", "progression"),
    }
    assert first["dosageInstruction"] == [
        {
            "sequence": 1,
            "timing": {"repeat": {"boundsPeriod": {"start": "2018-03-15", "end": "2019-03-01"}}},
        }
    ]
    assert codings(first["category"][0]) == {
        (f"{codes.REGISTRY}regimen-category", "endocrine_cdk46")
    }
    assert first["medicationCodeableConcept"] == {"text": "letrozole + palbociclib"}
    assert second["status"] == "active" and "statusReason" not in second
    assert [
        (d["text"], d["timing"]["repeat"]["boundsPeriod"]) for d in second["dosageInstruction"]
    ] == [
        ("Induction", {"start": "2019-03-10", "end": "2019-09-01"}),
        ("Maintenance", {"start": "2019-09-01"}),
    ]
    assert first["requester"] == bundle.reference("Organization", "centre-CA")


@pytest.mark.parametrize(
    ("reason", "status", "snomed"),
    [
        ("completed", "completed", None),
        ("toxicity", "stopped", "407563006"),
        ("patient_choice", "stopped", "105480006"),
        ("death", "stopped", "419620001"),
        ("other", "stopped", None),
    ],
)
def test_a_lines_end_reason_gives_its_status_and_termination_reason(reason, status, snomed):
    line = hand_built_case()["treatment_lines"][0] | {"end_reason": reason}
    resource = bundle.medication_request(line, bundle.Ids("MBC-T0001"), "CA")
    assert resource["status"] == status
    standard = {c for s, c in codings(resource["statusReason"]) if s == codes.SNOMED}
    assert standard == ({snomed} if snomed else set())


@pytest.mark.parametrize(
    ("recist", "snomed"),
    [
        ("CR", "103338009"),
        ("PR", "103337004"),
        ("SD", "359746009"),
        ("PD", "271299001"),
        ("NE", "709137006"),
        ("non_CR_non_PD", "359746009"),
    ],
)
def test_a_response_is_a_cancer_disease_status_of_its_line(recist, snomed):
    response = {"assessed_on": "2018-06-15", "category": recist, "method": "mri"}
    resource = bundle.response_status(response, 1, bundle.Ids("MBC-T0001"))

    assert codings(resource["valueCodeableConcept"]) == {
        (codes.SNOMED, snomed),
        (f"{codes.REGISTRY}recist", recist),
    }
    assert resource["basedOn"] == [bundle.reference("MedicationRequest", "MBC-T0001-line-1")]
    assert resource["focus"] == [bundle.reference("Condition", "MBC-T0001-primary")]
    assert resource["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "113091000"


def test_a_progression_is_a_worsened_disease_status_with_its_site():
    found = resources_by_id(
        bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    )
    event = found["MBC-T0001-progression-2019-03-01-locoregional"]
    assert (codes.SNOMED, "271299001") in codings(event["valueCodeableConcept"])
    assert (codes.SNOMED, "76752008") in codings(event["bodySite"])
    assert event["extension"] == [
        {"url": codes.OTHER_SITES_KEPT_BEST_RESPONSE, "valueBoolean": True}
    ]
    assert event["note"] == [{"text": "Nodule at the scar"}]


def test_an_operation_gives_one_procedure_per_procedure_done():
    found = resources_by_id(
        bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    )
    lumpectomy = found["MBC-T0001-surgery-2019-04-15-lumpectomy"]
    other = found["MBC-T0001-surgery-2019-04-15-other"]
    assert (codes.SNOMED, "392021009") in codings(lumpectomy["code"])
    assert (codes.SNOMED, "396487001") in codings(
        found["MBC-T0001-surgery-2019-04-15-sentinel-node-biopsy"]["code"]
    )
    assert other["code"]["text"] == "Skin graft" and lumpectomy["performedDateTime"] == "2019-04-15"


def test_a_radiotherapy_course_carries_its_dose_in_centigray_on_its_volume():
    found = resources_by_id(
        bundle.bundle_from_cases([hand_built_case()], {"CA": "A"}, deidentified=False)
    )
    course = found["MBC-T0001-rt-2018-09-01-bone"]
    dose = next(e for e in course["extension"] if e["url"] == codes.Extension.DOSE_TO_VOLUME)
    assert {e["url"]: e for e in dose["extension"]}["totalDoseDelivered"]["valueQuantity"][
        "value"
    ] == 2000
    assert {e["url"]: e for e in dose["extension"]}["fractionsDelivered"]["valueUnsignedInt"] == 5
    assert course["performedPeriod"] == {"start": "2018-09-01"}
    assert (codes.SNOMED, "363676003") in codings(course["extension"][0]["valueCodeableConcept"])
    assert found["MBC-T0001-rt-2018-09-01-bone-volume"]["patient"] == bundle.reference(
        "Patient", "MBC-T0001"
    )


def test_the_deidentified_patient_has_no_name_record_number_or_birth_date():
    case = hand_built_case(age_at_mbc_diagnosis=61)
    for name in Patient.IDENTIFYING_FIELDS:
        case.pop(name)
    document = bundle.bundle_from_cases([case], {"CA": "A"}, deidentified=True)
    patient = resources_by_id(document)["MBC-T0001"]

    assert patient["identifier"] == [
        {"use": "usual", "system": codes.REGISTRY_ID_SYSTEM, "value": "MBC-T0001"}
    ]
    assert patient["name"] == [
        {"extension": [{"url": codes.DATA_ABSENT_REASON, "valueCode": "masked"}]}
    ]
    assert "birthDate" not in patient
    assert patient["extension"][0]["valueAge"]["value"] == 61
    assert document["meta"]["tag"][0]["code"] == "deidentified"
    text = json.dumps(document)
    assert "Quagliarella" not in text and "REC-1" not in text and "1957" not in text
    fhir.parse_bundle(document)


def test_the_documented_mapping_table_is_the_one_in_the_code():
    guide = (Path(settings.BASE_DIR) / "docs" / "fhir-mcode.md").read_text()
    start, end = (
        "<!-- mapping table: generated by codes.mapping_table() -->",
        "<!-- end of table -->",
    )
    assert guide.split(start)[1].split(end)[0].strip() == codes.mapping_table().strip()


def test_every_registry_code_has_its_label_and_reads_back():
    for mapping in codes.MAPPINGS:
        for code in mapping.labels:
            if mapping.registry_coding or mapping.concepts[code]:
                assert mapping.code_of(mapping.codeable(code)) == code, (mapping.name, code)


# --- against the database -----------------------------------------------------------------


def add_rich_records(patient) -> None:
    """Beyond make_case's one record per kind: maintenance, a locoregional progression, ISH
    pending and amplified, an operation of several procedures, a course without dose, a death."""
    line = TreatmentLine.objects.create(
        patient=patient,
        number=2,
        regimen="anti_her2_chemo",
        agents="trastuzumab + docetaxel",
        start_date=date(2019, 3, 20),
        maintenance_start_date=date(2019, 9, 1),
        end_date=date(2020, 2, 1),
        end_reason="toxicity",
    )
    ResponseAssessment.objects.create(
        patient=patient, line=line, assessed_on=date(2019, 6, 1), category="CR", method="ct"
    )
    ReceptorAssessment.objects.create(
        patient=patient,
        assessed_on=date(2019, 3, 2),
        specimen="metastasis",
        er_percent=None,
        pr_percent=5,
        her2_ihc="2+",
        her2_ish="amplified",
    )
    ReceptorAssessment.objects.create(
        patient=patient,
        assessed_on=date(2019, 3, 3),
        specimen="locoregional",
        her2_ihc="2+",
        her2_ish="pending",
    )
    MetastaticSite.objects.create(
        patient=patient,
        category="skin_soft_tissue",
        detected_on=date(2019, 1, 5),
        confirmation="not_recorded",
        detail="left flank",
    )
    ProgressionEvent.objects.create(
        patient=patient,
        occurred_on=date(2019, 12, 1),
        kind="locoregional",
        locoregional_site="breast_and_nodes",
        other_sites_kept_best_response=False,
        notes="",
    )
    Surgery.objects.create(
        patient=patient,
        operated_on=date(2019, 12, 20),
        lumpectomy=True,
        sentinel_node_biopsy=True,
        other_procedure="Skin graft",
        intent="not_recorded",
        systemic_line_continued=None,
    )
    Radiotherapy.objects.create(
        patient=patient,
        started_on=date(2020, 1, 10),
        site="breast",
        intent="adjuvant",
        total_dose_gy=Decimal("50.40"),
        fractions=None,
    )
    FollowUp.objects.create(
        patient=patient,
        contact_date=date(2020, 6, 1),
        vital_status="dead",
        death_date=date(2020, 5, 30),
        disease_status="with_disease",
    )


def registry_values(patients, *, deidentified: bool) -> dict[str, dict]:
    """What the registry holds of each patient, in the reader's terms (straight from the ORM)."""
    cases = {}
    for patient in patients.select_related("centre").order_by("registry_id"):
        death = FollowUp.objects.filter(patient=patient, vital_status="dead").first()
        values = {"registry_id": patient.registry_id, "sex": patient.sex}
        values["death_date"] = death.death_date.isoformat() if death else None
        if deidentified:
            values["age_at_mbc_diagnosis"] = patient.age_at_mbc_diagnosis
        else:
            values |= {
                "record_number": patient.record_number,
                "centre": patient.centre.code,
                "family_name": patient.family_name,
                "given_name": patient.given_name,
                "birth_date": patient.birth_date.isoformat(),
            }
        case = {
            "patient": values,
            "primary": [
                {
                    "primary_diagnosis_date": patient.primary_diagnosis_date.isoformat(),
                    "mbc_diagnosis_date": patient.mbc_diagnosis_date.isoformat(),
                    "histology": patient.histology,
                    "presentation": patient.presentation,
                }
            ],
        }
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        case["metastatic_sites"] = [
            {
                "category": s.category,
                "detected_on": iso(s.detected_on),
                "confirmation": s.confirmation,
                "detail": s.detail,
            }
            for s in patient.metastaticsite_set.all()
        ]
        markers = []
        for r in patient.receptorassessment_set.all():
            key = {"assessed_on": iso(r.assessed_on), "specimen": r.specimen}
            for field in ("er_percent", "pr_percent", "her2_ihc", "her2_ish"):
                value = getattr(r, field)
                if value not in (None, "", "pending"):
                    markers.append(key | {field: value})
        case["tumour_markers"] = markers
        case["treatment_lines"] = [
            {
                "number": t.number,
                "regimen": t.regimen,
                "agents": t.agents,
                "start_date": iso(t.start_date),
                "maintenance_start_date": iso(t.maintenance_start_date),
                "end_date": iso(t.end_date),
                "end_reason": t.end_reason,
            }
            for t in patient.treatmentline_set.all()
        ]
        case["responses"] = [
            {
                "line": r.line.number,
                "assessed_on": iso(r.assessed_on),
                "category": r.category,
                "method": r.method,
            }
            for r in patient.responseassessment_set.select_related("line")
        ]
        case["progression_events"] = [
            {
                "occurred_on": iso(p.occurred_on),
                "kind": p.kind,
                "locoregional_site": p.locoregional_site,
                "other_sites_kept_best_response": p.other_sites_kept_best_response,
                "notes": p.notes,
            }
            for p in patient.progressionevent_set.all()
        ]
        procedures = []
        for s in patient.surgery_set.all():
            done = [n for n in Surgery.PROCEDURE_FIELDS if getattr(s, n)]
            done += ["other"] if s.other_procedure else []
            for name in done:
                procedures.append(
                    {
                        "operated_on": iso(s.operated_on),
                        "procedure": name,
                        "other_procedure": s.other_procedure if name == "other" else "",
                        "intent": s.intent,
                        "systemic_line_continued": s.systemic_line_continued,
                    }
                )
        case["surgical_procedures"] = procedures
        case["radiotherapy"] = [
            {
                "started_on": iso(r.started_on),
                "site": r.site,
                "intent": r.intent,
                "total_dose_gy": float(r.total_dose_gy) if r.total_dose_gy is not None else None,
                "fractions": r.fractions,
            }
            for r in patient.radiotherapy_set.all()
        ]
        cases[patient.registry_id] = {k: v for k, v in case.items() if v}
    return cases


def comparable(cases: dict) -> dict:
    """Records in a fixed order: the bundle's order is by kind, the registry's by model."""
    return {
        rid: {k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in case.items()}
        for rid, case in cases.items()
    }


@pytest.fixture
def rich_case(centre_a):
    case = make_case(
        centre_a, registry_id="MBC-A0001", family_name="Quagliarella", record_number="REC-A-778812"
    )
    add_rich_records(case.patient)
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("deidentified", [False, True])
def test_the_bundle_reads_back_to_every_exported_value_of_the_registry(rich_case, deidentified):
    patients = Patient.objects.all()
    content = fhir.bundle_bytes(fhir.checked_bundle(patients, deidentified=deidentified))

    read = read_bundle(content)

    assert comparable(read) == comparable(registry_values(patients, deidentified=deidentified))


@pytest.mark.django_db
def test_fhir_resources_gives_back_the_bundle_it_was_given(rich_case):
    document = fhir.export_bundle(Patient.objects.all(), deidentified=False)
    parsed = fhir.parse_bundle(json.loads(fhir.bundle_bytes(document)))
    again = json.loads(parsed.model_dump_json(by_alias=True, exclude_none=True))
    again["timestamp"] = document["timestamp"]  # the library writes the same instant its own way
    assert again == document


@pytest.mark.django_db
def test_the_query_count_of_a_bundle_does_not_grow_with_the_patients(
    centre_a, django_assert_num_queries
):
    make_case(centre_a, registry_id="MBC-A0001", family_name="Uno", record_number="R-1")
    with django_assert_num_queries(11):  # the patients, 9 record tables, the centres' names
        fhir.export_bundle(Patient.objects.all(), deidentified=False)
    for number in range(2, 6):  # a board meets once a day: one case per centre here
        centre = CentreFactory(code=f"C{number}")
        make_case(
            centre,
            registry_id=f"MBC-A000{number}",
            family_name=f"F{number}",
            record_number=f"R-{number}",
        )
    with django_assert_num_queries(11):
        document = fhir.export_bundle(Patient.objects.all(), deidentified=False)
    assert sum(e["resource"]["resourceType"] == "Patient" for e in document["entry"]) == 5


# --- routes --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_gives_the_case_as_fhir_json(data_manager, rich_case):
    client = APIClient()
    client.force_authenticate(data_manager)

    response = client.get(f"/api/cases/{rich_case.patient.registry_id}/fhir/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    document = json.loads(response.content)
    assert resources_by_id(document)["MBC-A0001"]["name"][0]["family"] == "Quagliarella"
    assert mcode_problems(document) == []


@pytest.mark.django_db
def test_api_gives_analysts_the_deidentified_bundle(analyst_a, rich_case):
    client = APIClient()
    client.force_authenticate(analyst_a)
    response = client.get(f"/api/cases/{rich_case.patient.registry_id}/fhir/")
    text = response.content.decode()
    assert response.status_code == 200
    for value in ("Quagliarella", "Zelinda", "REC-A-778812", "1957-02-03"):
        assert value not in text


@pytest.mark.django_db
def test_api_answers_another_centres_case_like_a_missing_one_in_json(data_manager, case_b):
    client = APIClient()
    client.force_authenticate(data_manager)
    foreign = client.get(f"/api/cases/{case_b.patient.registry_id}/fhir/")
    missing = client.get("/api/cases/MBC-Z9999/fhir/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_the_case_page_links_its_fhir_bundle_and_the_link_downloads_it(dm_client, case_a):
    registry_id = case_a.patient.registry_id
    page = dm_client.get(reverse("registry:patient-detail", args=[registry_id])).content.decode()
    link = reverse("registry:patient-fhir", args=[registry_id])
    assert f'href="{link}"' in page and "FHIR (mCODE)" in page

    download = dm_client.get(link)

    assert download["Content-Type"] == "application/fhir+json"
    assert download["Content-Disposition"] == f'attachment; filename="{registry_id}.fhir.json"'
    assert registry_id in read_bundle(download.content)


@pytest.mark.django_db
def test_a_cohort_bundle_is_made_by_an_export_job(data_manager, case_a, case_b):
    client = APIClient()
    client.force_authenticate(data_manager)
    with jobs_run():
        response = client.post("/api/export/?output=fhir")
    status = client.get(response["Location"]).json()
    assert status["state"] == "succeeded" and status["summary"]["cases"] == 1

    download = client.get(status["result_url"])

    assert download["Content-Type"] == "application/fhir+json"
    assert download["Content-Disposition"] == 'attachment; filename="mbc-cases.fhir.json"'
    assert list(read_bundle(download.content)) == ["MBC-A0001"]  # the own centre's case only


@pytest.mark.django_db
def test_an_analysts_cohort_bundle_is_deidentified(analyst, case_a):
    client = APIClient()
    client.force_authenticate(analyst)
    with jobs_run():
        response = client.post("/api/export/?output=fhir")
    content = client.get(client.get(response["Location"]).json()["result_url"]).content
    assert "birth_date" not in read_bundle(content)["MBC-A0001"]["patient"]
    assert case_a.patient.record_number.encode() not in content


@pytest.mark.django_db
def test_a_synchronous_fhir_export_is_refused_with_the_way_to_get_it(data_manager, case_a):
    client = APIClient()
    client.force_authenticate(data_manager)
    response = client.get("/api/export/", {"output": "fhir"})
    assert response.status_code == 400
    assert "background job" in response.json()["output"][0]


@pytest.mark.django_db
def test_export_page_offers_the_fhir_bundle(dm_client, case_a):
    from tests.jobs import latest_job

    with jobs_run():
        dm_client.post(reverse("registry:export"), {"output": "fhir"})
    assert latest_job().result_content_type == "application/fhir+json"


@pytest.mark.django_db
def test_export_command_writes_a_fhir_bundle(tmp_path, case_a, case_b):
    target = tmp_path / "cohort.fhir.json"
    out = io.StringIO()
    call_command("export_cases", format="fhir", output=str(target), centre=["CA"], stdout=out)
    assert "Exported 1 cases" in out.getvalue()
    assert list(read_bundle(target.read_bytes())) == ["MBC-A0001"]


# --- the demo cohort -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_cohorts_bundle_validates_and_reads_back():
    # The demo's own courses and seed, written in bulk (bench/generate.py).
    generate(patients=40, seed=2017, board_meetings=False, out=lambda line: None)
    patients = Patient.objects.all()

    for deidentified in (False, True):
        document = fhir.checked_bundle(patients, deidentified=deidentified)
        assert mcode_problems(document) == []
        read = read_bundle(fhir.bundle_bytes(document))
        assert comparable(read) == comparable(registry_values(patients, deidentified=deidentified))
    kinds = {
        e["resource"]["meta"]["profile"][0] for e in document["entry"] if "meta" in e["resource"]
    }
    assert kinds == set().union(*MCODE_PROFILES.values())  # every profile is exercised
