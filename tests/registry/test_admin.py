"""The Django admin applies the same roles and centre scoping as the pages."""

import pytest
from django.contrib import admin
from django.urls import reverse

from registry import services
from registry.models import CentreMembership, Patient, TreatmentLine
from registry.record_types import RECORD_TYPES

pytestmark = pytest.mark.django_db

CLINICAL_ADMIN_MODELS = [rt.model for rt in RECORD_TYPES.values()] + [Patient]


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def staff_data_manager(data_manager, synced_roles):
    data_manager.is_staff = True
    data_manager.save()
    return data_manager


@pytest.fixture
def staff_auditor(auditor, synced_roles):
    auditor.is_staff = True
    auditor.save()
    return auditor


def test_every_registry_model_is_in_the_admin():
    from django.apps import apps

    registered = {m for m in admin.site._registry if m._meta.app_label == "registry"}
    models = {
        m
        for m in apps.get_app_config("registry").get_models()
        if not m.__name__.startswith("Historical")
        and m.__name__ != "PatientSummary"
        and m.__name__ != "BoardAttendance"  # edited inline on its meeting
        # A job holds its owner's uploaded file: shown on its owner's (and administrators')
        # job page only, never to the admin's read-only auditors.
        and m.__name__ != "Job"
    }
    assert models <= registered


@pytest.mark.parametrize("model", CLINICAL_ADMIN_MODELS, ids=lambda m: m.__name__)
def test_data_manager_sees_only_own_centre_in_the_admin(
    client, staff_data_manager, case_a, case_b, model
):
    client.force_login(staff_data_manager)
    own = case_a.patient if model is Patient else case_a.records[_slug(model)]
    foreign = case_b.patient if model is Patient else case_b.records[_slug(model)]

    listing = client.get(admin_url(model, "changelist"))
    foreign_page = client.get(admin_url(model, "change", foreign.pk))

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert client.get(admin_url(model, "change", own.pk)).status_code == 200
    assert (
        foreign_page.status_code == 302
    )  # the admin's "does not exist" redirect, as for a missing id


@pytest.mark.parametrize("model", CLINICAL_ADMIN_MODELS, ids=lambda m: m.__name__)
def test_auditor_reads_but_cannot_change_in_the_admin(client, staff_auditor, case_a, model):
    client.force_login(staff_auditor)
    record = case_a.patient if model is Patient else case_a.records[_slug(model)]

    change = client.get(admin_url(model, "change", record.pk))
    history = client.get(admin_url(model, "history", record.pk))

    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert history.status_code == 200
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_analyst_cannot_open_the_admin(client, analyst, case_a):
    client.force_login(analyst)
    response = client.get(admin_url(Patient, "changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_nobody_deletes_a_patient_in_the_admin(client, staff_data_manager, case_a):
    client.force_login(staff_data_manager)
    response = client.post(admin_url(Patient, "delete", case_a.patient.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Patient.objects.filter(pk=case_a.patient.pk).exists()


def test_no_user_account_is_deleted_so_the_trail_keeps_its_authors(
    client, admin_user, data_manager, case_a
):
    line = case_a.records["lines"]
    line.agents = "anastrozole"
    services.record_save(user=data_manager, record=line, reason="typo")
    client.force_login(admin_user)
    User = type(data_manager)

    response = client.post(admin_url(User, "delete", data_manager.pk), {"post": "yes"})
    bulk = client.post(
        admin_url(User, "changelist"),
        {"action": "delete_selected", "_selected_action": [data_manager.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert bulk.status_code == 200  # no such action: the list again, nothing done
    assert User.objects.filter(pk=data_manager.pk).exists()
    assert type(line).history.filter(history_user=data_manager).count() == 1


def test_admin_edit_goes_through_the_rules_and_the_audit_trail(client, staff_data_manager, case_a):
    client.force_login(staff_data_manager)
    line = case_a.records["lines"]
    data = {
        "patient": case_a.patient.pk,
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "eribulin",
        "start_date": "2018-03-15",
        "end_date": "2018-01-01",
        "end_reason": "progression",
    }

    refused = client.post(admin_url(TreatmentLine, "change", line.pk), data)
    data["end_date"] = "2018-12-01"
    saved = client.post(admin_url(TreatmentLine, "change", line.pk), data)

    assert refused.status_code == 200 and "end_date" in refused.context["adminform"].form.errors
    assert saved.status_code == 302
    latest = line.history.first()
    assert (latest.agents, latest.history_user) == ("eribulin", staff_data_manager)


def test_superuser_moves_a_patient_with_a_reason_kept_in_the_trail(
    client, admin_user, case_a, centre_b
):
    client.force_login(admin_user)
    url = reverse("admin:registry_patient_move", args=[case_a.patient.pk])

    missing_reason = client.post(url, {"centre": centre_b.pk, "reason": ""})
    moved = client.post(url, {"centre": centre_b.pk, "reason": "moved to Centre B for treatment"})

    patient = Patient.objects.get(pk=case_a.patient.pk)
    assert missing_reason.status_code == 200
    assert moved.status_code == 302
    assert (patient.centre, patient.registry_id) == (centre_b, "MBC-A0001")
    assert patient.history.first().history_change_reason == "moved to Centre B for treatment"
    assert patient.history.count() >= 2


def test_data_manager_cannot_move_patients(client, staff_data_manager, case_a, centre_b):
    client.force_login(staff_data_manager)
    url = reverse("admin:registry_patient_move", args=[case_a.patient.pk])
    assert client.post(url, {"centre": centre_b.pk, "reason": "x"}).status_code == 403


def test_membership_changes_are_audited_with_the_administrator(
    client, admin_user, data_manager, centre_b
):
    client.force_login(admin_user)
    client.post(
        reverse("admin:registry_centremembership_add"),
        {"user": data_manager.pk, "centre": centre_b.pk},
    )

    membership = CentreMembership.objects.get(user=data_manager, centre=centre_b)
    assert membership.history.get().history_user == admin_user


def _slug(model):
    return next(slug for slug, rt in RECORD_TYPES.items() if rt.model is model)


def test_a_moved_patient_leaves_the_old_centres_meeting_page(
    client, admin_user, data_manager, case_a, centre_b
):
    from registry import services

    services.patient_move_centre(
        user=admin_user, patient=case_a.patient, centre=centre_b, reason="changed hospital"
    )
    client.force_login(data_manager)
    page = client.get(reverse("registry:meeting-detail", args=[case_a.meeting.pk]))
    assert page.status_code == 200
    assert case_a.patient.registry_id not in page.content.decode()
    assert case_a.patient.family_name not in page.content.decode()
