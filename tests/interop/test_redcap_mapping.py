"""A mapping the data dictionary or the registry contradicts is refused with every problem
listed, before any record is read (pure checks; the import refusing it is in test_redcap_import)."""

import json

import pytest

from registry.interop.redcap.dictionary import read_dictionary
from registry.interop.redcap.errors import RedcapFileError
from registry.interop.redcap.mapping import check_columns, check_mapping, read_mapping
from tests.interop.redcap_project import columns, dictionary_csv, mapping

DICTIONARY = read_dictionary(dictionary_csv())


def problems(document) -> set[tuple[str, str]]:
    _, found = check_mapping(document, DICTIONARY)
    return {(p.where, p.field) for p in found}


def messages(document) -> list[str]:
    return [p.message for p in check_mapping(document, DICTIONARY)[1]]


def test_the_test_mapping_agrees_with_its_dictionary():
    assert problems(mapping()) == set()


def test_every_contradiction_is_listed_at_once():
    broken = mapping()
    fields = broken["records"]["treatment_lines"]["fields"]
    fields["agents"] = "line_medicine"  # not in the dictionary
    fields["regimen"]["codes"][7] = "adc"  # 7 is not a choice of line_regimen
    fields["number"] = "line_start"  # a date feeding a number
    fields["start_date"] = "line_no"  # a number feeding a date
    fields["cycles"] = "line_no"  # not a field of the registry's lines
    follow_up = broken["records"]["follow_up"]["fields"]
    follow_up["disease_status"] = "fu_score"  # a slider (number) feeding a vocabulary

    found = problems(broken)

    place = "mapping › records › treatment_lines[1] › fields"
    assert found == {
        (f"{place} › agents", "line_medicine"),
        (f"{place} › regimen", "line_regimen"),
        (f"{place} › number", "line_start"),
        (f"{place} › start_date", "line_no"),
        (place, "cycles"),
        ("mapping › records › follow_up[1] › fields › disease_status", "fu_score"),
    }
    text = " ".join(messages(broken))
    assert "No field 'line_medicine' in the data dictionary." in text
    assert "Code(s) 7 are not choices of line_regimen (1, 2)." in text
    assert "line_start is a date field (date_mdy); the registry's number is a number" in text
    assert "The registry's start_date is a date; line_no is a number field (integer)." in text
    assert "The registry's treatment lines have no field 'cycles'" in text


def test_a_choice_without_translation_and_a_value_the_registry_lacks_are_refused():
    broken = mapping()
    histology = broken["records"]["patients"]["fields"]["histology"]
    del histology["codes"][99]
    histology["codes"][2] = "papillary"

    assert set(messages(broken)) == {
        "Choice(s) 99 of histology have no translation; map each (to an empty value if "
        "the registry has none).",
        "Code 2 becomes 'papillary': not one of ductal, lobular, mixed, not_recorded, other, "
        "unknown.",
    }


def test_codes_the_registry_does_not_know_need_a_translation():
    broken = mapping()
    broken["records"]["responses"]["fields"]["category"] = "resp_recist"  # codes 1, 2, 4
    [message] = messages(broken)
    assert message.startswith("Codes 1, 2, 4 of resp_recist are not values of the registry's")


def test_checkbox_fields_feed_one_option_at_a_time():
    broken = mapping()
    surgery = broken["records"]["surgeries"]["fields"]
    surgery["lumpectomy"] = "surg_proc"
    surgery["mastectomy"] = {"field": "surg_proc", "option": 3}
    assert problems(broken) == {
        ("mapping › records › surgeries[1] › fields › lumpectomy", "surg_proc"),
        ("mapping › records › surgeries[1] › fields › mastectomy", "surg_proc"),
    }
    assert "Option '3' is not one of the field's choices (1, 2, 4)." in messages(broken)


def test_a_field_of_another_instrument_a_missing_required_field_and_unknown_kinds():
    broken = mapping()
    lines = broken["records"]["treatment_lines"]["fields"]
    lines["agents"] = "surname"  # on the patient instrument
    del lines["start_date"]
    broken["records"]["board_discussions"] = {"instrument": "patient", "fields": {}}
    broken["records"]["follow_up"]["instrument"] = "follow_ups"

    assert problems(broken) == {
        ("mapping › records › treatment_lines[1] › fields › agents", "surname"),
        ("mapping › records › treatment_lines[1] › fields", "start_date"),
        ("mapping › records", "board_discussions"),
        ("mapping › records › follow_up[1]", "instrument"),
    }


