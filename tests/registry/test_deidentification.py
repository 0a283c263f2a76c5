"""Analysts never receive a name, record number or birth date, on any page they can open."""

import io
import re
import tempfile
import zipfile
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.models import BoardMeeting, Patient
from registry.record_types import RECORD_TYPES
from tests.conftest import Case
from tests.jobs import jobs_run
from tests.registry.test_url_access import EXPECTED, examples


def readable_text(response) -> str:
    """The text a user could read in a response: pages, CSV, JSON, SVG, XLSX cells, and
    every file of a reproducible package (Stata and SPSS files as their values)."""
    content_type = response["Content-Type"]
    content = b"".join(response) if response.streaming else response.content
    if content_type.startswith("image/png"):
        return ""  # drawn from the same report dict, whose text is checked as JSON
    if "spreadsheetml" in content_type:
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            return "".join(workbook.read(name).decode() for name in workbook.namelist())
    if content_type == "application/zip":
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return "\n".join(
                package_member_text(name, package.read(name)) for name in package.namelist()
            )
    return content.decode()


def package_member_text(name: str, content: bytes) -> str:
    """A package member as text: Stata and SPSS files read back, their labels and every
    value (dates as ISO and dd/mm/yyyy, as the identifiers are searched)."""
    import pyreadstat

    if not name.endswith((".dta", ".sav")):
        return content.decode()
    with tempfile.NamedTemporaryFile(suffix=name[-4:]) as handle:
        handle.write(content)
        handle.flush()
        read = pyreadstat.read_dta if name.endswith(".dta") else pyreadstat.read_sav
        frame, meta = read(handle.name)
    values = [
        f"{v.isoformat()} {v.strftime('%d/%m/%Y')}" if isinstance(v, date) else str(v)
        for column in frame.columns
        for v in frame[column]
    ]
    labels = [*meta.column_names, *meta.column_labels, *meta.variable_value_labels.values()]
    return "\n".join(map(str, [*labels, *values]))


def identifiers(case) -> list[str]:
    return patient_identifiers(case.patient)


def patient_identifiers(p) -> list[str]:
    return [
        p.family_name,
        p.given_name,
        p.record_number,
        p.birth_date.strftime("%d/%m/%Y"),
        p.birth_date.isoformat(),
    ]


@pytest.mark.django_db
def test_analyst_pages_carry_no_identifying_data(client, analyst, case_a, case_b):
    client.force_login(analyst)
    opened = 0
    for name in EXPECTED:
        for case in (case_a, case_b):
            for kwargs in examples(name, case):
                response = client.get(reverse(name, kwargs=kwargs))
                if response.status_code != 200:
                    continue
                opened += 1
                page = readable_text(response)
                for value in identifiers(case_a) + identifiers(case_b):
                    assert value not in page, (name, kwargs, value)
    assert opened >= 30  # lists, case pages, meetings, reports, downloads were really read


@pytest.mark.django_db
def test_analyst_search_by_record_number_finds_nothing(client, analyst, case_a):
    client.force_login(analyst)
    response = client.get(reverse("registry:patient-list"), {"q": case_a.patient.record_number})
    assert response.context["paginator"].count == 0


@pytest.mark.django_db
def test_data_manager_sees_the_identifying_data_of_own_patients(client, data_manager, case_a):
    client.force_login(data_manager)
    page = client.get(
        reverse("registry:patient-detail", args=[case_a.patient.registry_id])
    ).content.decode()
    assert case_a.patient.family_name in page
    assert case_a.patient.record_number in page


@pytest.mark.django_db
def test_analyst_api_responses_carry_no_identifying_data(analyst, case_a, case_b):
    from rest_framework.test import APIClient

    from tests.registry.test_api_access import EXPECTED as API_ROUTES
    from tests.registry.test_api_access import url

    client = APIClient()
    client.force_authenticate(analyst)
    read = 0
    for name in API_ROUTES:
        for case in (case_a, case_b):
            response = client.get(url(name, case))
            if response.status_code != 200:
                continue
            read += 1
            text = readable_text(response)
            for value in identifiers(case_a) + identifiers(case_b):
                assert value not in text, (name, value)
    export = client.get("/api/export/", {"output": "xlsx"})
    assert export.status_code == 200
    for value in identifiers(case_a):
        assert value not in readable_text(export)
    assert read >= 40


