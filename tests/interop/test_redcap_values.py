"""Each REDCap value translated as the registry's exchange format writes it (pure functions)."""

from datetime import date

import pytest

from registry.interop.redcap.dictionary import RedcapField, parse_choices
from registry.interop.redcap.mapping import Rule, checkbox_column
from registry.interop.redcap.values import ValueProblem, parse_date, translate


def field(type_, validation="", choices=None) -> RedcapField:
    return RedcapField("f", "form", type_, "F", validation, choices or {})


SITES = {"1": "Bone", "2": "Liver", "99": "Not recorded"}


@pytest.mark.parametrize("type_", ["radio", "dropdown"])
def test_radio_and_dropdown_codes_become_the_mappings_values(type_):
    rule = Rule("category", source="f", codes={"1": "bone", "2": "liver", "99": ""})
    assert translate(rule, field(type_, choices=SITES), "2") == "liver"
    assert translate(rule, field(type_, choices=SITES), "99") == ""  # no registry value
    assert translate(rule, field(type_, choices=SITES), "") == ""


def test_a_code_not_among_the_choices_is_refused_naming_them():
    rule = Rule("category", source="f", codes={"1": "bone", "2": "liver", "99": ""})
    with pytest.raises(ValueProblem, match=r"'Liver' is not a code of f \(1, 2, 99\)"):
        translate(rule, field("dropdown", choices=SITES), "Liver")


def test_labels_take_the_choices_text():
    rule = Rule("agents", source="f", labels=True)
    assert translate(rule, field("dropdown", choices=SITES), "1") == "Bone"


def test_a_code_without_translation_goes_in_as_it_is():
    rule = Rule("category", source="f")
    assert translate(rule, field("radio", choices={"CR": "CR", "PR": "PR"}), "CR") == "CR"


@pytest.mark.parametrize("type_", ["yesno", "truefalse"])
def test_yes_no_and_true_false_are_booleans_or_empty(type_):
    rule = Rule("systemic_line_continued", source="f")
    choices = {"1": "Yes", "0": "No"}
    assert translate(rule, field(type_, choices=choices), "1") is True
    assert translate(rule, field(type_, choices=choices), "0") is False
    assert translate(rule, field(type_, choices=choices), "") == ""


def test_yes_no_with_codes_gives_the_registry_code():
    rule = Rule("vital_status", source="f", codes={"1": "dead", "0": "alive"})
    assert translate(rule, field("truefalse", choices={"1": "True", "0": "False"}), "1") == "dead"


def test_a_checkbox_option_is_ticked_or_not():
    rule = Rule("mastectomy", source="surg_proc", option="2")
    checkbox = field("checkbox", choices={"1": "Lumpectomy", "2": "Mastectomy"})
    assert translate(rule, checkbox, "1") is True
    assert translate(rule, checkbox, "0") is False
    assert translate(rule, checkbox, "") is False  # an instance that never showed it
    with pytest.raises(ValueProblem):
        translate(rule, checkbox, "yes")


def test_checkbox_columns_are_named_as_redcap_exports_them():
    assert checkbox_column("surg_proc", "2") == "surg_proc___2"
    assert checkbox_column("site", "A.b") == "site___a_b"
    assert checkbox_column("site", "-1") == "site____1"


@pytest.mark.parametrize(
    ("validation", "text"),
    [
        ("date_ymd", "2021-03-04"),
        ("date_ymd", "2021/03/04"),
        ("date_mdy", "03-04-2021"),
        ("date_mdy", "03/04/2021"),
        ("date_dmy", "04-03-2021"),
        ("date_dmy", "04/03/2021"),
        ("datetime_ymd", "2021-03-04 17:45"),
        ("datetime_mdy", "03-04-2021 17:45"),
        ("datetime_dmy", "04-03-2021 17:45"),
        ("datetime_seconds_ymd", "2021-03-04 17:45:09"),
        ("datetime_seconds_mdy", "03/04/2021 17:45:09"),
        ("datetime_seconds_dmy", "04/03/2021 17:45:09"),
        ("date", "2021-03-04"),  # REDCap's old validation name
        # REDCap's default export writes every date as YYYY-MM-DD, whatever the validation.
        ("date_mdy", "2021-03-04"),
        ("date_dmy", "2021-03-04"),
        ("datetime_seconds_dmy", "2021-03-04 17:45:09"),
    ],
)
def test_every_redcap_date_validation_reads_the_same_day(validation, text):
    assert translate(Rule("d", source="f"), field("text", validation), text) == "2021-03-04"


def test_the_mappings_date_format_reads_an_export_made_in_another_order():
    # An export made with REDCap's "DD/MM/YYYY" setting, of a field validated date_mdy.
    rule = Rule("d", source="f")
    assert translate(rule, field("text", "date_mdy"), "04/03/2021", date_format="dmy") == (
        "2021-03-04"
    )


@pytest.mark.parametrize(
    ("text", "order", "message"),
    [
        ("31/02/2021", "dmy", "not a date of the calendar"),
        ("13/31/2021", "mdy", "not a date of the calendar"),
        ("04/03/21", "dmy", "four digits"),
        ("04/03/2021", "ymd", "YYYY-MM-DD"),
        ("tomorrow", "ymd", "is not a date"),
        ("2021-03-04 25h", "ymd", "is not a date"),
    ],
)
def test_a_date_that_cannot_be_read_says_which_format_was_expected(text, order, message):
    with pytest.raises(ValueProblem, match=message):
        parse_date(text, order)


def test_iso_dates_are_read_in_any_order():
    assert parse_date("2021-12-31", "mdy") == date(2021, 12, 31)


def test_comma_decimals_become_points():
    rule = Rule("total_dose_gy", source="f")
    assert translate(rule, field("text", "number_1dp_comma_decimal"), "50,5") == "50.5"
    assert translate(rule, field("text", "number"), "50.5") == "50.5"


def test_choices_are_read_as_redcap_writes_them():
    assert parse_choices("1, Bone | 2, Liver, or other | 99 , Unknown") == {
        "1": "Bone",
        "2": "Liver, or other",
        "99": "Unknown",
    }
    assert parse_choices("no list here") == {}
