"""REDCap projects through the registry's importer: each layout, all or nothing, errors in
REDCap's terms, idempotent, audited, and scoped to the importing data manager's centres."""

from datetime import date

import pytest

from registry.interop import redcap
from registry.models import (
    PATIENT_RECORD_MODELS,
    FollowUp,
    Patient,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from tests.interop.redcap_project import (
    FOLLOW_UP,
    LINES,
    PATIENT,
    RESPONSES,
    SURGERY,
    mapping,
    project,
    records_csv,
    repeating_rows,
)

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in (Patient, *PATIENT_RECORD_MODELS)} | {
        f"history {m.__name__}": m.history.count() for m in (Patient, *PATIENT_RECORD_MODELS)
    }


def run(user, files, *, dry_run=False):
    return redcap.import_project(
        redcap.read_project(files), user=user, dry_run=dry_run, reason=redcap.import_reason(files)
    )


def located(result) -> set[tuple[str, str]]:
    return {(e.where, e.field) for e in result.errors}


def test_a_repeating_instruments_export_becomes_whole_cases(data_manager):
    result = run(data_manager, project(records_csv(repeating_rows())))

    assert result.ok and result.written, result.errors
    assert result.created == {
        "patients": 1,
        "treatment lines": 2,
        "response assessments": 3,
        "surgeries": 1,
        "follow-up contacts": 1,
    }
    patient = Patient.objects.get()
    assert (patient.registry_id, patient.centre.code, patient.record_number) == (
        "RC-1",
        "CA",
        "H-1",
    )
    assert patient.birth_date == date(1960, 5, 1)  # date_dmy, 01/05/1960
    assert (patient.presentation, patient.histology) == ("de_novo", "ductal")
    lines = list(TreatmentLine.objects.order_by("number"))
    assert [(line.regimen, line.start_date, line.end_date, line.end_reason) for line in lines] == [
        ("chemotherapy", date(2019, 3, 15), date(2020, 1, 10), "progression"),  # date_mdy
        ("endocrine_cdk46", date(2020, 1, 20), None, ""),
    ]
    assert [
        (r.line.number, r.assessed_on, r.category)
        for r in ResponseAssessment.objects.order_by("assessed_on")
    ] == [  # datetime_seconds_dmy: the day kept
        (1, date(2019, 6, 15), "PR"),
        (1, date(2019, 9, 15), "CR"),
        (2, date(2020, 4, 20), "PR"),
    ]
    surgery = Surgery.objects.get()
    assert (surgery.lumpectomy, surgery.mastectomy, surgery.axillary_dissection) == (
        False,
        True,
        True,
    )
    assert (surgery.intent, surgery.systemic_line_continued) == ("locoregional_control", True)
    contact = FollowUp.objects.get()
    assert (contact.vital_status, contact.disease_status) == ("alive", "with_disease")


def test_a_flat_export_one_row_per_record(data_manager):
    rows = [
        {"record_id": "7", **PATIENT, **LINES[0], **RESPONSES[0], **SURGERY, **FOLLOW_UP},
        {"record_id": "8", **PATIENT, "mrn": "H-8", **LINES[1], **FOLLOW_UP},
    ]
    result = run(data_manager, project(records_csv(rows, repeating=False)))

    assert result.ok, result.errors
    assert set(Patient.objects.values_list("registry_id", flat=True)) == {"RC-7", "RC-8"}
    assert TreatmentLine.objects.get(patient__registry_id="RC-8").agents == (
        "letrozole + palbociclib"
    )
    assert ResponseAssessment.objects.get().patient.registry_id == "RC-7"
    assert Surgery.objects.count() == 1  # record 8 left the surgery instrument empty


def longitudinal_rows() -> list[dict]:
    """The patient and the repeating instruments at baseline, a follow-up each year."""
    return [
        {"record_id": "1", "redcap_event_name": "baseline_arm_1", **PATIENT},
        *({**row, "redcap_event_name": "baseline_arm_1"} for row in repeating_rows()[1:]),
        {"record_id": "1", "redcap_event_name": "year_1_arm_1", **FOLLOW_UP},
        {
            "record_id": "1",
            "redcap_event_name": "year_2_arm_1",
            **FOLLOW_UP,
            "fu_date": "2021-05-30",
            "fu_status": "1",
        },
    ]


def longitudinal_mapping() -> dict:
    document = mapping()
    document["records"]["patients"]["event"] = "baseline_arm_1"
    return document


