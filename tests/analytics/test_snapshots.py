"""Analysis snapshots: frozen at a cut-off, reopened byte for byte after edits, compared.

The cut-off rule itself is tested on hand-built courses in tests/registry/test_cutoff.py.
"""

import csv
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from freezegun import freeze_time
from rest_framework.test import APIClient

from analytics import snapshots
from analytics.catalogue import REPORTS
from analytics.cohorts import build_cohort
from analytics.columns import DATASETS
from analytics.computed import computed_report
from analytics.filters import CohortFilter
from analytics.models import Snapshot
from analytics.package import package_name
from registry import access, quality_services, services
from registry.models import Job, Patient, ReceptorAssessment, ResponseAssessment
from tests.analytics.test_package import rscript_or_skip
from tests.builders import MBC, build_patient, day
from tests.factories import UserFactory
from tests.jobs import jobs_run

pytestmark = pytest.mark.django_db


def snapshot_of(case, *, cutoff: date = date(2019, 12, 31), name: str = "Example") -> Snapshot:
    """A frozen snapshot of the case's centre (frozen directly, without a job)."""
    analyst = UserFactory(role=access.Role.ANALYST, registry_wide=True)
    snapshot = snapshots._numbered(
        name=name, analyst=analyst, data_cutoff=cutoff, filters=CohortFilter().as_dict()
    )
    snapshot.centres.set([case.patient.centre])
    snapshots.freeze(snapshot)
    return snapshot


def freeze_through_the_job(user, *, cutoff: date, name: str = "Paper", **filters) -> Snapshot:
    with jobs_run():
        snapshot = snapshots.start_freeze(
            user=user, name=name, data_cutoff=cutoff, filters=CohortFilter(**filters)
        )
    snapshot.refresh_from_db()
    assert snapshot.job.state == Job.State.SUCCEEDED, snapshot.job.failure_reason
    return snapshot


@pytest.fixture
def cohort(centre_a, centre_b):
    """CR and OPD patients in two centres; events on both sides of 2015-07-01 (month 6)."""
    patients = []
    for centre in (centre_a, centre_a, centre_b):
        patients.append(
            build_patient(
                centre,
                lines=[(0, 10, None, "endocrine"), (10, None, None, "chemotherapy")],
                responses=[(3, 1, "CR"), (9, 1, "PD"), (13, 2, "CR")],
                progressions=[(5, "locoregional")],
                surgeries=[(5.5, {"mastectomy"}, True)],
                last_contact=24,
                disease_status="ned",
            )
        )
    patients.append(
        build_patient(
            centre_b,
            subtype="triple-negative",
            lines=[(0, None, None, "chemotherapy")],
            responses=[(3, 1, "PR")],
            died_at=8,
        )
    )
    return patients


def test_a_snapshot_at_today_has_the_live_datasets_and_reports(analyst, cohort):
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())
    frozen = snapshots.snapshot_cohort(snapshot)
    live = build_cohort(access.patients(analyst), CohortFilter())

    for name in DATASETS:
        assert getattr(frozen, name).equals(getattr(live, name)), name
    for spec in REPORTS.values():
        for by_centre in (False, True):
            live_result = computed_report(analyst, spec, CohortFilter(), by_centre=by_centre).result
            frozen_result = snapshots.snapshot_result(snapshot, spec, by_centre=by_centre)
            live_result.pop("meta"), frozen_result.pop("meta")
            assert frozen_result == live_result, (spec.name, by_centre)


