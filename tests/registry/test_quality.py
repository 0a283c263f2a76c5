"""Queries (raise, answer, close, reopen), review and lock of a case: every step and refusal."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from registry import quality_selectors, quality_services, services
from registry.access import Role
from registry.models import CaseStatus, DataQuery, Patient, QueryStep, TreatmentLine
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def query_of(case, **fields) -> DataQuery:
    """An open query on the case's treatment line's agents, by a registry-wide auditor to a
    data manager of the case's centre (the access tables' example query)."""
    centre = case.patient.centre
    raiser = UserFactory(role=Role.AUDITOR, registry_wide=True)
    assignee = UserFactory(role=Role.DATA_MANAGER, centres=[centre])
    line = case.records["lines"]
    options = {
        "record_kind": "lines",
        "record_id": line.pk,
        "field_name": "agents",
        "question": "The prescription says letrozole alone: was palbociclib given?",
        **fields,
    }
    return quality_services.query_raise(
        user=raiser, patient=case.patient, assignee=assignee, **options
    )


@pytest.fixture
def line_query(case_a, auditor, data_manager):
    return quality_services.query_raise(
        user=auditor,
        patient=case_a.patient,
        assignee=data_manager,
        record_kind="lines",
        record_id=case_a.records["lines"].pk,
        field_name="agents",
        question="The prescription says letrozole alone: was palbociclib given?",
        proposed_value="letrozole",
    )


def reload(query) -> DataQuery:
    return DataQuery.objects.get(pk=query.pk)


# --- raising --------------------------------------------------------------------------------


def test_raising_a_query_opens_it_with_a_first_step_and_an_audit_row(line_query, auditor):
    assert line_query.state == "open"
    steps = list(line_query.steps.all())
    assert [(s.action, s.author) for s in steps] == [("raised", auditor)]
    assert line_query.history.count() == 1
    assert line_query.history.first().history_user == auditor


@pytest.mark.parametrize(
    ("fields", "error_at"),
    [
        ({"field_name": "favourite_colour"}, "field_name"),
        ({"field_name": "patient"}, "field_name"),
        ({"field_name": "start_date", "proposed_value": "31/02/2020"}, "proposed_value"),
        ({"field_name": "regimen", "proposed_value": "homeopathy"}, "proposed_value"),
        ({"record_kind": "spaceships"}, "record_kind"),
        ({"record_id": 987654}, "record_id"),
        ({"question": "   "}, "question"),
        ({"field_name": "", "proposed_value": "letrozole"}, "proposed_value"),
    ],
)
def test_a_wrong_query_is_refused_at_its_field_and_writes_nothing(
    case_a, auditor, data_manager, fields, error_at
):
    options = {
        "record_kind": "lines",
        "record_id": case_a.records["lines"].pk,
        "field_name": "agents",
        "question": "Check this",
        **fields,
    }
    with pytest.raises(ValidationError) as refused:
        quality_services.query_raise(
            user=auditor, patient=case_a.patient, assignee=data_manager, **options
        )
    assert error_at in refused.value.message_dict
    assert DataQuery.objects.count() == QueryStep.objects.count() == 0


def test_a_record_of_another_patient_cannot_be_queried(case_a, case_b, auditor, data_manager):
    with pytest.raises(ValidationError) as refused:
        quality_services.query_raise(
            user=auditor,
            patient=case_a.patient,
            assignee=data_manager,
            record_kind="lines",
            record_id=case_b.records["lines"].pk,
            question="Check",
        )
    assert refused.value.message_dict == {
        "record_id": ["MBC-A0001 has no treatment line with this number."]
    }


def test_the_assignee_must_be_a_data_manager_of_the_patients_centre(case_a, auditor, dm_b):
    with pytest.raises(ValidationError) as refused:
        quality_services.query_raise(
            user=auditor, patient=case_a.patient, assignee=dm_b, question="Check"
        )
    assert refused.value.message_dict == {
        "assignee": [f"dm_b is no active data manager of {case_a.patient.centre}."]
    }
    assert not DataQuery.objects.exists()


def test_data_managers_and_analysts_do_not_raise_queries(case_a, data_manager, analyst_a):
    for user in (data_manager, analyst_a):
        with pytest.raises(PermissionDenied):
            quality_services.query_raise(
                user=user, patient=case_a.patient, assignee=data_manager, question="Check"
            )


def test_an_auditor_of_another_centre_cannot_raise_a_query(case_a, centre_b, data_manager):
    auditor_b = UserFactory(role=Role.AUDITOR, centres=[centre_b])
    with pytest.raises(PermissionDenied):
        quality_services.query_raise(
            user=auditor_b, patient=case_a.patient, assignee=data_manager, question="Check"
        )


def test_a_rule_can_raise_a_query_naming_its_origin(case_a, auditor, data_manager):
    query = quality_services.query_raise(
        user=auditor,
        patient=case_a.patient,
        assignee=data_manager,
        record_kind="biology",
        record_id=case_a.records["biology"].pk,
        field_name="her2_ish",
        question="IHC 2+ without ISH",
        origin="rule:ihc2-without-ish",
    )
    assert reload(query).origin == "rule:ihc2-without-ish"


# --- answering ------------------------------------------------------------------------------


def test_an_answer_without_a_change_leaves_the_data_alone(line_query, data_manager, case_a):
    line = case_a.records["lines"]
    history_before = line.history.count()

    quality_services.query_answer(user=data_manager, query=line_query, text="Checked: correct.")

    assert reload(line_query).state == "answered"
    answer = line_query.steps.get(action="answered")
    assert (answer.text, answer.field_name, answer.author) == (
        "Checked: correct.",
        "",
        data_manager,
    )
    assert line.history.count() == history_before


def test_an_answer_with_a_change_edits_the_field_with_the_query_as_reason(
    line_query, data_manager, case_a
):
    line = case_a.records["lines"]

    quality_services.query_answer(
        user=data_manager,
        query=line_query,
        text="Corrected from the prescription.",
        change_value=True,
        new_value="letrozole",
    )

    assert TreatmentLine.objects.get(pk=line.pk).agents == "letrozole"
    latest = line.history.first()
    assert latest.history_user == data_manager
    assert latest.history_change_reason == (
        f"Query #{line_query.pk}: The prescription says letrozole alone: was palbociclib given?"
    )
    answer = line_query.steps.get(action="answered")
    assert (answer.field_name, answer.old_value, answer.new_value) == (
        "agents",
        "letrozole + palbociclib",
        "letrozole",
    )


def test_a_date_answer_is_typed_as_on_the_forms(case_a, auditor, data_manager):
    query = query_of(case_a, field_name="start_date", question="Start date?")
    quality_services.query_answer(
        user=data_manager,
        query=query,
        text="From the chart.",
        change_value=True,
        new_value="01/04/2018",
    )
    assert TreatmentLine.objects.get(pk=case_a.records["lines"].pk).start_date == date(2018, 4, 1)
    answer = query.steps.get(action="answered")
    assert (answer.old_value, answer.new_value) == ("15/03/2018", "01/04/2018")


def test_a_change_the_record_refuses_rolls_the_answer_back(line_query, data_manager, case_a):
    line = case_a.records["lines"]
    query = query_of(case_a, field_name="start_date", question="Start date?")
    history_before = line.history.count()

    with pytest.raises(ValidationError) as refused:
        quality_services.query_answer(
            user=data_manager,
            query=query,
            text="From the chart.",
            change_value=True,
            new_value="01/01/1950",  # before the patient's birth (1957)
        )

    assert "new_value" in refused.value.message_dict
    assert reload(query).state == "open"
    assert not query.steps.filter(action="answered").exists()
    assert line.history.count() == history_before
    assert TreatmentLine.objects.get(pk=line.pk).start_date == date(2018, 3, 15)


def test_the_answer_and_its_data_change_commit_or_roll_back_together(
    line_query, data_manager, case_a, monkeypatch
):
    line = case_a.records["lines"]
    history_before = line.history.count()

    def broken_step(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(quality_services, "_step", broken_step)
    with pytest.raises(RuntimeError):
        quality_services.query_answer(
            user=data_manager, query=line_query, text="Fixed", change_value=True, new_value="x"
        )

    assert TreatmentLine.objects.get(pk=line.pk).agents == "letrozole + palbociclib"
    assert line.history.count() == history_before
    assert reload(line_query).state == "open"


def test_answering_needs_a_text_and_an_open_query(line_query, data_manager, auditor):
    with pytest.raises(ValidationError) as no_text:
        quality_services.query_answer(user=data_manager, query=line_query, text=" ")
    assert "text" in no_text.value.message_dict
    quality_services.query_answer(user=data_manager, query=line_query, text="Done")
    with pytest.raises(ValidationError, match="only an open query is answered"):
        quality_services.query_answer(user=data_manager, query=line_query, text="Again")
    quality_services.query_close(user=auditor, query=line_query)
    with pytest.raises(ValidationError, match="is closed"):
        quality_services.query_answer(user=data_manager, query=line_query, text="Late")
    assert line_query.steps.count() == 3  # raised, answered, closed


def test_a_change_on_a_query_without_a_field_is_refused(case_a, auditor, data_manager):
    query = query_of(case_a, field_name="", question="Is this line right?")
    with pytest.raises(ValidationError) as refused:
        quality_services.query_answer(
            user=data_manager, query=query, text="x", change_value=True, new_value="y"
        )
    assert "new_value" in refused.value.message_dict
    assert reload(query).state == "open"


def test_only_a_data_manager_of_the_centre_answers(line_query, dm_b, auditor, analyst_a):
    for user in (dm_b, auditor, analyst_a):
        with pytest.raises(PermissionDenied):
            quality_services.query_answer(user=user, query=line_query, text="Not mine")
    assert reload(line_query).state == "open"


def test_an_answer_may_change_a_field_of_the_patient(case_a, auditor, data_manager):
    query = quality_services.query_raise(
        user=auditor,
        patient=case_a.patient,
        assignee=data_manager,
        field_name="histology",
        question="Lobular per the pathology report?",
        proposed_value="lobular",
    )
    quality_services.query_answer(
        user=data_manager, query=query, text="Yes", change_value=True, new_value="lobular"
    )
    assert Patient.objects.get(pk=case_a.patient.pk).histology == "lobular"


# --- closing and reopening ------------------------------------------------------------------


def test_the_raiser_closes_an_answered_query_and_reopens_it(line_query, auditor, data_manager):
    quality_services.query_answer(user=data_manager, query=line_query, text="Done")
    quality_services.query_close(user=auditor, query=line_query, text="Verified")
    assert reload(line_query).state == "closed"
    quality_services.query_reopen(user=auditor, query=line_query, text="The chart disagrees")
    assert reload(line_query).state == "open"
    assert list(line_query.steps.values_list("action", flat=True)) == [
        "raised",
        "answered",
        "closed",
        "reopened",
    ]
    assert [h.history_change_reason for h in line_query.history.order_by("history_id")] == [
        "Query raised",
        "Query answered",
        "Query closed",
        "Query reopened",
    ]


def test_another_auditor_closes_an_answered_query_but_not_an_open_one(line_query, data_manager):
    colleague = UserFactory(role=Role.AUDITOR, registry_wide=True)
    with pytest.raises(ValidationError, match="only auditor who raised it can withdraw it"):
        quality_services.query_close(user=colleague, query=line_query)
    assert reload(line_query).state == "open"
    quality_services.query_answer(user=data_manager, query=line_query, text="Done")
    quality_services.query_close(user=colleague, query=line_query)
    assert reload(line_query).state == "closed"


def test_the_raiser_or_an_administrator_withdraws_an_open_query(case_a, admin_user):
    query = query_of(case_a)
    quality_services.query_close(user=admin_user, query=query, text="Raised by mistake")
    assert reload(query).state == "closed"


def test_refused_closes_and_reopens(line_query, auditor, data_manager):
    with pytest.raises(ValidationError, match="already open"):
        quality_services.query_reopen(user=auditor, query=line_query, text="Why not")
    with pytest.raises(PermissionDenied):
        quality_services.query_close(user=data_manager, query=line_query)
    quality_services.query_answer(user=data_manager, query=line_query, text="Done")
    with pytest.raises(ValidationError) as no_reason:
        quality_services.query_reopen(user=auditor, query=line_query, text="")
    assert "text" in no_reason.value.message_dict
    with pytest.raises(PermissionDenied):
        quality_services.query_reopen(user=data_manager, query=line_query, text="Mine")
    quality_services.query_close(user=auditor, query=line_query)
    with pytest.raises(ValidationError, match="already closed"):
        quality_services.query_close(user=auditor, query=line_query)
    assert reload(line_query).state == "closed"
    assert line_query.steps.count() == 3


# --- review and lock ------------------------------------------------------------------------


def test_a_locked_case_refuses_every_write_until_an_administrator_unlocks_it(
    case_a, auditor, data_manager, admin_user
):
    line = case_a.records["lines"]
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="CR analysis 2026")
    message = (
        f"MBC-A0001 is locked for analysis since {date.today():%d/%m/%Y} by auditor; "
        "an administrator must unlock it."
    )
    writes = [
        lambda: services.record_save(user=data_manager, record=line),
        lambda: services.patient_save(user=data_manager, patient=case_a.patient),
        lambda: services.record_delete(user=data_manager, record=case_a.records["sites"]),
        lambda: services.patient_archive(user=data_manager, patient=case_a.patient, reason="x"),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as refused:
            write()
        assert refused.value.messages == [message]

    with pytest.raises(PermissionDenied):
        quality_services.case_unlock(user=auditor, patient=case_a.patient, reason="done")
    with pytest.raises(ValidationError):
        quality_services.case_unlock(user=admin_user, patient=case_a.patient, reason="")
    quality_services.case_unlock(user=admin_user, patient=case_a.patient, reason="Analysis done")

    services.record_save(user=data_manager, record=line, reason="after the unlock")
    history = CaseStatus.objects.get(patient=case_a.patient).history.order_by("history_id")
    assert [
        (h.history_user, h.history_change_reason, h.locked_at is not None) for h in history
    ] == [
        (auditor, "CR analysis 2026", True),
        (admin_user, "Analysis done", False),
    ]


def test_locking_needs_a_reason_and_an_auditor(case_a, auditor, data_manager):
    with pytest.raises(ValidationError) as refused:
        quality_services.case_lock(user=auditor, patient=case_a.patient, reason=" ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        quality_services.case_lock(user=data_manager, patient=case_a.patient, reason="mine")
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    with pytest.raises(ValidationError, match="is locked for analysis"):
        quality_services.case_lock(user=auditor, patient=case_a.patient, reason="again")


def test_an_answer_on_a_locked_case_is_refused_with_the_lock(line_query, auditor, data_manager):
    quality_services.case_lock(user=auditor, patient=line_query.patient, reason="analysis")
    with pytest.raises(ValidationError, match="is locked for analysis"):
        quality_services.query_answer(
            user=data_manager, query=line_query, text="x", change_value=True, new_value="y"
        )
    assert reload(line_query).state == "open"


def test_an_edit_after_the_review_makes_it_outdated(case_a, auditor, data_manager):
    quality_services.case_review(user=auditor, patient=case_a.patient, note="Checked vs chart")
    status = CaseStatus.objects.get(patient=case_a.patient)
    assert status.is_reviewed and status.history.first().history_change_reason == "Checked vs chart"

    services.record_save(user=data_manager, record=case_a.records["lines"])

    status.refresh_from_db()
    assert not status.is_reviewed and status.review_is_outdated
    quality_services.case_review(user=auditor, patient=case_a.patient)
    status.refresh_from_db()
    assert status.is_reviewed


def test_an_import_that_changes_a_reviewed_case_outdates_its_review_but_a_dry_run_does_not(
    case_a, auditor, data_manager
):
    from tests.registry.test_exchange import document_of, run_import

    quality_services.case_review(user=auditor, patient=case_a.patient)
    document = document_of(case_a.patient)
    document["cases"][0]["treatment_lines"][0]["agents"] = "letrozole"
    status = CaseStatus.objects.get(patient=case_a.patient)

    assert run_import(data_manager, document, dry_run=True).ok
    status.refresh_from_db()
    assert status.is_reviewed

    assert run_import(data_manager, document).written
    status.refresh_from_db()
    assert not status.is_reviewed and status.review_is_outdated


def test_only_auditors_review(case_a, data_manager, analyst_a):
    for user in (data_manager, analyst_a):
        with pytest.raises(PermissionDenied):
            quality_services.case_review(user=user, patient=case_a.patient)


def test_locked_patient_ids_answers_in_one_query(case_a, case_b, auditor):
    quality_services.case_lock(user=auditor, patient=case_b.patient, reason="analysis")
    with CaptureQueriesContext(connection) as captured:
        locked = quality_selectors.locked_patient_ids([case_a.patient.pk, case_b.patient.pk])
    assert locked == {case_b.patient.pk} and len(captured) == 1


def test_the_patient_list_filters_by_review(client, auditor, case_a, case_b, data_manager):
    quality_services.case_review(user=auditor, patient=case_a.patient)
    quality_services.case_lock(user=auditor, patient=case_b.patient, reason="analysis")
    client.force_login(auditor)

    def listed(value):
        response = client.get(reverse("registry:patient-list"), {"review": value})
        return {p.registry_id for p in response.context["object_list"]}

    assert listed("reviewed") == {"MBC-A0001"}
    assert listed("not_reviewed") == {"MBC-B0001"}
    assert listed("locked") == {"MBC-B0001"}
    services.record_save(user=data_manager, record=case_a.records["lines"])
    assert listed("reviewed") == set()
    assert listed("not_reviewed") == {"MBC-A0001", "MBC-B0001"}


# --- pages ----------------------------------------------------------------------------------


def test_a_locked_case_refuses_a_form_edit_with_the_message_at_the_top(
    dm_client, case_a, auditor, admin_user
):
    line = case_a.records["lines"]
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    url = reverse("registry:record-update", args=["MBC-A0001", "lines", line.pk])
    data = {
        "number": 1,
        "regimen": "endocrine_cdk46",
        "agents": "letrozole alone",
        "start_date": "15/03/2018",
        "version": line.version,
    }

    refused = dm_client.post(url, data)

    assert refused.status_code == 200
    assert "is locked for analysis" in refused.context["form"].non_field_errors()[0]
    assert TreatmentLine.objects.get(pk=line.pk).agents == "letrozole + palbociclib"
    quality_services.case_unlock(user=admin_user, patient=case_a.patient, reason="done")
    assert dm_client.post(url, data).status_code == 302
    assert TreatmentLine.objects.get(pk=line.pk).agents == "letrozole alone"


def test_a_locked_case_refuses_a_delete_on_its_page(dm_client, case_a, auditor):
    site = case_a.records["sites"]
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    url = reverse("registry:record-delete", args=["MBC-A0001", "sites", site.pk])
    refused = dm_client.post(url, {"reason": "wrong patient"})
    assert refused.status_code == 200
    assert "is locked for analysis" in refused.context["form"].non_field_errors()[0]
    assert type(site).objects.filter(pk=site.pk).exists()


def test_a_locked_case_refuses_an_api_write_with_json(case_a, auditor, data_manager, admin_user):
    line = case_a.records["lines"]
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    api = APIClient()
    api.force_authenticate(data_manager)
    url = reverse("api:record-lines-detail", args=[line.pk])

    refused = api.patch(url, {"agents": "letrozole"}, format="json")

    assert refused.status_code == 400
    assert "is locked for analysis" in refused.json()["__all__"][0]
    quality_services.case_unlock(user=admin_user, patient=case_a.patient, reason="done")
    assert api.patch(url, {"agents": "letrozole"}, format="json").status_code == 200


def test_an_import_touching_a_locked_case_fails_located_and_writes_nothing(
    case_a, auditor, data_manager
):
    from tests.registry.test_exchange import counts, document_of, run_import

    document = document_of(case_a.patient)
    document["cases"][0]["treatment_lines"][0]["agents"] = "letrozole"
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    before = counts()

    result = run_import(data_manager, document)

    assert not result.ok and not result.written
    assert [(e.where, e.message) for e in result.errors] == [
        (
            "case 1 (MBC-A0001) › treatment_lines[1]",
            f"MBC-A0001 is locked for analysis since {date.today():%d/%m/%Y} by auditor; "
            "an administrator must unlock it.",
        )
    ]
    assert counts() == before


def test_the_case_page_shows_badges_and_the_review_and_lock(client, case_a, auditor, line_query):
    quality_services.case_review(user=auditor, patient=case_a.patient, note="SDV done")
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="CR analysis")
    client.force_login(auditor)

    page = client.get(reverse("registry:patient-detail", args=["MBC-A0001"])).content.decode()

    detail = reverse("registry:query-detail", args=[line_query.pk])
    assert f'href="{detail}"' in page
    assert f"?#{line_query.pk}" in page  # at the agents cell
    assert "1 open</span>" in page  # at the line's row
    assert "Reviewed by auditor on" in page and "SDV done" in page
    assert "Locked for analysis by auditor on" in page and "CR analysis" in page


def test_the_case_page_query_count_does_not_grow_with_queries(client, case_a, auditor):
    client.force_login(auditor)
    url = reverse("registry:patient-detail", args=["MBC-A0001"])
    query_of(case_a)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        query_of(case_a, field_name="")
    quality_services.case_review(user=auditor, patient=case_a.patient)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(one) == len(five)


def test_my_queries_lists_those_assigned_to_me_by_state(dm_client, line_query, data_manager):
    response = dm_client.get(reverse("registry:query-list"))
    assert [q.pk for q in response.context["queries"]] == [line_query.pk]
    answered = dm_client.get(reverse("registry:query-list"), {"state": "answered"})
    assert list(answered.context["queries"]) == []
    home = dm_client.get(reverse("home")).content.decode()
    assert "<strong>1</strong> open query assigned to you" in home


def test_the_query_page_offers_the_next_steps_and_takes_them(
    client, dm_client, line_query, auditor, case_a
):
    url = reverse("registry:query-detail", args=[line_query.pk])
    page = dm_client.get(url)
    assert page.context["allowed"].answer and not page.context["allowed"].close

    refused = dm_client.post(url, {"step": "answer", "text": ""})
    assert (
        refused.status_code == 200 and "Write the answer." in refused.context["form"].errors["text"]
    )

    answered = dm_client.post(
        url, {"step": "answer", "text": "Fixed", "change_value": "on", "new_value": "letrozole"}
    )
    assert answered.status_code == 302
    assert TreatmentLine.objects.get(pk=case_a.records["lines"].pk).agents == "letrozole"

    client.force_login(auditor)
    allowed = client.get(url).context["allowed"]
    assert allowed.close and allowed.reopen and not allowed.answer
    assert client.post(url, {"step": "close", "text": "Thanks"}).status_code == 302
    assert reload(line_query).state == "closed"
    thread = client.get(url).content.decode()
    assert "letrozole + palbociclib → letrozole" in thread


def test_raising_a_query_on_the_page(client, auditor, case_a, data_manager):
    client.force_login(auditor)
    line = case_a.records["lines"]
    url = reverse("registry:query-raise", args=["MBC-A0001"])

    form = client.get(url, {"kind": "lines", "record": line.pk})
    assert ("agents", "Agents") in form.context["form"].fields["field_name"].choices
    refused = client.post(
        url,
        {
            "record_kind": "lines",
            "record_id": line.pk,
            "field_name": "start_date",
            "proposed_value": "not a date",
            "question": "Start?",
            "assignee": data_manager.pk,
        },
    )
    assert refused.status_code == 200 and "proposed_value" in refused.context["form"].errors
    raised = client.post(
        url,
        {
            "record_kind": "lines",
            "record_id": line.pk,
            "field_name": "start_date",
            "proposed_value": "01/04/2018",
            "question": "Start?",
            "assignee": data_manager.pk,
        },
    )
    query = DataQuery.objects.get()
    assert raised.status_code == 302 and raised.url == reverse(
        "registry:query-detail", args=[query.pk]
    )


def test_lock_and_unlock_on_the_pages(client, auditor, admin_user, case_a):
    client.force_login(auditor)
    lock = reverse("registry:case-lock", args=["MBC-A0001"])
    assert client.post(lock, {"reason": ""}).status_code == 200
    assert client.post(lock, {"reason": "analysis"}).status_code == 302
    unlock = reverse("registry:case-unlock", args=["MBC-A0001"])
    assert client.post(unlock, {"reason": "done"}).status_code == 403
    client.force_login(admin_user)
    assert client.post(unlock, {"reason": "done"}).status_code == 302
    assert not CaseStatus.objects.get(patient=case_a.patient).is_locked


# --- API ------------------------------------------------------------------------------------


def test_the_api_raises_answers_and_closes_a_query(case_a, auditor, data_manager):
    api = APIClient()
    api.force_authenticate(auditor)
    line = case_a.records["lines"]
    created = api.post(
        reverse("api:query-list"),
        {
            "patient": "MBC-A0001",
            "record_kind": "lines",
            "record_id": line.pk,
            "field_name": "agents",
            "question": "Palbociclib?",
            "assignee": "dm_a",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "open" and created.json()["steps"][0]["action"] == "raised"

    api.force_authenticate(data_manager)
    answer = reverse("api:query-answer", args=[pk])
    assert api.post(answer, {}, format="json").status_code == 400
    done = api.post(
        answer, {"text": "Fixed", "change_value": True, "new_value": "letrozole"}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == "answered"
    assert done.json()["steps"][1]["new_value"] == "letrozole"
    again = api.post(answer, {"text": "Again"}, format="json")
    assert again.status_code == 400 and "only an open query is answered" in str(again.json())
    assert api.post(reverse("api:query-close", args=[pk]), {}, format="json").status_code == 403

    api.force_authenticate(auditor)
    closed = api.post(reverse("api:query-close", args=[pk]), {"text": "ok"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    reopened = api.post(reverse("api:query-reopen", args=[pk]), {"text": ""}, format="json")
    assert reopened.status_code == 400 and "text" in reopened.json()


def test_the_api_refuses_a_wrong_query_with_json(case_a, auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    for body, field in (
        ({"patient": "MBC-Z99999", "question": "x", "assignee": "dm_a"}, "patient"),
        ({"patient": "MBC-A0001", "question": "x", "assignee": "nobody"}, "assignee"),
        ({"patient": "MBC-A0001", "assignee": "dm_a"}, "question"),
    ):
        response = api.post(reverse("api:query-list"), body, format="json")
        assert response.status_code == 400 and field in response.json(), body
    assert not DataQuery.objects.exists()


def test_the_patients_audit_trail_shows_the_queries_the_review_and_the_lock(
    client, auditor, data_manager, admin_user, line_query
):
    quality_services.query_answer(
        user=data_manager, query=line_query, text="Fixed", change_value=True, new_value="letrozole"
    )
    quality_services.case_lock(user=auditor, patient=line_query.patient, reason="CR analysis")
    quality_services.case_unlock(user=admin_user, patient=line_query.patient, reason="Late data")
    client.force_login(auditor)

    page = client.get(reverse("registry:patient-audit", args=["MBC-A0001"])).content.decode()

    assert f"MBC-A0001, query #{line_query.pk}" in page
    assert "Query answered" in page and f"Query #{line_query.pk}: The prescription" in page
    assert "CR analysis" in page and "Late data" in page


def test_the_api_reviews_locks_and_unlocks_a_case_with_the_pages_rules(
    case_a, auditor, data_manager, admin_user
):
    api = APIClient()
    status_url = reverse("api:case-status", args=["MBC-A0001"])
    review = reverse("api:case-review", args=["MBC-A0001"])
    lock = reverse("api:case-lock", args=["MBC-A0001"])
    unlock = reverse("api:case-unlock", args=["MBC-A0001"])
    line_url = reverse("api:record-lines-detail", args=[case_a.records["lines"].pk])

    api.force_authenticate(data_manager)
    fresh = api.get(status_url).json()
    assert (fresh["reviewed"], fresh["locked"], fresh["locked_by"]) == (False, False, None)
    refused = api.post(lock, {"reason": "mine"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only auditors and administrators lock cases."}

    api.force_authenticate(auditor)
    reviewed = api.post(review, {"note": "SDV done"}, format="json")
    assert reviewed.status_code == 200
    assert reviewed.json()["reviewed"] and reviewed.json()["reviewed_by"] == "auditor"
    no_reason = api.post(lock, {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    locked = api.post(lock, {"reason": "CR analysis 2026"}, format="json")
    assert locked.status_code == 200
    assert (locked.json()["locked"], locked.json()["locked_by"]) == (True, "auditor")
    assert locked.json()["lock_reason"] == "CR analysis 2026"
    twice = api.post(lock, {"reason": "again"}, format="json")
    assert twice.status_code == 400
    assert "is locked for analysis" in twice.json()["__all__"][0]
    assert api.post(unlock, {"reason": "done"}, format="json").status_code == 403

    api.force_authenticate(data_manager)
    assert api.patch(line_url, {"agents": "letrozole"}, format="json").status_code == 400
    shown = api.get(status_url).json()
    assert shown["locked"] and shown["reviewed"] and shown["review_note"] == "SDV done"

    api.force_authenticate(admin_user)
    assert "reason" in api.post(unlock, {"reason": " "}, format="json").json()
    unlocked = api.post(unlock, {"reason": "Late data"}, format="json")
    assert unlocked.status_code == 200 and not unlocked.json()["locked"]
    not_locked = api.post(unlock, {"reason": "again"}, format="json")
    assert not_locked.status_code == 400
    assert not_locked.json() == {"__all__": ["MBC-A0001 is not locked."]}
    assert api.get(reverse("api:case-status", args=["MBC-Z99999"])).status_code == 404

    api.force_authenticate(data_manager)
    assert api.patch(line_url, {"agents": "letrozole"}, format="json").status_code == 200
    after_edit = api.get(status_url).json()
    assert after_edit["review_outdated"] and not after_edit["reviewed"]
    history = CaseStatus.objects.get(patient=case_a.patient).history.order_by("history_id")
    assert [(h.history_user, h.history_change_reason) for h in history] == [
        (auditor, "SDV done"),
        (auditor, "CR analysis 2026"),
        (admin_user, "Late data"),
    ]


def test_the_api_schema_documents_the_case_steps(auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()
    paths = schema["paths"]
    for step, body in (
        ("review", "CaseReviewRequest"),
        ("lock", "CaseReasonRequest"),
        ("unlock", "CaseReasonRequest"),
    ):
        post = paths[f"/api/cases/{{registry_id}}/{step}/"]["post"]
        assert set(post) >= {"requestBody", "responses", "description"}
        assert {"200", "400", "403", "404"} <= set(post["responses"]), step
        content = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert content.endswith(body), step
    status = paths["/api/cases/{registry_id}/status/"]["get"]["responses"]["200"]
    assert status["content"]["application/json"]["schema"]["$ref"].endswith("CaseStatus")
    assert "lock_reason" in schema["components"]["schemas"]["CaseStatus"]["properties"]


def test_a_record_never_moves_to_another_patient_so_a_lock_cannot_be_bypassed(
    case_a, auditor, data_manager, centre_a
):
    from tests.factories import PatientFactory

    PatientFactory(centre=centre_a, registry_id="MBC-A0002")
    surgery = case_a.records["surgeries"]
    quality_services.case_lock(user=auditor, patient=case_a.patient, reason="analysis")
    api = APIClient()
    api.force_authenticate(data_manager)
    url = reverse("api:record-surgeries-detail", args=[surgery.pk])

    moved = api.patch(url, {"patient": "MBC-A0002"}, format="json")

    assert moved.status_code == 400
    assert type(surgery).objects.get(pk=surgery.pk).patient_id == case_a.patient.pk
    quality_services.case_unlock(
        user=UserFactory(username="root", is_superuser=True), patient=case_a.patient, reason="x"
    )
    refused = api.patch(url, {"patient": "MBC-A0002"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"patient": ["A record stays with its patient."]}
    assert type(surgery).objects.get(pk=surgery.pk).patient_id == case_a.patient.pk
