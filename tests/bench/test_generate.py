"""The benchmark generator leaves the registry as the services would (bench/generate.py)."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.forms.models import model_to_dict

from bench.generate import BULK_REASON, generate
from registry import services
from registry.models import CLINICAL_RECORD_MODELS, Patient, PatientSummary

PATIENTS = 20
SUMMARY_FIELDS = [f.name for f in PatientSummary._meta.fields if f.name != "refreshed_at"]


@pytest.fixture
def generated(db):
    return generate(patients=PATIENTS, seed=7, board_meetings=False, out=lambda line: None)


def summaries() -> dict[int, dict]:
    return {
        s.patient_id: model_to_dict(s, fields=SUMMARY_FIELDS) for s in PatientSummary.objects.all()
    }


def test_it_writes_the_patients_with_canonical_registry_ids(generated):
    ids = list(Patient.objects.order_by("registry_id").values_list("registry_id", flat=True))

    assert ids == [f"MBC-{n:06d}" for n in range(1, PATIENTS + 1)]
    assert services.next_registry_id() == f"MBC-{PATIENTS + 1:06d}"


def test_every_record_passes_every_rule(generated):
    records = [r for model in CLINICAL_RECORD_MODELS for r in model.objects.all()]

    for record in [*Patient.objects.all(), *records]:
        record.full_clean()
    assert (
        len(records)
        == sum(
            n
            for table, n in generated["rows"].items()
            if not table.startswith("registry_historical")
        )
        - PATIENTS
    )


def test_every_record_has_one_created_audit_row_with_author_and_reason(generated):
    admin = get_user_model().objects.get(username="admin")

    for model in (Patient, *CLINICAL_RECORD_MODELS):
        rows = model.history.filter(history_change_reason=BULK_REASON)
        per_record = Counter(rows.values_list("id", flat=True))
        assert set(per_record) == set(model.objects.values_list("pk", flat=True)), model
        assert set(per_record.values()) <= {1}, model
        assert set(rows.values_list("history_type", "history_user")) <= {("+", admin.pk)}


def test_the_summaries_equal_a_fresh_refresh(generated):
    stored = summaries()

    services.patient_summary_refresh(*Patient.objects.all())

    assert len(stored) == PATIENTS
    assert summaries() == stored


def test_a_later_write_through_the_services_gets_new_keys(generated):
    admin = get_user_model().objects.get(username="admin")
    last = Patient.objects.order_by("-pk").first()
    patient = Patient(
        centre=last.centre,
        record_number="NEW-1",
        family_name="Nuova",
        given_name="Paziente",
        birth_date=last.birth_date,
        primary_diagnosis_date=last.primary_diagnosis_date,
        mbc_diagnosis_date=last.mbc_diagnosis_date,
        presentation=last.presentation,
        histology="ductal",
    )

    services.patient_save(user=admin, patient=patient)

    # The keys come from the tables' sequences, as every write's: never a generated one.
    assert patient.pk > last.pk
    newest = Patient.history.aggregate(newest=Max("history_id"))["newest"]
    assert patient.history.get().history_id == newest
    assert Patient.history.count() == PATIENTS + 1