def test_the_cutoff_censors_follow_up_and_leaves_out_later_diagnoses(analyst, cohort, centre_a):
    late = build_patient(centre_a, lines=[(0, None, None, "endocrine")], last_contact=3)
    Patient.objects.filter(pk=late.pk).update(mbc_diagnosis_date=day(7))
    cutoff = day(6)
    snapshot = freeze_through_the_job(analyst, cutoff=cutoff)
    patients = snapshots.snapshot_cohort(snapshot).patients.set_index("registry_id")

    assert late.registry_id not in patients.index
    assert snapshot.selection == {
        "patients_visible": 5,
        "patients_selected": 4,
        "diagnosed_after_cutoff": 1,
    }
    first = patients.loc[cohort[0].registry_id]
    # The CR of month 3 ended at the OPD of month 5; the CR of month 13 is after the cut-off.
    assert first["reached_cr"] and first["cr_episodes"] == 1
    assert first["cr_duration_months"] == (day(5) - day(3)).days / 30.4375
    assert first["cr_duration_event"]
    assert first["last_contact_date"] == cutoff
    assert first["lines_received"] == 1
    assert first["in_opd_cohort"]
    # pS-PFS from the OPD: the PD of month 9 is after the cut-off, so censored at it.
    assert first["ps_pfs_months"] == (cutoff - day(5)).days / 30.4375
    assert not first["ps_pfs_event"]
    died = patients.loc[cohort[3].registry_id]  # died at month 8, after the cut-off
    assert not died["dead"] and died["alive_at_last_contact"]
    assert died["last_contact_date"] == cutoff


def test_a_subtype_filter_applies_to_the_subtype_at_the_cutoff(analyst, cohort):
    # A later assessment changes no reference assessment here; a patient typed only by an
    # assessment after the cut-off is "unknown" in the snapshot.
    patient = cohort[3]
    ReceptorAssessment.objects.filter(patient=patient).update(assessed_on=day(7))
    services.patient_summary_refresh(patient)
    snapshot = freeze_through_the_job(analyst, cutoff=day(6), subtype="unknown")
    frame = snapshots.snapshot_cohort(snapshot).patients

    assert list(frame["registry_id"]) == [patient.registry_id]
    assert list(frame["subtype"]) == ["unknown"]


def outputs(client, snapshot: Snapshot) -> dict[str, bytes]:
    """Every output made from a snapshot, by URL: downloads, figures, datasets, API."""
    code = snapshot.code
    urls = []
    for spec in REPORTS.values():
        for query in ("", "?by_centre=on"):
            urls += [
                reverse("analytics:snapshot-download", args=[code, spec.name, fmt]) + query
                for fmt in ("json", "csv", "xlsx")
            ]
            urls.append(reverse("api:snapshot-report", args=[code, spec.name]) + query)
        urls += [  # a figure drawn from the centres' part where it has one
            reverse("analytics:snapshot-plot", args=[code, spec.name, name, fmt])
            + ("?by_centre=on" if plot.whole_report else "")
            for name, plot in spec.plots.items()
            for fmt in ("png", "svg")
        ]
    urls += [
        reverse("analytics:snapshot-dataset", args=[code, name, fmt])
        for name in DATASETS
        for fmt in ("csv", "xlsx")
    ]
    urls += [reverse("analytics:snapshot-package", args=[code, name]) for name in REPORTS]
    result = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        result[url] = response.content
    return result


def report_pages(client, snapshot: Snapshot) -> dict[str, dict]:
    return {
        spec.name: client.get(
            reverse("analytics:snapshot-report", args=[snapshot.code, spec.name])
        ).context["report"]
        for spec in REPORTS.values()
    }


def test_reopening_after_edits_gives_the_same_bytes(client, analyst, cohort, centre_a):
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())
    client.force_login(analyst)
    before, pages_before = outputs(client, snapshot), report_pages(client, snapshot)
    live_before = client.get(reverse("analytics:download", args=["cr", "json"])).content

    editor = UserFactory(is_superuser=True)
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(2, 1, "CR")])
    services.record_delete(
        user=editor, record=ResponseAssessment.objects.filter(patient=cohort[0]).last()
    )
    services.patient_archive(user=editor, patient=cohort[3], reason="duplicate")
    with freeze_time(date.today() + timedelta(days=400)):
        client.force_login(analyst)  # the session would have expired
        after, pages_after = outputs(client, snapshot), report_pages(client, snapshot)
        live_after = client.get(reverse("analytics:download", args=["cr", "json"])).content

    assert live_after != live_before  # the edits did change the live report
    # 18 report files, 6 API answers, 16 figures, 8 datasets, 3 reproducible packages.
    assert len(before) == 51
    for url, content in before.items():
        assert after[url] == content, url
    assert pages_after == pages_before


