"""On PostgreSQL the database itself refuses to change or delete audit rows."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from tests.factories import TreatmentLineFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="database-level protection exists on PostgreSQL only (run by the PostgreSQL leg)",
    ),
]


def test_history_rows_cannot_be_updated_or_deleted():
    line = TreatmentLineFactory(agents="letrozole")
    history = type(line).history
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        history.filter(id=line.pk).update(agents="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        history.filter(id=line.pk).delete()
    assert history.get(id=line.pk).agents == "letrozole"


def test_every_audit_table_is_protected():
    tables = {
        m._meta.db_table
        for m in apps.get_app_config("registry").get_models()
        if m.__name__.startswith("Historical")
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE %s",
            ["%_append_only"],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert tables <= protected
