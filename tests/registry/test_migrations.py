"""Data migrations, run on a database that holds data from before them."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models.accounts import role_history


@pytest.mark.django_db(transaction=True)
def test_accounts_that_predate_the_account_history_start_it_with_their_roles():
    before, after = [("registry", "0003_record_versions")], [("registry", "0004_account_history")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        group = old.get_model("auth", "Group").objects.create(name="Analysts")
        account = old.get_model("auth", "User").objects.create(username="early", password="!")
        account.groups.add(group)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    start = get_user_model().history.get(username="early")
    assert start.history_change_reason == "State when the account history began"
    assert list(role_history().objects.filter(history=start).values_list("group__name")) == [
        ("Analysts",)
    ]


@pytest.mark.django_db(transaction=True)
def test_not_recorded_and_maintenance_migrations_keep_every_existing_value():
    from datetime import date
    from decimal import Decimal

    before = [("registry", "0006_canonical_record_numbers_and_birth_dates")]
    after = [("registry", "0008_not_recorded_and_vocabulary")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        centre = old.get_model("registry", "Centre").objects.create(code="OLD", name="Old")
        patient = old.get_model("registry", "Patient").objects.create(
            registry_id="OLD-001",
            centre=centre,
            record_number="R1",
            family_name="Bianchi",
            given_name="Lia",
            birth_date=date(1960, 1, 1),
            primary_diagnosis_date=date(2015, 1, 1),
            mbc_diagnosis_date=date(2015, 1, 1),
            presentation="de_novo",
            histology="unknown",
        )
        old.get_model("registry", "Radiotherapy").objects.create(
            patient=patient,
            started_on=date(2015, 3, 1),
            site="bone",
            intent="ablative",
            total_dose_gy=Decimal("24.00"),
            fractions=3,
        )
        old.get_model("registry", "MetastaticSite").objects.create(
            patient=patient, category="bone", detected_on=date(2015, 1, 1), confirmation="cytology"
        )
        old.get_model("registry", "TreatmentLine").objects.create(
            patient=patient,
            number=1,
            regimen="anti_her2",
            agents="trastuzumab",
            start_date=date(2015, 2, 1),
            maintenance_start_date=date(2015, 6, 1),
        )
        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        kept = new.get_model("registry", "Patient").objects.get(registry_id="OLD-001")
        course = new.get_model("registry", "Radiotherapy").objects.get(patient=kept)
        site = new.get_model("registry", "MetastaticSite").objects.get(patient=kept)
        line = new.get_model("registry", "TreatmentLine").objects.get(patient=kept)
        values = (
            kept.histology,
            course.intent,
            course.total_dose_gy,
            course.fractions,
            site.confirmation,
            line.maintenance_start_date,
        )
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())

    assert values == ("unknown", "ablative", Decimal("24.00"), 3, "cytology", date(2015, 6, 1))