def test_a_snapshots_counts_list_the_patients_it_froze_not_todays(
    client, analyst, analyst_a, cohort, centre_a
):
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())
    code, cell = snapshot.code, "overall.patients"
    frozen_list = reverse("analytics:snapshot-patients", args=[code, "cr", cell])
    live_list = reverse("analytics:patients", args=["cr", cell])
    client.force_login(analyst)
    page = client.get(reverse("analytics:snapshot-report", args=[code, "cr"])).content.decode()
    assert f'href="{frozen_list}"' in page
    assert live_list not in page  # no count of a snapshot opens the live registry's list

    editor = UserFactory(is_superuser=True)
    services.patient_archive(user=editor, patient=cohort[3], reason="duplicate")
    newcomer = build_patient(centre_a, lines=[(0, None, None, "endocrine")])

    def listed(url) -> set[str]:
        return {row["registry_id"] for row in client.get(url).context["page_obj"]}

    frozen = {patient.registry_id for patient in cohort}
    assert listed(frozen_list) == frozen
    assert listed(live_list) == frozen - {cohort[3].registry_id} | {newcomer.registry_id}
    download = client.get(reverse("analytics:snapshot-patients-csv", args=[code, "cr", cell]))
    assert download["Content-Disposition"] == f'attachment; filename="{code}-cr-patients.csv"'
    rows = csv.DictReader(io.StringIO(download.content.decode()))
    assert {row["registry_id"] for row in rows} == frozen
    missing = reverse("analytics:snapshot-patients", args=[code, "cr", "overall.median"])
    assert client.get(missing).status_code == 404
    api = APIClient()
    api.force_authenticate(analyst)
    answer = api.get(reverse("api:snapshot-report-patients", args=[code, "cr", cell])).json()
    assert answer["snapshot"] == code
    assert {row["registry_id"] for row in answer["results"]} == frozen
    client.force_login(analyst_a)  # sees centre A only: not this two-centre snapshot
    assert client.get(frozen_list).status_code == 404


def test_a_snapshots_in_doubt_counts_and_lists_are_those_of_the_freeze(
    client, analyst, auditor, data_manager, cohort
):
    doubted, later = cohort[0], cohort[1]
    cell = "overall.selection[de novo].in_doubt.n"

    def ask(patient):
        quality_services.query_raise(
            user=auditor,
            patient=patient,
            question="De novo?",
            assignee=data_manager,
            field_name="presentation",
        )

    ask(doubted)
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())
    ask(later)  # raised after the freeze: in doubt today, not in the snapshot

    assert snapshot.in_doubt["recurrent (not de novo)"] == [doubted.registry_id]
    client.force_login(analyst)
    frozen = client.get(reverse("analytics:snapshot-patients", args=[snapshot.code, "opd", cell]))
    live = client.get(reverse("analytics:patients", args=["opd", cell]))
    assert [row["registry_id"] for row in frozen.context["page_obj"]] == [doubted.registry_id]
    assert {row["registry_id"] for row in live.context["page_obj"]} == {
        doubted.registry_id,
        later.registry_id,
    }
    stored = snapshots.snapshot_result(snapshot, REPORTS["opd"], by_centre=False)
    step = next(s for s in stored["overall"]["selection"] if s["step"] == "de novo")
    assert step["in_doubt"]["n"] == 1


