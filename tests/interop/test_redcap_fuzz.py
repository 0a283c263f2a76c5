"""A REDCap project with a hostile value anywhere (a records cell, the mapping, the data
dictionary, or a file cut short): never an exception other than "this file cannot be read",
every error located, and nothing written unless the whole project is good."""

import pytest
import yaml
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.interop import redcap
from tests.interop.redcap_project import (
    columns,
    dictionary_csv,
    mapping,
    records_csv,
    repeating_rows,
)
from tests.test_form_fuzz import HOSTILE
from tests.test_import_fuzz import registry_state

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
MAPPING_VALUES = st.sampled_from([*HOSTILE, None, 0, True, [], {}, {"field": None}, {"x": 1}])


def import_in_savepoint(user, files):
    with transaction.atomic():
        before = registry_state()
        try:
            prepared = redcap.read_project(files)
        except redcap.RedcapFileError as error:
            assert str(error)
            result = None
        else:
            result = redcap.import_project(prepared, user=user, dry_run=False, reason="fuzz")
        after = registry_state()
        transaction.set_rollback(True)
    if result is not None and not result.ok:
        assert after == before
        assert all(e.where and e.message for e in result.errors), result.errors
    return result


def files(records: bytes, document: dict, dictionary: bytes | None = None):
    return redcap.ProjectFiles(
        dictionary=("dictionary.csv", dictionary or dictionary_csv()),
        records=("records.csv", records),
        mapping=("mapping.yaml", yaml.safe_dump(document).encode()),
    )


@FUZZ
@given(choice=st.data(), value=st.sampled_from(HOSTILE))
def test_a_hostile_records_cell_is_located_and_writes_nothing(data_manager, choice, value):
    rows = repeating_rows()
    row = choice.draw(st.sampled_from(rows))
    column = choice.draw(st.sampled_from(columns()))
    row[column] = value
    result = import_in_savepoint(data_manager, files(records_csv(rows), mapping()))
    if result is not None and not result.ok:
        assert all(e.where.startswith(("record ", "mapping", "records")) for e in result.errors)


@FUZZ
@given(choice=st.data(), value=MAPPING_VALUES)
def test_a_hostile_mapping_value_is_refused_or_located(data_manager, choice, value):
    document = mapping()
    kind = choice.draw(st.sampled_from(sorted(document["records"])))
    fields = document["records"][kind]["fields"]
    target = choice.draw(st.sampled_from([*sorted(fields), "instrument", "event"]))
    if target in ("instrument", "event"):
        document["records"][kind][target] = value
    else:
        fields[target] = value
    import_in_savepoint(data_manager, files(records_csv(repeating_rows()), document))


@FUZZ
@given(part=st.sampled_from(["records", "dictionary"]), cut=st.integers(0, 4000))
def test_a_file_cut_short_is_refused_or_located(data_manager, part, cut):
    records, dictionary = records_csv(repeating_rows()), dictionary_csv()
    if part == "records":
        records = records[:cut]
    else:
        dictionary = dictionary[:cut]
    import_in_savepoint(data_manager, files(records, mapping(), dictionary))


@FUZZ
@given(text=st.text(max_size=200))
def test_any_text_as_a_mapping_is_refused_not_crashed(data_manager, text):
    project = redcap.ProjectFiles(
        dictionary=("dictionary.csv", dictionary_csv()),
        records=("records.csv", records_csv(repeating_rows())),
        mapping=("mapping.yaml", text.encode()),
    )
    result = import_in_savepoint(data_manager, project)
    assert result is None or not result.ok
