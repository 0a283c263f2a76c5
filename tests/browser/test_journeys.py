"""The issue's journeys, each as a person would work, in headless Chromium.

Forms are filled by typing and sent with the Enter key; choices are picked as from the
keyboard. Each step waits for the page it leads to, never for a time.
"""

import csv
import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from registry import services
from registry.models import Patient, TreatmentLine

from .conftest import log_in

pytestmark = pytest.mark.browser


def fill(page, values: dict) -> None:
    """Type text and dates, pick choices and tick boxes, field by field (by name)."""
    for name, value in values.items():
        field = page.locator(f"[name={name}]")
        tag = field.evaluate("e => e.tagName + (e.type ? ':' + e.type : '')")
        if tag.startswith("SELECT"):
            field.select_option(value)
        elif tag.endswith(":checkbox"):
            field.focus()
            if field.is_checked() != value:
                page.keyboard.press("Space")
        else:
            field.fill(value)


def submit(page, button: str = "Save") -> None:
    """Focus the button and press Enter; return once the answer has loaded."""
    page.get_by_role("button", name=button, exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def add_record(page, server, registry_id, kind, values, *, another=False) -> None:
    page.goto(f"{server.url}/patients/{registry_id}/{kind}/new/")
    # The browser applies `autofocus` at its next rendering step, which may come after the
    # load event: wait for the cursor to arrive, as a person would.
    focused = page.locator(":focus")
    expect(focused, "the form puts the cursor in its first field").to_have_attribute(
        "name", re.compile(r"\S")
    )
    fill(page, values)
    submit(page, "Save and add another" if another else "Save")
    expect(page.locator(".messages")).to_contain_text("saved")


def test_data_manager_enters_a_whole_case_by_keyboard(page, demo, shoot):
    log_in(page, demo, "dm_mil")
    page.goto(f"{demo.url}/patients/new/")
    fill(
        page,
        {
            "record_number": "MIL-JOURNEY-1",
            "family_name": "Viaggio",
            "given_name": "Giulia",
            "sex": "F",
            "birth_date": "12/03/1961",
            "primary_diagnosis_date": "10.01.2020",  # dots are accepted too
            "mbc_diagnosis_date": "2020-01-10",  # and ISO
            "presentation": "de_novo",
            "histology": "ductal",
        },
    )
    shoot(page, "new-patient")
    submit(page)
    expect(page.locator(".messages")).to_contain_text("created")
    registry_id = page.locator("h1").inner_text().split()[0]
    patient = Patient.objects.get(registry_id=registry_id)
    assert patient.primary_diagnosis_date.isoformat() == "2020-01-10"

    server = demo
    add_record(
        page,
        server,
        registry_id,
        "biology",
        {
            "assessed_on": "15/01/2020",
            "specimen": "primary",
            "er_percent": "90",
            "pr_percent": "60",
            "her2_ihc": "1+",
        },
    )
    add_record(
        page,
        server,
        registry_id,
        "sites",
        {
            "category": "bone",
            "detected_on": "10/01/2020",
            "confirmation": "imaging",
        },
        another=True,
    )
    # The next site form opens with the date and confirmation kept.
    expect(page.locator("[name=detected_on]")).to_have_value("10/01/2020")
    fill(page, {"category": "liver"})
    submit(page)
    add_record(
        page,
        server,
        registry_id,
        "lines",
        {
            "regimen": "endocrine_cdk46",
            "agents": "letrozole + palbociclib",
            "start_date": "01/02/2020",
            "maintenance_start_date": "01/08/2020",
        },
    )
    line = TreatmentLine.objects.get(patient=patient)
    add_record(
        page,
        server,
        registry_id,
        "responses",
        {
            "line": str(line.pk),
            "assessed_on": "01/05/2020",
            "category": "PR",
            "method": "ct",
        },
        another=True,
    )
    expect(page.locator("[name=line]")).to_have_value(str(line.pk))
    expect(page.locator("[name=method]")).to_have_value("ct")
    shoot(page, "add-another-response")
    fill(page, {"assessed_on": "01/11/2020", "category": "CR"})
    submit(page)
    add_record(
        page,
        server,
        registry_id,
        "progressions",
        {
            "occurred_on": "01/06/2021",
            "kind": "locoregional",
            "locoregional_site": "breast",
            "other_sites_kept_best_response": "true",
        },
    )
    add_record(
        page,
        server,
        registry_id,
        "surgeries",
        {
            "operated_on": "01/07/2021",
            "mastectomy": True,
            "axillary_dissection": True,
            "intent": "locoregional_control",
            "systemic_line_continued": "true",
        },
    )
    add_record(
        page,
        server,
        registry_id,
        "progressions",
        {
            "occurred_on": "01/03/2022",
            "kind": "systemic",
        },
    )
    add_record(
        page,
        server,
        registry_id,
        "follow-up",
        {
            "contact_date": "01/04/2022",
            "vital_status": "alive",
            "disease_status": "with_disease",
        },
    )

    # The course drawing and the derived facts follow the records.
    page.goto(f"{server.url}/patients/{registry_id}/")
    chart = page.locator("svg.course-chart")
    expect(chart.locator(".mark.recist-cr")).to_have_count(1)
    expect(chart.locator(".mark.recist-pr")).to_have_count(1)
    expect(chart.locator(".mark.progression")).to_have_count(2)
    expect(chart.locator(".mark.surgery")).to_have_count(1)
    expect(page.locator("#facts")).to_contain_text("CR on 01/11/2020, line 1 (during maintenance)")
    expect(page.locator("#facts")).to_contain_text("In the OPD-surgery cohort (surgery 01/07/2021)")
    expect(page.locator("#summary")).to_contain_text("Bone, Liver")
    expect(page.locator("#summary")).to_contain_text("Complete response (CR) on 01/11/2020")
    shoot(page, "case")

    # A mistake comes back at the field, on one line, with everything typed kept.
    page.goto(f"{server.url}/patients/{registry_id}/lines/{line.pk}/edit/")
    fill(page, {"end_date": "01/01/2020", "end_reason": "progression", "agents": "letrozole"})
    submit(page)
    error = page.locator(".field.has-error:has([name=end_date]) .errors li")
    expect(error).to_have_text("A line cannot end before it starts.")
    line_height = error.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert error.bounding_box()["height"] < 1.5 * line_height  # one line, one column
    expect(page.locator("[name=agents]")).to_have_value("letrozole")
    assert page.evaluate("document.activeElement.name") in {"end_date", "maintenance_start_date"}
    shoot(page, "error-at-the-field")
    line.refresh_from_db()
    assert line.end_date is None and line.agents == "letrozole + palbociclib"


def figures_loaded(page) -> None:
    figures = page.locator("[data-figure]")
    expect(figures.first).to_be_visible()
    expect(page.locator("[data-figure].loading")).to_have_count(0, timeout=30_000)
    assert figures.count() >= 1
    for index in range(figures.count()):
        assert figures.nth(index).locator("img").evaluate("i => i.naturalWidth") > 0


def test_analyst_filters_a_report_sees_the_figures_and_downloads_the_same_numbers(
    page, demo, shoot
):
    identifiers = list(Patient.objects.values_list("family_name", "record_number"))
    log_in(page, demo, "analyst")
    page.goto(f"{demo.url}/reports/cr/")
    figures_loaded(page)
    fill(page, {"presentation": "de_novo"})
    submit(page, "Apply")
    expect(page).to_have_url(re.compile(r"presentation=de_novo"))
    figures_loaded(page)
    shoot(page, "cr-report-de-novo")
    shown = page.locator("text=Patients with at least one CR / evaluable patients").locator("..")
    rate = re.search(r"\d+/\d+ \([^)]*\)", shown.inner_text()).group(0)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    rows = csv.DictReader(io.StringIO(download.value.path().read_text()))
    figures = {row["figure"]: row["value"] for row in rows}
    assert figures["overall.cr_rate.display"] == rate
    assert figures["meta.filters.presentation"] == "de_novo"
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))["figures"]
    assert dict(list(sheet.iter_rows(values_only=True))[1:])["overall.cr_rate.display"] == rate

    page.goto(f"{demo.url}/reports/opd/")
    figures_loaded(page)
    shoot(page, "opd-report")
    for url in ("/reports/cr/", "/reports/opd/", "/patients/"):
        page.goto(demo.url + url)
        text = page.locator("body").inner_text()
        assert not [i for pair in identifiers for i in pair if i in text]


