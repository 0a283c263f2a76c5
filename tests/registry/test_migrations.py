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