def test_yes_no_feeds_yes_no_fields_only_without_codes():
    broken = mapping()
    broken["records"]["follow_up"]["fields"]["vital_status"] = "fu_dead"
    broken["records"]["surgeries"]["fields"]["systemic_line_continued"] = "surg_intent"
    assert problems(broken) == {
        ("mapping › records › follow_up[1] › fields › vital_status", "fu_dead"),
        ("mapping › records › surgeries[1] › fields › systemic_line_continued", "surg_intent"),
    }


def test_the_mappings_own_keys_are_checked():
    broken = mapping(registry_id="RC-{id}", centre={"field": "mrn", "codes": {}}, colour="red")
    broken["date_format"] = "ddmmyy"
    broken["records"]["surgeries"]["fields"]["intent"] = {"value": "heroic"}
    assert problems(broken) == {
        ("mapping", "registry_id"),
        ("mapping › centre", "mrn"),
        ("mapping", "colour"),
        ("mapping", "date_format"),
        ("mapping › records › surgeries[1] › fields › intent", "intent"),
    }


def test_a_centre_from_a_field_needs_every_choice():
    broken = mapping(centre={"field": "site", "codes": {1: "CA"}})
    assert problems(broken) == {("mapping › centre", "site")}
    assert problems(mapping(centre={"field": "site", "codes": {1: "CA", 2: "CB"}})) == set()
    assert problems(mapping(centre={"field": "redcap_data_access_group", "codes": {}})) == set()


@pytest.mark.parametrize("document", [None, [], "text", {"records": []}, {"records": {"x": 1}}])
def test_a_mapping_of_the_wrong_shape_is_refused_not_crashed(document):
    assert problems(document)


def test_columns_the_mapping_needs_must_be_in_the_records_file():
    the_mapping, _ = check_mapping(mapping(), DICTIONARY)
    header = [c for c in columns() if c not in ("surg_proc___4", "line_agents")]
    found = {(p.where, p.field) for p in check_columns(the_mapping, header)}
    assert found == {
        ("mapping › records › treatment_lines[1] › fields › agents", "line_agents"),
        ("mapping › records › surgeries[1] › fields › axillary_dissection", "surg_proc___4"),
    }


def test_an_event_needs_a_longitudinal_export():
    document = mapping()
    document["records"]["patients"]["event"] = "baseline_arm_1"
    the_mapping, _ = check_mapping(document, DICTIONARY)
    [problem] = check_columns(the_mapping, columns())
    assert problem.field == "event"
    assert check_columns(the_mapping, columns(events=True)) == []


def test_mappings_are_read_as_yaml_or_json():
    assert read_mapping(json.dumps(mapping()).encode(), name="m.json") == json.loads(
        json.dumps(mapping())
    )
    with pytest.raises(RedcapFileError, match="not readable YAML or JSON"):
        read_mapping(b"records: [unclosed", name="m.yaml")
    with pytest.raises(RedcapFileError, match="not UTF-8"):
        read_mapping(b"\xff\xfe", name="m.yaml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"a,b\n1,2\n", "no 'Variable / Field Name' column"),
        (
            b"field_name,form_name,field_type,field_label,select_choices_or_calculations,"
            b"text_validation_type_or_show_slider_number\nx,f,radio,X,nonsense,\n",
            "no readable choices",
        ),
        (
            b"field_name,form_name,field_type,field_label,select_choices_or_calculations,"
            b"text_validation_type_or_show_slider_number\nx,f,matrix,X,,\n",
            "unknown type",
        ),
    ],
)
def test_a_data_dictionary_that_cannot_be_read_says_why(content, message):
    with pytest.raises(RedcapFileError, match=message):
        read_dictionary(content)


def test_the_apis_metadata_header_is_read_too():
    content = (
        b"field_name,form_name,field_type,field_label,select_choices_or_calculations,"
        b"text_validation_type_or_show_slider_number\nrecord_id,patient,text,ID,,\n"
        b"seen,patient,text,Seen on,,date_dmy\n"
    )
    dictionary = read_dictionary(content)
    assert dictionary.record_id_field == "record_id"
    assert dictionary.fields["seen"].date_order == "dmy"
