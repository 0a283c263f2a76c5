"""Backup and restore (docs/operations.md): every record and its whole history come back."""

import pytest
from django.apps import apps
from django.core.management import call_command

from tests.factories import PatientFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db(transaction=True)

# XML: the JSON serializer rounds times to milliseconds, which would change audit times.
BACKUP = {
    "format": "xml",
    "use_natural_foreign_keys": True,
    "exclude": ["contenttypes", "auth.permission", "sessions", "admin.logentry"],
}


def snapshot() -> dict:
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for model in apps.get_app_config("registry").get_models()
    }


def test_a_dump_restored_into_an_empty_database_gives_back_records_and_history(
    tmp_path, data_manager, centre_a
):
    from registry import services

    patient = PatientFactory(centre=centre_a)
    line = TreatmentLineFactory(patient=patient, agents="letrozole")
    line.agents = "letrozole + palbociclib"
    services.record_save(user=data_manager, record=line, reason="corrected")
    services.record_delete(user=data_manager, record=line, reason="wrong patient")
    before = snapshot()
    backup = tmp_path / "registry.xml"

    call_command("dumpdata", **BACKUP, output=str(backup))
    call_command("flush", interactive=False)
    assert not any(snapshot().values())
    call_command("loaddata", str(backup))

    assert snapshot() == before
    deleted = apps.get_model("registry", "HistoricalTreatmentLine").objects.get(history_type="-")
    assert (deleted.agents, deleted.history_change_reason, deleted.history_user) == (
        "letrozole + palbociclib",
        "wrong patient",
        data_manager,
    )
