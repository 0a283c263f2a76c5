"""The registry-wide audit log an auditor works with: readable names instead of database
ids, filters, paging and an export of exactly what is filtered."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from registry import services
from registry.models import TreatmentLine
from tests.factories import TreatmentLineFactory

pytestmark = pytest.mark.django_db
LOG = "registry:audit-log"


@pytest.fixture
def moved_response(data_manager, case_a):
    """Case A's response moved to a second line by the data manager, with a reason."""
    second = TreatmentLineFactory(
        patient=case_a.patient, number=2, start_date=case_a.records["lines"].start_date
    )
    response = case_a.records["responses"]
    response.line = second
    services.record_save(user=data_manager, record=response, reason='=HYPERLINK("x")')
    return response


def entries(response):
    return list(response.context["entries"])


def test_linked_records_are_named_not_numbered(client, auditor, case_a, case_b, moved_response):
    client.force_login(auditor)
    (changed,) = [
        e for e in entries(client.get(reverse(LOG), {"user": "dm_a"})) if e.action == "changed"
    ]

    assert changed.record_label == "Response assessment"
    assert changed.object_repr == "MBC-A0001, 15/06/2018"
    assert changed.registry_id == "MBC-A0001"
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("line", "line 1", "line 2")]
    html = client.get(reverse(LOG), {"patient": "MBC-A0001"}).content.decode()
    assert 'patient: <span class="diff-new">MBC-A0001</span>' in html
    assert f'patient: <span class="diff-new">{case_a.patient.pk}<' not in html
    discussion = next(
        e
        for e in entries(client.get(reverse(LOG), {"record_kind": "casediscussion"}))
        if e.registry_id == "MBC-A0001"
    )
    assert discussion.object_repr == "MBC-A0001, CA tumour board 20/02/2019"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "dm_a"}, {("Response assessment", "changed")}),
        ({"action": "changed"}, {("Response assessment", "changed"), ("User", "changed")}),
        ({"record_kind": "treatmentline", "patient": "MBC-A0001"}, {("Treatment line", "created")}),
        ({"centre": "B", "record_kind": "patient"}, {("Patient", "created")}),
    ],
)
def test_the_log_is_filtered_by_user_action_record_type_patient_and_centre(
    client, auditor, case_a, case_b, centre_b, moved_response, query, expected
):
    if query.get("centre") == "B":
        query = {**query, "centre": centre_b.pk}
    client.force_login(auditor)
    found = entries(client.get(reverse(LOG), query))
    assert {(e.record_label, e.action) for e in found} == expected
    if "patient" in query or "centre" in query:
        wanted = "MBC-A0001" if "patient" in query else "MBC-B0001"
        assert {e.registry_id for e in found} == {wanted}


def test_the_date_range_is_of_local_days(client, auditor, case_a, moved_response):
    client.force_login(auditor)
    today = timezone.localdate()
    assert (
        entries(client.get(reverse(LOG), {"since": (today + timedelta(days=1)).isoformat()})) == []
    )
    assert (
        len(
            entries(
                client.get(
                    reverse(LOG),
                    {"since": today.strftime("%d/%m/%Y"), "until": today.strftime("%d/%m/%Y")},
                )
            )
        )
        > 10
    )


def test_an_unknown_patient_is_refused_at_the_field(client, auditor, case_a):
    client.force_login(auditor)
    response = client.get(reverse(LOG), {"patient": "MBC-Z9999"})
    assert response.status_code == 400
    assert response.context["form"].errors["patient"] == [
        "No patient you may see has this registry ID."
    ]


def test_the_log_is_paged(client, auditor, data_manager, case_a):
    line = case_a.records["lines"]
    for number in range(60):
        line.agents = f"agent {number}"
        services.record_save(user=data_manager, record=line)
    client.force_login(auditor)
    first = client.get(reverse(LOG), {"record_kind": "treatmentline", "action": "changed"})
    second = client.get(
        reverse(LOG), {"record_kind": "treatmentline", "action": "changed", "page": 2}
    )
    assert first.context["page_obj"].paginator.count == 60
    assert len(entries(first)) == 50 and len(entries(second)) == 10
    assert entries(first)[0].changes[0].new == "agent 59"
    assert entries(second)[-1].changes[0].new == "agent 0"
    assert TreatmentLine.objects.get(pk=line.pk).agents == "agent 59"


def test_export_holds_the_filtered_changes_with_formulas_made_text(
    client, auditor, case_a, case_b, moved_response
):
    client.force_login(auditor)
    query = {"patient": "MBC-A0001", "action": "changed"}
    exported = client.get(reverse(LOG), {**query, "export": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))

    assert exported["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    assert [(r["record"], r["field"], r["old value"], r["new value"]) for r in rows] == [
        ("MBC-A0001, 15/06/2018", "line", "line 1", "line 2")
    ]
    assert rows[0]["user"] == "dm_a" and rows[0]["patient"] == "MBC-A0001"
    assert rows[0]["reason"] == '\'=HYPERLINK("x")'

    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse(LOG), {**query, "export": "xlsx"}).content)
    )
    sheet = workbook["audit trail"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert row[header.index("reason")] == '\'=HYPERLINK("x")'
    assert sheet.cell(2, header.index("reason") + 1).data_type == "s"


def test_the_export_is_for_auditors_only(client, analyst, data_manager, case_a):
    for user in (analyst, data_manager):
        client.force_login(user)
        assert client.get(reverse(LOG), {"export": "csv"}).status_code == 403
