"""A lock of a case and a write of it, at the same moment, on PostgreSQL.

Both take the patient's row first (`case_locks.lock_cases`), so they run one after the
other: a write in progress commits before the lock, and a write that starts while a lock
is in progress waits for it and is refused. Each test holds one transaction open in a
thread, starts the other in a second thread with its own connection, and lets the first
commit only once PostgreSQL shows the second waiting for a row lock (pg_stat_activity):
readiness, not a fixed wait. Without the row lock the second never waits and the test
fails at that point.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from registry import quality_services, services
from registry.models import CaseStatus, TreatmentLine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL's row locks (PostgreSQL leg)",
    ),
]

BLOCKED_WITHIN = 20  # seconds for the second transaction to reach the row lock


def _wait_until_waiting_for_a_lock(pid: int) -> None:
    """Until the backend `pid` waits for a lock held by another transaction."""
    deadline = time.monotonic() + BLOCKED_WITHIN
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            threading.Event().wait(0.01)  # poll interval, not a wait for the outcome
    raise AssertionError("the second transaction never waited for the patient's row")


def race(first, second, *, then=None) -> dict:
    """`first` runs in a transaction kept open until `second` (another thread, another
    connection) waits for a lock, then runs `then` in the same transaction if given; what
    each returned or raised, by name."""
    outcomes: dict = {}
    first_done, second_pid = threading.Event(), {}
    second_started, may_commit = threading.Event(), threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                first_done.set()
                may_commit.wait(BLOCKED_WITHIN + 5)
                if then is not None:
                    outcomes["then"] = then()
        except Exception as error:  # the outcome is what the test compares
            outcomes["first"] = error
        finally:
            first_done.set()
            connection.close()

    def run_second():
        first_done.wait()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid["pid"] = cursor.fetchone()[0]
            second_started.set()
            outcomes["second"] = second()
        except Exception as error:
            outcomes["second"] = error
        finally:
            second_started.set()
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    try:
        second_started.wait(BLOCKED_WITHIN)
        assert "pid" in second_pid, outcomes
        _wait_until_waiting_for_a_lock(second_pid["pid"])
        outcomes["second_waited"] = True
    finally:
        may_commit.set()
        for thread in threads:
            thread.join()
    return outcomes


def _edit_line(user, line_pk: int, agents: str):
    def edit():
        line = TreatmentLine.objects.get(pk=line_pk)
        line.agents = agents
        return services.record_save(user=user, record=line, fields=["agents"])

    return edit


def test_an_edit_in_progress_commits_before_a_lock(data_manager, auditor, admin_user, case_a):
    """The case was locked and unlocked before (its status row exists, so the lock writes
    no new row that would wait for the patient's row on its own)."""
    line = case_a.records["lines"]
    patient = case_a.patient
    quality_services.case_lock(user=auditor, patient=patient, reason="interim analysis")
    quality_services.case_unlock(user=admin_user, patient=patient, reason="line to correct")

    outcomes = race(
        _edit_line(data_manager, line.pk, "edited before the lock"),
        lambda: quality_services.case_lock(user=auditor, patient=patient, reason="CR analysis"),
    )

    assert outcomes["second_waited"]
    assert isinstance(outcomes["first"], TreatmentLine), outcomes["first"]
    assert isinstance(outcomes["second"], CaseStatus), outcomes["second"]
    edit = TreatmentLine.history.filter(id=line.pk).latest("history_date")
    status = CaseStatus.objects.get(patient=patient)
    assert edit.agents == "edited before the lock"
    assert edit.history_date < status.locked_at  # the edit is not after the lock


def test_an_edit_started_during_a_lock_waits_for_it_and_is_refused(data_manager, auditor, case_a):
    line = case_a.records["lines"]
    before = TreatmentLine.objects.get(pk=line.pk)

    outcomes = race(
        lambda: quality_services.case_lock(
            user=auditor, patient=case_a.patient, reason="CR analysis"
        ),
        _edit_line(data_manager, line.pk, "edited during the lock"),
    )

    assert outcomes["second_waited"]
    assert isinstance(outcomes["first"], CaseStatus), outcomes["first"]
    assert isinstance(outcomes["second"], ValidationError), outcomes["second"]
    assert "is locked for analysis" in str(outcomes["second"])
    after = TreatmentLine.objects.get(pk=line.pk)
    assert (after.agents, after.version) == (before.agents, before.version)
    assert TreatmentLine.history.filter(id=line.pk).count() == 1  # created, never changed


def test_an_import_started_during_a_lock_waits_for_it_and_is_refused(data_manager, auditor, case_a):
    from registry import exchange
    from registry.models import Patient

    case = exchange.export_document(Patient.objects.filter(pk=case_a.patient.pk))["cases"][0]
    case["given_name"] = "Imported during the lock"

    outcomes = race(
        lambda: quality_services.case_lock(
            user=auditor, patient=case_a.patient, reason="CR analysis"
        ),
        lambda: exchange.import_cases(
            [exchange.Located(case, "case 1")], user=data_manager, dry_run=False, reason="race"
        ),
    )

    assert outcomes["second_waited"]
    assert not outcomes["second"].ok
    assert "is locked for analysis" in outcomes["second"].errors[0].message
    assert Patient.objects.get(pk=case_a.patient.pk).given_name == "Zelinda"


def test_two_first_reviews_at_once_take_turns(admin_user, auditor, case_a):
    """A case without a status row yet: the second review waits for the first's row and
    updates it (without the patient's row lock both would insert one)."""
    patient = case_a.patient

    outcomes = race(
        lambda: quality_services.case_review(user=auditor, patient=patient, note="first"),
        lambda: quality_services.case_review(user=admin_user, patient=patient, note="second"),
    )

    assert outcomes["second_waited"]
    assert isinstance(outcomes["second"], CaseStatus), outcomes["second"]
    status = CaseStatus.objects.get(patient=patient)
    assert (status.review_note, status.reviewed_by) == ("second", admin_user)
    assert status.history.count() == 2


def test_an_import_and_a_rule_run_take_the_same_patients_in_the_same_order(data_manager, centre_a):
    """A rule run's batch (like every write of several cases) locks the patients in key
    order. An import of the same two patients, whose registry IDs and places in the table
    are in the other order, must take them in that order too: it waits behind the first
    patient and holds nothing the rule run needs next. Taken in the order of a scan by
    registry ID, the import held the second patient while waiting for the first, the rule
    run then waited for the second: PostgreSQL's deadlock check aborted one of them."""
    from registry import exchange
    from registry.case_locks import lock_cases
    from registry.models import Patient
    from tests.factories import PatientFactory

    first = PatientFactory(centre=centre_a, registry_id="MBC-000902")
    second = PatientFactory(centre=centre_a, registry_id="MBC-000901")
    Patient.objects.filter(pk=first.pk).update(given_name="Moved")  # its row now after second's
    document = exchange.export_document(Patient.objects.filter(pk__in=[first.pk, second.pk]))
    for case in document["cases"]:
        case["given_name"] = "Imported"

    outcomes = race(
        lambda: lock_cases([first.pk]),
        lambda: exchange.import_cases(
            exchange.read_document(document), user=data_manager, dry_run=False, reason="race"
        ),
        then=lambda: lock_cases([second.pk]),
    )

    assert outcomes["second_waited"]
    assert "then" in outcomes and not isinstance(outcomes["then"], Exception), outcomes
    assert not isinstance(outcomes["second"], Exception), outcomes["second"]
    assert outcomes["second"].ok, outcomes["second"].errors
    assert set(Patient.objects.values_list("given_name", flat=True)) == {"Imported"}