def test_every_output_names_the_snapshot(client, analyst, cohort):
    snapshot = freeze_through_the_job(analyst, cutoff=day(6), name="Galli update")
    client.force_login(analyst)
    code = snapshot.code
    assert code == f"SNAP-{date.today().year}-0001"

    page = client.get(reverse("analytics:snapshot-report", args=[code, "cr"])).content.decode()
    assert page.count(code) >= 3  # title, heading, stamp, figure captions
    report = json.loads(
        client.get(reverse("analytics:snapshot-download", args=[code, "cr", "json"])).content
    )
    assert next(iter(report["meta"])) == "snapshot"
    assert report["meta"]["snapshot"]["id"] == code
    assert report["meta"]["data_cutoff"] == day(6).isoformat()
    assert report["meta"]["generated_at"] == snapshot.frozen_at.isoformat(timespec="seconds")
    figures = csv.DictReader(
        io.StringIO(
            client.get(
                reverse("analytics:snapshot-download", args=[code, "cr", "csv"])
            ).content.decode()
        )
    )
    assert next(figures) == {"figure": "meta.snapshot.id", "value": code}
    svg = client.get(reverse("analytics:snapshot-plot", args=[code, "cr", "duration-of-cr", "svg"]))
    assert f"Snapshot {code}" in svg.content.decode()
    dataset = client.get(reverse("analytics:snapshot-dataset", args=[code, "patients", "csv"]))
    assert dataset.content.decode().splitlines()[1].startswith(f"{code},")
    assert code in dataset["Content-Disposition"]


def test_numbers_are_never_given_twice(analyst, cohort):
    first = freeze_through_the_job(analyst, cutoff=day(6))
    second = freeze_through_the_job(analyst, cutoff=day(6))
    year = date.today().year
    assert [first.code, second.code] == [f"SNAP-{year}-0001", f"SNAP-{year}-0002"]


def test_a_large_selection_is_frozen_in_batches(analyst, cohort, monkeypatch):
    monkeypatch.setattr(snapshots, "BATCH_SIZE", 3)
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())

    assert snapshot.chunks.filter(dataset="patients").count() == 2
    in_one = snapshots.snapshot_cohort(snapshot).patients
    live = build_cohort(access.patients(analyst), CohortFilter()).patients
    assert in_one.equals(live)  # the batches, read back, are in the live cohort's order
    assert snapshot.quality["patients"] == 4


# --- the diff ------------------------------------------------------------------------


def test_the_diff_names_who_entered_left_and_changed_group_and_why(
    client, analyst, cohort, centre_a
):
    earlier = freeze_through_the_job(analyst, cutoff=day(6), name="Mid-year")
    editor = UserFactory(is_superuser=True)
    newcomer = build_patient(centre_a, lines=[(0, None, None, "endocrine")], last_contact=20)
    services.patient_archive(user=editor, patient=cohort[1], reason="withdrew consent")
    ReceptorAssessment.objects.filter(patient=cohort[2]).update(her2_ihc="3+")
    services.patient_summary_refresh(cohort[2])
    later = freeze_through_the_job(analyst, cutoff=day(30), name="Year end")

    diff = snapshots_diff_json(client, analyst, earlier, later)

    assert diff["counts"]["entered"] == 1 and diff["counts"]["left"] == 1
    assert diff["entered"][0]["registry_id"] == newcomer.registry_id
    assert diff["left"] == [
        {
            "registry_id": cohort[1].registry_id,
            "centre": "CA",
            "why": f"not in {later.code}: archived, moved to another centre, deleted, or its "
            "data changed so that the filters no longer select it",
        }
    ]
    changed = {c["registry_id"]: c for c in diff["changed"]}
    typed = changed[cohort[2].registry_id]
    assert typed["changed_group"]
    assert {"field": "subtype_group", "from": "HR+/HER2-", "to": "HER2+"} in typed["group_changes"]
    # Later events came in with the later cut-off: line 2, the PD of month 9 after the OPD,
    # a second CR (month 13), which changes a group.
    first = changed[cohort[0].registry_id]
    assert {"field": "cr_more_than_once", "from": False, "to": True} in first["group_changes"]
    assert {"field": "lines_received", "from": 1, "to": 2} in first["other_changes"]
    assert {"field": "ps_pfs_event", "from": False, "to": True} in first["other_changes"]
    died = changed[cohort[3].registry_id]
    assert {"field": "dead", "from": False, "to": True} in died["group_changes"]

    table = client.get(
        reverse("analytics:snapshot-diff-download", args=[earlier.code, "csv"]), {"to": later.code}
    )
    rows = list(csv.DictReader(io.StringIO(table.content.decode())))
    assert {
        "registry_id": cohort[2].registry_id,
        "change": "changed group",
        "field": "subtype_group",
        "from": "HR+/HER2-",
        "to": "HER2+",
        "why": "",
    } in rows
    page = client.get(reverse("analytics:snapshot-diff", args=[earlier.code]), {"to": later.code})
    assert page.status_code == 200
    assert "HR+/HER2- → HER2+" in page.content.decode()