def test_auditor_finds_a_change_filters_the_log_to_it_and_exports_it(page, demo, shoot):
    patient = Patient.objects.filter(centre__code="MIL").order_by("registry_id").first()
    line = TreatmentLine.objects.filter(patient=patient).order_by("number").first()
    line.agents = "anastrozole + palbociclib"
    data_manager = type(patient.centre.memberships.first().user).objects.get(username="dm_mil")
    services.record_save(user=data_manager, record=line, reason="corrected from the letter")

    log_in(page, demo, "auditor")
    page.goto(f"{demo.url}/audit/")
    fill(page, {"user": "dm_mil", "patient": patient.registry_id, "action": "changed"})
    submit(page, "Filter")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("dm_mil")
    expect(rows.first).to_contain_text(f"{patient.registry_id}, line 1")
    expect(rows.first).to_contain_text("anastrozole + palbociclib")
    expect(rows.first).to_contain_text("corrected from the letter")
    expect(rows.first).to_contain_text(re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d"))
    shoot(page, "audit-log-filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these changes (CSV)").click()
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(r["user"], r["field"], r["new value"]) for r in exported] == [
        ("dm_mil", "agents", "anastrozole + palbociclib")
    ]

    # Read-only: no control that would change anything.
    for path in (f"/patients/{patient.registry_id}/", "/audit/", "/board/"):
        page.goto(demo.url + path)
        for name in ("Edit", "Delete", "Add", "New", "Archive", "Import"):
            expect(page.get_by_role("link", name=re.compile(f"^{name}"))).to_have_count(0)
    shoot(page, "meetings-read-only")