def test_a_longitudinal_export_gives_a_record_per_event(data_manager):
    result = run(
        data_manager, project(records_csv(longitudinal_rows(), events=True), longitudinal_mapping())
    )

    assert result.ok, result.errors
    assert list(
        FollowUp.objects.order_by("contact_date").values_list("contact_date", "disease_status")
    ) == [
        (date(2020, 6, 1), "with_disease"),
        (date(2021, 5, 30), "ned"),
    ]
    assert TreatmentLine.objects.count() == 2 and ResponseAssessment.objects.count() == 3


def test_errors_name_the_event_instrument_instance_and_field(data_manager):
    rows = longitudinal_rows()
    rows[-2]["fu_date"] = "2021-02-30"  # year 1: not a date
    rows[-1]["fu_dead"] = "1"  # year 2: dead, without a death date
    before = counts()

    result = run(data_manager, project(records_csv(rows, events=True), longitudinal_mapping()))

    assert not result.ok and counts() == before
    year_1 = f"record 1, event year_1_arm_1, instrument follow_up (records line {len(rows)})"
    year_2 = f"record 1, event year_2_arm_1, instrument follow_up (records line {len(rows) + 1})"
    assert [(e.where, e.field, e.message) for e in result.errors] == [
        (year_1, "fu_date", "'2021-02-30' is not a date of the calendar (YYYY-MM-DD)."),
        (year_2, "fu_death", "Give the date of death."),
    ]
    assert result.errors[1].redcap == {
        "record": "1",
        "event": "year_2_arm_1",
        "instrument": "follow_up",
        "instance": "",
        "field": "fu_death",
        "line": len(rows) + 1,
    }


def test_a_broken_record_is_refused_with_its_location_and_nothing_is_written(data_manager):
    rows = repeating_rows() + repeating_rows("2", mrn="H-2")
    rows[1 + 7]["line_end_reason"] = ""  # record 2's line 1 ends without a reason
    rows[2 + 7]["line_start"] = "31/01/2020"  # and its line 2 starts in month 31 (date_mdy)
    rows[4]["resp_line"] = "3"  # record 1's second response names a line it has not
    before = counts()

    result = run(data_manager, project(records_csv(rows)))

    assert not result.ok and not result.written and counts() == before
    assert located(result) == {
        ("record 2, instrument treatment_line, instance 1 (records line 10)", "line_end_reason"),
        ("record 2, instrument treatment_line, instance 2 (records line 11)", "line_start"),
        ("record 1, instrument response, instance 2 (records line 6)", "resp_line"),
    }
    messages = {e.field: e.message for e in result.errors}
    assert messages == {
        "line_end_reason": "Give the reason the line ended.",
        "line_start": "'31/01/2020' is not a date of the calendar (MM-DD-YYYY).",
        "resp_line": "This record has no treatment line 3.",
    }
    assert result.created == {} and result.unchanged == {}


def test_a_broken_mapping_is_refused_before_the_records_are_read(data_manager):
    document = mapping()
    document["records"]["treatment_lines"]["fields"]["start_date"] = "line_no"
    document["records"]["patients"]["fields"]["presentation"]["codes"][3] = "de_novo"
    before = counts()

    # The records are not even text: a mapping problem is all the answer says.
    result = run(data_manager, project(b"\xff\xfe not a records file", document))

    assert not result.ok and counts() == before
    assert located(result) == {
        ("mapping › records › patients[1] › fields › presentation", "presentation"),
        ("mapping › records › treatment_lines[1] › fields › start_date", "line_no"),
    }


def test_a_mapped_column_missing_from_the_records_file_is_refused(data_manager):
    text = records_csv(repeating_rows()).decode().replace("surg_proc___4", "surg_proc___9")
    result = run(data_manager, project(text.encode()))
    assert located(result) == {
        ("mapping › records › surgeries[1] › fields › axillary_dissection", "surg_proc___4")
    }


def test_the_same_files_twice_change_nothing_the_second_time(data_manager):
    files = project(records_csv(repeating_rows()))
    assert run(data_manager, files).ok
    before = counts()

    result = run(data_manager, files)

    assert result.ok and result.created == {} and result.updated == {}
    assert sum(result.unchanged.values()) == 8
    assert counts() == before


def test_a_dry_run_counts_and_writes_nothing(data_manager):
    result = run(data_manager, project(records_csv(repeating_rows())), dry_run=True)
    assert result.ok and not result.written
    assert result.created["response assessments"] == 3
    assert Patient.objects.count() == 0