def snapshots_diff_json(client, user, before, after) -> dict:
    client.force_login(user)
    response = client.get(
        reverse("analytics:snapshot-diff-download", args=[before.code, "json"]), {"to": after.code}
    )
    assert response.status_code == 200
    api = APIClient()
    api.force_authenticate(user)
    from_api = api.get(reverse("api:snapshot-diff", args=[before.code]), {"to": after.code})
    assert from_api.json() == json.loads(response.content)
    return from_api.json()


def test_a_diff_without_a_valid_other_snapshot_is_a_clear_400(client, analyst, case_a):
    snapshot = snapshot_of(case_a)
    client.force_login(analyst)
    url = reverse("analytics:snapshot-diff", args=[snapshot.code])
    chooser = client.get(url)
    assert chooser.status_code == 200 and "No other frozen snapshot" in chooser.content.decode()
    download = reverse("analytics:snapshot-diff-download", args=[snapshot.code, "csv"])
    assert "Say which snapshot" in client.get(download).content.decode()
    response = client.get(url, {"to": "SNAP-1999-0001"})
    assert response.status_code == 400
    assert "No frozen snapshot SNAP-1999-0001" in response.content.decode()
    api = APIClient()
    api.force_authenticate(analyst)
    answer = api.get(reverse("api:snapshot-diff", args=[snapshot.code]), {"to": "nonsense"})
    assert answer.status_code == 400 and "to" in answer.json()


# --- the freeze form and the API -----------------------------------------------------


def test_the_freeze_form_starts_a_job_and_refuses_bad_input(client, analyst_a, case_a):
    client.force_login(analyst_a)
    url = reverse("analytics:snapshot-create")
    assert client.get(url).status_code == 200

    bad = client.post(url, {"name": "", "data_cutoff": "31/02/2020", "mbc_from": "x"})
    assert bad.status_code == 400
    assert bad.context["form"].errors.keys() == {"name", "data_cutoff"}
    assert "mbc_from" in bad.context["filters"].form.errors
    future = (date.today() + timedelta(days=1)).strftime("%d/%m/%Y")
    refused = client.post(url, {"name": "Ahead", "data_cutoff": future})
    assert snapshots.FUTURE_CUTOFF in refused.context["form"].errors["data_cutoff"]
    foreign = client.post(url, {"name": "B", "data_cutoff": "31/12/2019", "centre": ["CB"]})
    assert foreign.status_code == 400
    assert not Snapshot.objects.exists()

    with jobs_run():
        response = client.post(url, {"name": "Board 2019", "data_cutoff": "31/12/2019"})
    snapshot = Snapshot.objects.get()
    assert response.status_code == 302 and response.url == snapshot.job.get_absolute_url()
    assert list(snapshot.centres.values_list("code", flat=True)) == ["CA"]
    job_page = client.get(response.url).content.decode()
    assert snapshot.get_absolute_url() in job_page
    detail = client.get(snapshot.get_absolute_url())
    assert "frozen" in detail.content.decode() and snapshot.code in detail.content.decode()


