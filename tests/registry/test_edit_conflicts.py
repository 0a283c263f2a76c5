"""Two people editing one record: the second save is refused, nothing is overwritten."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from registry import services
from registry.models import TreatmentLine
from tests.factories import TreatmentLineFactory, UserFactory

pytestmark = pytest.mark.django_db

LINE_FORM = {"number": 1, "regimen": "endocrine_cdk46", "start_date": "2018-03-15"}


@pytest.fixture
def line(centre_a):
    from tests.factories import PatientFactory

    return TreatmentLineFactory(patient=PatientFactory(centre=centre_a), agents="letrozole")


@pytest.fixture
def colleague(centre_a):
    from registry.access import Role

    return UserFactory(username="dm_a2", role=Role.DATA_MANAGER, centres=[centre_a])


def edit_url(line):
    return reverse("registry:record-update", args=[line.patient.registry_id, "lines", line.pk])


def test_second_save_from_an_old_form_is_refused_and_shows_both_values(
    client, data_manager, colleague, line
):
    first, second = client, type(client)()
    first.force_login(data_manager)
    second.force_login(colleague)
    opened = second.get(edit_url(line)).context["form"]["version"].value()

    first.post(edit_url(line), {**LINE_FORM, "agents": "letrozole + palbociclib", "version": 1})
    refused = second.post(edit_url(line), {**LINE_FORM, "agents": "anastrozole", "version": opened})

    line.refresh_from_db()
    assert line.agents == "letrozole + palbociclib"
    assert line.version == 2
    errors = refused.context["form"].non_field_errors()
    assert errors[0].startswith("dm_a saved this record")
    assert "Agents: stored “letrozole + palbociclib”, yours “anastrozole”." in errors
    assert not any("None:" in e or "Version" in e for e in errors)  # the hidden field
    # The refused form now carries the stored version: saving again, after review, wins.
    again = second.post(
        edit_url(line),
        {**LINE_FORM, "agents": "anastrozole", "version": refused.context["form"].data["version"]},
    )
    assert again.status_code == 302
    line.refresh_from_db()
    assert (line.agents, line.version) == ("anastrozole", 3)


def test_api_if_match_with_an_old_version_is_a_409(data_manager, line):
    client = APIClient()
    client.force_authenticate(data_manager)
    url = reverse("api:record-lines-detail", args=[line.pk])

    ok = client.patch(url, {"agents": "letrozole + ribociclib"}, format="json", HTTP_IF_MATCH="1")
    stale = client.patch(url, {"agents": "exemestane"}, format="json", HTTP_IF_MATCH="1")

    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    line.refresh_from_db()
    assert line.agents == "letrozole + ribociclib"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL's row locks (PostgreSQL leg)",
)
def test_concurrent_saves_of_one_version_let_exactly_one_through(data_manager, line):
    results = []
    barrier = threading.Barrier(2)

    def save(agents):
        from django.db import connection as thread_connection

        record = TreatmentLine.objects.get(pk=line.pk)
        record.agents = agents
        barrier.wait()
        try:
            services.record_save(user=data_manager, record=record, expected_version=1)
            results.append("saved")
        except services.EditConflict:
            results.append("conflict")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=save, args=(a,)) for a in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["conflict", "saved"]
    assert TreatmentLine.objects.get(pk=line.pk).version == 2
    assert TreatmentLine.history.filter(id=line.pk).count() == 2  # created + one change


def run_while_another_transaction_holds(first, second) -> dict:
    """`first` writes and keeps its transaction open while `second` runs (both past their
    checks before either commits); what each returned or raised, by name."""
    from django.db import transaction

    outcomes = {}
    first_wrote = threading.Event()

    def run(name, write):
        from django.db import connection as thread_connection

        try:
            with transaction.atomic():
                outcomes[name] = write()
                if name == "first":
                    first_wrote.set()
                    threading.Event().wait(0.5)  # commit only after the second has tried
        except Exception as error:  # the outcome is what the test compares
            outcomes[name] = error
        finally:
            first_wrote.set()
            thread_connection.close()

    threads = [
        threading.Thread(target=run, args=("first", first)),
        threading.Thread(target=lambda: (first_wrote.wait(), run("second", second))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL's row locks (PostgreSQL leg)",
)
def test_two_people_adding_the_same_site_at_once_get_one_site_and_one_field_error(
    data_manager, colleague, line
):
    from registry.models import MetastaticSite

    def add_bone_site(user):
        site = MetastaticSite(
            patient=line.patient, category="bone", detected_on="2018-03-01", confirmation="imaging"
        )
        return lambda: services.record_save(user=user, record=site)

    outcomes = run_while_another_transaction_holds(
        add_bone_site(data_manager), add_bone_site(colleague)
    )

    assert isinstance(outcomes["first"], MetastaticSite)
    assert isinstance(outcomes["second"], services.ValidationError), outcomes["second"]
    assert "category" in outcomes["second"].message_dict
    assert MetastaticSite.objects.filter(patient=line.patient).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL's row locks (PostgreSQL leg)",
)
def test_two_imports_of_the_same_new_case_at_once_create_it_once(data_manager, colleague, line):
    from registry import exchange
    from registry.models import Patient

    case = exchange.export_document(Patient.objects.filter(pk=line.patient.pk))["cases"][0]
    case.update(registry_id="MBC-NEW77", record_number="R-NEW-77")

    def import_case(user):
        located = [exchange.Located(dict(case), "case 1 (MBC-NEW77)")]
        return lambda: exchange.import_cases(located, user=user, dry_run=False, reason="test")

    outcomes = run_while_another_transaction_holds(
        import_case(data_manager), import_case(colleague)
    )

    assert outcomes["first"].ok
    assert not outcomes["second"].ok, outcomes["second"]
    assert outcomes["second"].errors[0].where.startswith("case 1 (MBC-NEW77)")
    assert Patient.objects.filter(registry_id="MBC-NEW77").count() == 1