def test_audit_rows_name_the_user_and_the_redcap_import(data_manager):
    run(data_manager, project(records_csv(repeating_rows())))
    rows = [*Patient.history.all(), *TreatmentLine.history.all(), *Surgery.history.all()]
    assert len(rows) == 4
    for row in rows:
        assert row.history_user == data_manager
        assert row.history_change_reason == (
            "REDCap import of records.csv (data dictionary dictionary.csv, mapping mapping.yaml)"
        )


def test_a_changed_value_updates_its_record_only(data_manager):
    assert run(data_manager, project(records_csv(repeating_rows()))).ok
    rows = repeating_rows()
    rows[1]["line_agents"] = "nab-paclitaxel"

    result = run(data_manager, project(records_csv(rows)))

    assert result.updated == {"treatment lines": 1}
    line = TreatmentLine.objects.get(number=1)
    assert line.agents == "nab-paclitaxel"
    assert line.history.first().history_change_reason.startswith("REDCap import")


def test_the_centre_comes_from_a_field_and_only_the_users_centres_import(data_manager, centre_b):
    document = mapping(centre={"field": "site", "codes": {1: "CA", 2: "CB"}})
    rows = repeating_rows() + repeating_rows("2", mrn="H-2", site="2")
    before = counts()

    result = run(data_manager, project(records_csv(rows), document))

    assert [(e.where, e.field, e.message) for e in result.errors] == [
        ("record 2 (records line 9)", "site", "Centre 'CB' is not one you can import into.")
    ]
    assert counts() == before


def test_a_data_access_group_names_the_centre(data_manager):
    document = mapping(centre={"field": "redcap_data_access_group", "codes": {"milan": "CA"}})
    rows = repeating_rows()
    text = records_csv(rows).decode().splitlines()
    text[0] += ",redcap_data_access_group"
    text[1:] = [line + (",milan" if number == 0 else ",") for number, line in enumerate(text[1:])]
    result = run(data_manager, project("\n".join(text).encode(), document))
    assert result.ok, result.errors
    assert Patient.objects.get().centre.code == "CA"


def test_a_patient_value_given_twice_differently_must_name_its_event(data_manager):
    rows = longitudinal_rows()
    rows.append(
        {"record_id": "1", "redcap_event_name": "year_1_arm_1", **PATIENT, "dob": "02/05/1960"}
    )
    result = run(data_manager, project(records_csv(rows, events=True)))  # no event in the mapping
    [error] = result.errors
    assert (error.field, error.redcap["event"]) == ("dob", "year_1_arm_1")
    assert "name the event in the mapping" in error.message


def test_a_record_id_that_makes_no_registry_id_is_located_at_the_record_id(data_manager):
    result = run(data_manager, project(records_csv(repeating_rows("a b"))))
    assert [(e.where, e.field) for e in result.errors] == [
        ("record a b (records line 2)", "record_id")
    ]


def test_only_data_managers_import(auditor):
    result = run(auditor, project(records_csv(repeating_rows())))
    assert [e.message for e in result.errors] == ["Only data managers can import."]


@pytest.mark.parametrize("number", ["Infinity", "NaN", "1e999999999", "sNaN", "1.5", "one"])
def test_a_line_number_that_is_no_line_is_located_not_crashed(data_manager, number):
    rows = repeating_rows()
    rows[3]["resp_line"] = number  # the first response
    result = run(data_manager, project(records_csv(rows)))
    assert ("record 1, instrument response, instance 1 (records line 5)", "resp_line") in located(
        result
    )
    assert not Patient.objects.exists()


def test_an_instrument_may_repeat_in_one_event_and_not_in_another(data_manager):
    rows = longitudinal_rows()
    year_1 = rows[-2]
    rows[-2:-1] = [
        {**year_1, "redcap_repeat_instrument": "follow_up", "redcap_repeat_instance": "1"},
        {
            **year_1,
            "redcap_repeat_instrument": "follow_up",
            "redcap_repeat_instance": "2",
            "fu_date": "2020-12-01",
        },
    ]
    result = run(data_manager, project(records_csv(rows, events=True), longitudinal_mapping()))
    assert result.ok, result.errors
    assert list(
        FollowUp.objects.order_by("contact_date").values_list("contact_date", flat=True)
    ) == [
        date(2020, 6, 1),
        date(2020, 12, 1),
        date(2021, 5, 30),
    ]


def test_a_registry_id_of_another_centre_is_refused_and_left_alone(data_manager, case_b):
    files = project(records_csv(repeating_rows("0001")), mapping(registry_id="MBC-B{record}"))
    before = counts()

    result = run(data_manager, files)

    assert [(e.where, e.field, e.message) for e in result.errors] == [
        ("record 0001 (records line 2)", "record_id", "This registry ID is not available to you.")
    ]
    assert counts() == before