def test_the_api_freezes_with_202_and_reads_the_snapshot(analyst, case_a, case_b):
    api = APIClient()
    api.force_authenticate(analyst)
    with jobs_run():
        response = api.post(
            reverse("api:snapshot-list"),
            {"name": "API", "data_cutoff": "2019-12-31", "centre": ["CA"]},
            format="json",
        )
    assert response.status_code == 202
    assert response["Location"] == response.json()["url"]
    detail = api.get(response.json()["snapshot"]).json()
    assert detail["status"] == "frozen" and detail["centres"] == ["CA"]
    assert detail["selection"]["patients_selected"] == 1
    listed = api.get(reverse("api:snapshot-list")).json()["results"]
    assert [s["id"] for s in listed] == [detail["id"]]
    report = api.get(detail["reports"]["cr"]).json()
    assert report["meta"]["snapshot"]["id"] == detail["id"]
    assert api.get(reverse("api:snapshot-report", args=[detail["id"], "nope"])).status_code == 404

    bad = api.post(reverse("api:snapshot-list"), {"data_cutoff": "soon"}, format="json")
    assert bad.status_code == 400 and {"name", "data_cutoff"} <= bad.json().keys()
    assert api.post(reverse("api:snapshot-list"), [1], format="json").status_code == 400


def test_the_schema_documents_the_snapshot_routes(analyst):
    api = APIClient()
    api.force_authenticate(analyst)
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()
    paths = schema["paths"]
    assert "post" in paths["/api/snapshots/"]
    assert "/api/snapshots/{snapshot}/reports/{report}/" in paths
    assert "/api/snapshots/{snapshot}/diff/" in paths


# --- who sees a snapshot -------------------------------------------------------------


@pytest.fixture
def three_snapshots(case_a, case_b):
    only_a, only_b = snapshot_of(case_a), snapshot_of(case_b)
    both = snapshot_of(case_a)
    both.centres.add(case_b.patient.centre)
    return {"A": only_a, "B": only_b, "AB": both}


VISIBILITY = [
    ("analyst of every centre", {"role": access.Role.ANALYST, "registry_wide": True}, "A B AB"),
    ("analyst of A", {"role": access.Role.ANALYST, "centres": "A"}, "A"),
    ("analyst of A and B", {"role": access.Role.ANALYST, "centres": "AB"}, "A B AB"),
    ("auditor of every centre", {"role": access.Role.AUDITOR, "registry_wide": True}, "A B AB"),
    ("auditor of B", {"role": access.Role.AUDITOR, "centres": "B"}, "B"),
    ("data manager of A", {"role": access.Role.DATA_MANAGER, "centres": "A"}, ""),
    ("administrator", {"is_superuser": True}, "A B AB"),
]


@pytest.mark.parametrize(("who", "kwargs", "sees"), VISIBILITY)
def test_a_snapshot_is_seen_by_who_sees_all_its_centres(
    client, three_snapshots, centre_a, centre_b, who, kwargs, sees
):
    centres = {"A": centre_a, "B": centre_b}
    if "centres" in kwargs:
        kwargs = {**kwargs, "centres": [centres[c] for c in kwargs["centres"]]}
    user = UserFactory(**kwargs)
    client.force_login(user)
    expected = set(sees.split())
    reports = access.can_view_reports(user)
    for label, snapshot in three_snapshots.items():
        status = 200 if label in expected else (404 if reports else 403)
        for url in (
            snapshot.get_absolute_url(),
            reverse("analytics:snapshot-report", args=[snapshot.code, "cr"]),
            reverse("api:snapshot-detail", args=[snapshot.code]),
        ):
            assert client.get(url).status_code == status, (who, label, url)
    listed = client.get(reverse("api:snapshot-list"))
    if reports:
        codes = {s["id"] for s in listed.json()["results"]}
        assert codes == {three_snapshots[label].code for label in expected}, who
    else:
        assert listed.status_code == 403
        assert client.get(reverse("analytics:snapshot-create")).status_code == 403


