"""The demo cohort: deterministic, valid under every rule, and with content for every screen."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from registry.demo_cohort import DEMO_REASON
from registry.domain.oligoprogression import opd_case
from registry.domain.response import cr_episodes
from registry.models import (
    CLINICAL_RECORD_MODELS,
    CaseDiscussion,
    CaseStatus,
    DataQuery,
    Patient,
    TreatmentLine,
)
from registry.selectors import patient_bounds, patient_data

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "patients": list(
            Patient.objects.order_by("registry_id").values_list(
                "registry_id", "centre__code", "mbc_diagnosis_date", "summary__subtype"
            )
        ),
        "lines": TreatmentLine.objects.count(),
        "discussions": CaseDiscussion.objects.count(),
    }


def test_same_seed_gives_the_same_registry():
    call_command("seed_demo", patients=20, seed=7, stdout=None)
    first = snapshot()
    call_command("seed_demo", patients=20, seed=7, reset=True)
    assert snapshot() == first
    assert len(first["patients"]) == 20


def test_demo_has_every_kind_of_case_and_user():
    call_command("seed_demo", patients=120, seed=2017)
    # Written set-wise: every record passes every rule the services apply (its fields and
    # its clean() with the patient's bounds; the database held its constraints), and has
    # its one "created" audit row by the demo administrator.
    admin = get_user_model().objects.get(username="admin")
    bounds = patient_bounds(list(Patient.objects.values_list("pk", flat=True)))
    for model in (Patient, *(m for m in CLINICAL_RECORD_MODELS if m is not CaseDiscussion)):
        records = list(model.objects.all())
        for record in records:
            record.patient_bounds = bounds[record.pk if model is Patient else record.patient_id]
            record.clean_fields()
            record.clean()
        created = model.history.filter(history_type="+", history_change_reason=DEMO_REASON)
        assert sorted(created.values_list("id", flat=True)) == sorted(r.pk for r in records)
        assert set(created.values_list("history_user", flat=True)) == {admin.pk}
    data = patient_data(Patient.objects.all())
    episodes = [cr_episodes(item.course) for item in data.values()]
    opd = [opd_case(item.course) for item in data.values()]

    assert any(len(e) >= 2 for e in episodes)
    assert any(x.during_maintenance for e in episodes for x in e)
    assert sum(1 for case in opd if case and case.exclusion is None) >= 5
    categories = set(CaseDiscussion.objects.values_list("recommendation_category", flat=True))
    assert categories >= {
        "systemic_change",
        "continue",
        "surgery",
        "radiotherapy",
        "work_up",
        "supportive",
    }
    assert CaseDiscussion.objects.filter(recommendation="").exists()
    assert CaseDiscussion.objects.filter(followed=False).exists()
    states = set(DataQuery.objects.values_list("state", flat=True))
    assert states == {"open", "answered", "closed"}
    assert CaseStatus.objects.filter(reviewed_at__isnull=False, locked_at=None).count() == 1
    assert CaseStatus.objects.filter(locked_at__isnull=False).count() == 1
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == {
        "admin",
        "dm_mil",
        "dm_tor",
        "dm_nap",
        "auditor",
        "analyst",
        "analyst_mil",
    }
    assert list(users["dm_tor"].centre_memberships.values_list("centre__code", flat=True)) == [
        "TOR"
    ]
    assert hasattr(users["analyst"], "registry_wide_grant")
    assert not hasattr(users["analyst_mil"], "registry_wide_grant")


def test_refuses_to_seed_over_existing_data():
    call_command("seed_demo", patients=5)
    before = snapshot()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("seed_demo", patients=5)
    assert snapshot() == before


def test_if_empty_seeds_an_empty_registry_and_keeps_a_full_one():
    """`dev.py demo` run a second time keeps the demo it made the first time."""
    call_command("seed_demo", patients=5, seed=3, if_empty=True)
    first = snapshot()

    output = io.StringIO()
    call_command("seed_demo", patients=9, seed=4, if_empty=True, stdout=output)

    assert len(first["patients"]) == 5
    assert snapshot() == first
    assert "already holds data: kept" in output.getvalue()
    assert "dm_mil" in output.getvalue()  # the demo log-ins, again
