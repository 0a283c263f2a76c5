"""The Django admin: administrators manage accounts, centres and tokens; auditors read.

Every URL of every registered model, as every role, on its own and another centre, is
walked in test_admin_walk.py; these tests pin the behaviour behind that walk.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from registry import services
from registry.models import ApiToken, CentreMembership, Patient, TreatmentLine
from registry.record_types import RECORD_TYPES
from tests.factories import UserFactory

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
        and m.__name__
        not in ("PatientSummary", "CrEpisodeSummary", "LineSummary", "ProgressionSummary")
        and m.__name__ != "BoardAttendance"  # shown inline on its meeting
        # A job holds its owner's uploaded file: shown on its owner's (and administrators')
        # job page only, never to the admin's read-only auditors.
        and m.__name__ != "Job"
        # Queries and a case's review and lock are worked on their own pages, where each
        # step is checked and threaded (docs/decisions/0016-queries-review-lock.md);
        # findings are derived by the rules and worked on the findings page.
        and m.__name__ not in {"DataQuery", "QueryStep", "CaseStatus", "Finding"}
    }
    assert models <= registered


def test_a_data_manager_is_kept_out_of_the_admin_even_as_staff(client, staff_data_manager, case_a):
    client.force_login(staff_data_manager)

    response = client.get(admin_url(TreatmentLine, "change", case_a.records["lines"].pk))

    assert response.status_code == 302 and response.url.startswith("/admin/login/")


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


def test_a_centre_limited_auditor_gets_404_for_another_centres_record(
    client, synced_roles, centre_a, case_a, case_b
):
    from registry.access import Role

    auditor_a = UserFactory(role=Role.AUDITOR, centres=[centre_a], is_staff=True)
    client.force_login(auditor_a)
    foreign = case_b.records["lines"]
    version = foreign.history.first().history_id

    pages = [
        admin_url(TreatmentLine, "change", foreign.pk),
        admin_url(TreatmentLine, "history", foreign.pk),
        admin_url(TreatmentLine, "delete", foreign.pk),
        reverse("admin:registry_treatmentline_simple_history", args=[foreign.pk, version]),
    ]

    assert [client.get(url).status_code for url in pages] == [404, 404, 404, 404]
    own = client.get(admin_url(TreatmentLine, "change", case_a.records["lines"].pk))
    assert own.status_code == 200


def test_clinical_records_are_read_only_in_the_admin_even_for_administrators(
    client, admin_user, case_a
):
    client.force_login(admin_user)
    line = case_a.records["lines"]
    data = {
        "patient": case_a.patient.pk,
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "eribulin",
        "start_date": "2018-03-15",
        "end_reason": "progression",
    }

    change = client.post(admin_url(TreatmentLine, "change", line.pk), data)
    add = client.post(admin_url(TreatmentLine, "add"), data)

    assert (change.status_code, add.status_code) == (403, 403)
    assert TreatmentLine.objects.get(pk=line.pk).agents == line.agents
    assert TreatmentLine.objects.count() == 1


@pytest.mark.parametrize("model", CLINICAL_ADMIN_MODELS, ids=lambda m: m.__name__)
def test_nobody_reverts_through_the_history_form(client, admin_user, case_a, model):
    client.force_login(admin_user)
    record = case_a.patient if model is Patient else case_a.records[_slug(model)]
    version = record.history.first().history_id
    url = reverse(
        f"admin:registry_{model._meta.model_name}_simple_history", args=[record.pk, version]
    )
    before = record.history.count()

    shown = client.get(url)
    posted = client.post(url, {"notes": "reverted"})

    assert shown.status_code == 200 and b'name="_save"' not in shown.content
    assert posted.status_code == 405
    assert record.history.count() == before


def test_nobody_deletes_a_patient_in_the_admin(client, admin_user, case_a):
    client.force_login(admin_user)
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


def test_superuser_moves_a_patient_with_a_reason_kept_in_the_trail(
    client, admin_user, case_a, centre_b
):
    client.force_login(admin_user)
    url = reverse("admin:registry_patient_move", args=[case_a.patient.pk])
    version = case_a.patient.version

    missing_reason = client.post(url, {"centre": centre_b.pk, "reason": "", "version": version})
    moved = client.post(
        url, {"centre": centre_b.pk, "reason": "moved to Centre B", "version": version}
    )

    patient = Patient.objects.get(pk=case_a.patient.pk)
    assert missing_reason.status_code == 200
    assert moved.status_code == 302
    assert (patient.centre, patient.registry_id) == (centre_b, "MBC-A0001")
    assert patient.version == version + 1
    assert patient.history.first().history_change_reason == "moved to Centre B"


def test_a_move_from_a_stale_page_is_refused(client, admin_user, data_manager, case_a, centre_b):
    client.force_login(admin_user)
    url = reverse("admin:registry_patient_move", args=[case_a.patient.pk])
    stale = case_a.patient.version
    services.patient_archive(user=data_manager, patient=case_a.patient, reason="duplicate")

    response = client.post(url, {"centre": centre_b.pk, "reason": "moved", "version": stale})

    assert response.status_code == 200
    assert "changed after you opened" in response.content.decode()
    assert Patient.objects.get(pk=case_a.patient.pk).centre == case_a.patient.centre


def test_membership_changes_need_a_reason_and_keep_it_with_the_administrator(
    client, admin_user, data_manager, centre_b
):
    client.force_login(admin_user)
    url = reverse("admin:registry_centremembership_add")

    refused = client.post(url, {"user": data_manager.pk, "centre": centre_b.pk})
    client.post(url, {"user": data_manager.pk, "centre": centre_b.pk, "change_reason": "cover"})

    assert "change_reason" in refused.context["adminform"].form.errors
    membership = CentreMembership.objects.get(user=data_manager, centre=centre_b)
    row = membership.history.get()
    assert (row.history_user, row.history_change_reason) == (admin_user, "cover")


def test_an_issued_token_is_shown_once_stored_as_a_digest_and_audited(
    client, admin_user, data_manager
):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:registry_apitoken_add"),
        {"user": data_manager.pk, "purpose": "Nightly export script"},
        follow=True,
    )

    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    key = shown[0].split(": ", 1)[1].split(" ")[0]
    assert ApiToken.digest(key) == token.key_digest and key not in token.key_digest
    assert (token.user, token.issued_by) == (data_manager, admin_user)
    row = token.history.get()
    assert row.history_user == admin_user and "Nightly export script" in row.history_change_reason


def _slug(model):
    return next(slug for slug, rt in RECORD_TYPES.items() if rt.model is model)


def test_a_moved_patient_leaves_the_old_centres_meeting_page(
    client, admin_user, data_manager, case_a, centre_b
):
    services.patient_move_centre(
        user=admin_user, patient=case_a.patient, centre=centre_b, reason="changed hospital"
    )
    client.force_login(data_manager)
    page = client.get(reverse("registry:meeting-detail", args=[case_a.meeting.pk]))
    assert page.status_code == 200
    assert case_a.patient.registry_id not in page.content.decode()
    assert case_a.patient.family_name not in page.content.decode()


def test_the_admin_link_is_offered_only_to_those_it_lets_in(
    client, staff_data_manager, staff_auditor
):
    link = f'href="{reverse("admin:index")}"'
    client.force_login(staff_data_manager)
    offered_to_data_manager = link in client.get(reverse("home")).content.decode()
    client.force_login(staff_auditor)
    offered_to_auditor = link in client.get(reverse("home")).content.decode()

    assert (offered_to_data_manager, offered_to_auditor) == (False, True)