# --- queries --------------------------------------------------------------------------


def test_opening_a_snapshot_report_reads_a_fixed_number_of_queries(
    client, analyst, centre_a, django_assert_num_queries
):
    client.force_login(analyst)
    for count in (2, 7):
        for _ in range(count):
            build_patient(
                centre_a,
                lines=[(0, None, None, "endocrine")],
                responses=[(3, 1, "CR")],
                last_contact=12,
            )
        snapshot = freeze_through_the_job(analyst, cutoff=MBC + timedelta(days=400))
        # Session, user, roles, grant (centres seen), the snapshot, its stored result.
        with django_assert_num_queries(6):
            page = client.get(reverse("analytics:snapshot-report", args=[snapshot.code, "opd"]))
        assert page.status_code == 200
        with django_assert_num_queries(6):
            client.get(
                reverse(
                    "analytics:snapshot-plot", args=[snapshot.code, "cr", "duration-of-cr", "png"]
                )
            )
        # A dataset: the snapshot and its stored rows (one query), whatever their number.
        with django_assert_num_queries(6):
            client.get(reverse("analytics:snapshot-dataset", args=[snapshot.code, "lines", "csv"]))


def test_a_snapshot_not_frozen_yet_points_to_its_job(client, analyst, case_a):
    snapshot = snapshots.start_freeze(
        user=analyst, name="Pending", data_cutoff=date(2019, 12, 31), filters=CohortFilter()
    )  # queued, never run here
    client.force_login(analyst)
    page = client.get(snapshot.get_absolute_url()).content.decode()
    assert "freezing" in page and snapshot.job.get_absolute_url() in page
    report = reverse("analytics:snapshot-report", args=[snapshot.code, "cr"])
    assert client.get(report).status_code == 404
    api = APIClient()
    api.force_authenticate(analyst)
    assert api.get(reverse("api:snapshot-report", args=[snapshot.code, "cr"])).status_code == 404

    Job.objects.filter(pk=snapshot.job_id).update(state=Job.State.FAILED)
    assert "failed" in client.get(snapshot.get_absolute_url()).content.decode()
    assert (
        api.get(reverse("api:snapshot-detail", args=[snapshot.code])).json()["status"] == "failed"
    )


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("report", ["cr", "opd"])
def test_a_snapshots_r_script_recomputes_its_figures_after_edits(
    client, analyst, cohort, centre_a, report, tmp_path
):
    """Issue 19's 'done when': the package downloaded from a snapshot, after the registry
    changed, holds the frozen datasets and results, and its R script reproduces every
    figure it recomputes to 1e-6 (it exits 1 otherwise)."""
    rscript = rscript_or_skip(shutil.which("Rscript"))
    snapshot = freeze_through_the_job(analyst, cutoff=date.today())
    client.force_login(analyst)
    url = reverse("analytics:snapshot-package", args=[snapshot.code, report])
    frozen = client.get(url).content
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(2, 1, "CR")])
    services.record_delete(
        user=UserFactory(is_superuser=True),
        record=ResponseAssessment.objects.filter(patient=cohort[0]).last(),
    )

    downloaded = client.get(url).content
    with zipfile.ZipFile(io.BytesIO(downloaded)) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / package_name(report, snapshot.code)
    run = subprocess.run(
        [rscript, "analysis.R"], cwd=folder, capture_output=True, text=True, timeout=300
    )

    assert downloaded == frozen
    assert f"# Snapshot: {snapshot.code}" in (folder / "analysis.R").read_text()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all equal the registry's" in run.stdout
