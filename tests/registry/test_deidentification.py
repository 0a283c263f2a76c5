"""Analysts never receive a name, record number or birth date, on any page they can open."""

import io
import zipfile

import pytest
from django.urls import reverse

from tests.registry.test_url_access import EXPECTED, examples


def readable_text(response) -> str:
    """The text a user could read in a response: pages, CSV, JSON, SVG, XLSX cells."""
    content_type = response["Content-Type"]
    content = b"".join(response) if response.streaming else response.content
    if content_type.startswith("image/png"):
        return ""  # drawn from the same report dict, whose text is checked as JSON
    if "spreadsheetml" in content_type:
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            return "".join(workbook.read(name).decode() for name in workbook.namelist())
    return content.decode()


def identifiers(case) -> list[str]:
    p = case.patient
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