CENTRES = ("MIL", "TOR", "NAP")  # the demo network


def record_slug(api_route: str) -> str | None:
    """The record kind of a record's API detail route (its URL needs one of that kind)."""
    if api_route.startswith("api:record-") and api_route.endswith("-detail"):
        return api_route.removeprefix("api:record-").removesuffix("-detail")
    return None


def demo_case(patient) -> Case:
    """A demo patient as the URL examples want it: one record of each kind it has."""
    records = {}
    for slug, kind in RECORD_TYPES.items():
        record = kind.model.objects.filter(patient=patient).first()
        if record is not None:
            records[slug] = record
    meeting = BoardMeeting.objects.filter(centre=patient.centre).first()
    return Case(patient, records, meeting)


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")  # 24 patients
def test_no_analyst_response_names_any_demo_patient(client, django_user_model):
    """The demo cohort, every analyst page, download and API answer (the FHIR bundles of the
    cases and of the cohort too), every patient's identifiers; case pages and records of
    every third discussed patient."""
    from rest_framework.test import APIClient

    from tests.registry.test_api_access import EXPECTED as API_ROUTES
    from tests.registry.test_api_access import url

    call_command("seed_demo", patients=24, seed=5, stdout=io.StringIO())
    patients = list(Patient.objects.order_by("registry_id"))
    # As whole words: "Conti" is a demo family name and the start of "Continue treatment".
    secrets = re.compile(
        "|".join(rf"\b{re.escape(value)}\b" for p in patients for value in patient_identifiers(p))
    )
    discussed = [demo_case(p) for p in patients if p.casediscussion_set.exists()]
    sample = [c for code in CENTRES for c in discussed if c.patient.centre.code == code][::3]
    analyst = django_user_model.objects.get(username="analyst")
    client.force_login(analyst)
    api = APIClient()
    api.force_authenticate(analyst)

    urls = {reverse(n, kwargs=k) for n in EXPECTED for c in sample for k in examples(n, c)}
    responses = [client.get(u) for u in sorted(urls)]
    urls = {url(n, c) for n in API_ROUTES for c in sample if record_slug(n) in (None, *c.records)}
    responses += [api.get(u) for u in sorted(urls)]
    responses += [api.get("/api/export/", {"output": output}) for output in ("json", "xlsx")]
    with jobs_run():  # the FHIR mCODE bundle of the cohort is made by a job
        started = api.post("/api/export/?output=fhir")
    responses.append(api.get(api.get(started["Location"]).json()["result_url"]))

    read = [r for r in responses if r.status_code == 200]
    assert {c.patient.centre.code for c in sample} >= {"MIL", "TOR"}
    assert len(read) >= 60
    packages = [r for r in read if r["Content-Type"] == "application/zip"]
    assert len(packages) >= 4  # the three reports' pages and the API's
    for response in read:
        text = readable_text(response)
        leaked = secrets.findall(text)
        assert not leaked, (response.wsgi_request.get_full_path(), leaked[:3])


@pytest.mark.parametrize("suffix", [".dta", ".sav"])
def test_a_package_is_read_down_to_its_statistics_files_values(tmp_path, suffix):
    """The walk above would see a name or a birth date inside a Stata or SPSS file."""
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"family_name": ["Rossi"], "born": [date(1960, 1, 1)]})
    path = tmp_path / f"leak{suffix}"
    write = pyreadstat.write_dta if suffix == ".dta" else pyreadstat.write_sav
    write(frame, path)

    text = package_member_text(f"stata/leak{suffix}", path.read_bytes())
    assert "Rossi" in text and "01/01/1960" in text and "1960-01-01" in text
