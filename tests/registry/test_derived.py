"""The derived tables: hand-computed rows, kept by every write in its transaction, rebuilt
by a command and checked against a fresh derivation so they never drift silently."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from analytics.cohorts import build_cohort
from analytics.columns import EPISODE_COLUMNS, LINE_COLUMNS, PATIENT_COLUMNS
from analytics.filters import CohortFilter
from registry import derived, services
from registry.domain.analysis import derived_facts
from registry.models import (
    CrEpisodeSummary,
    LineSummary,
    Patient,
    PatientSummary,
    ResponseAssessment,
)
from registry.selectors import patient_data
from tests.builders import MBC, build_patient, day
from tests.factories import UserFactory, api_key_for

pytestmark = pytest.mark.django_db

M = 30.4375  # days a month


@pytest.fixture
def patient(centre_a):
    """Two CR episodes: the first ended by SD, the second ongoing; radiotherapy before the
    first CR; two sites at the diagnosis. Days: 3 mo = 91, 8 mo = 244, 9 mo = 274,
    12 mo = 365, 20 mo = 609, 2 mo = 61, 4 mo = 122."""
    return build_patient(
        centre_a,
        sites=("bone", "liver"),
        lines=[(0, 10, 4, "chemotherapy"), (10, None, None, "endocrine")],
        responses=[(3, 1, "CR"), (5, 1, "NE"), (8, 1, "SD"), (12, 2, "CR")],
        progressions=[(9, "systemic")],
        radiotherapy=[2],
        last_contact=20,
    )


def episodes(patient) -> list[tuple]:
    return list(
        CrEpisodeSummary.objects.filter(patient=patient)
        .order_by("episode")
        .values_list(*derived.EPISODE_FIELDS)
    )


def test_the_derived_rows_of_a_built_case_are_the_hand_computed_ones(patient):
    summary = PatientSummary.objects.get(patient=patient)
    lines = LineSummary.objects.filter(patient=patient).order_by("line")

    assert (summary.subtype, summary.subtype_group) == ("HR+/HER2-", "HR+/HER2-")
    assert (summary.hr_status, summary.her2_status) == ("positive", "low")
    assert summary.sites_at_mbc_diagnosis == 2
    assert summary.site_bone_at_mbc_diagnosis and summary.site_liver_at_mbc_diagnosis
    assert not summary.site_lung_at_mbc_diagnosis
    assert (summary.line_count, summary.cr_episode_count) == (2, 2)
    assert summary.reached_cr and summary.cr_more_than_once and summary.evaluable_for_response
    assert (summary.first_cr_date, summary.first_cr_line) == (day(3), 1)
    assert summary.first_cr_during_maintenance is False  # maintenance from 122 days, CR at 91
    assert summary.cr_episodes_during_maintenance == 0
    assert summary.local_approach_before_first_cr is True  # radiotherapy at 61 days
    assert summary.single_site_at_first_cr is False
    assert summary.cr_duration_months == (274 - 91) / M
    assert summary.cr_duration_event is True
    assert (summary.last_contact, summary.status_at_last_contact) == (
        day(20),
        "alive_with_disease",
    )
    assert summary.follow_up_from_mbc_months == 609 / M
    assert (summary.dead, summary.death_date, summary.alive_at_last_contact) == (False, None, True)
    assert summary.opd_selection == "no locoregional oligoprogression"
    assert summary.in_opd_cohort is False
    assert summary.first_locoregional_opd_date is None and summary.ps_pfs_months is None
    assert episodes(patient) == [
        (1, day(3), 1, False, day(8), "SD", (274 - 91) / M, True),
        (2, day(12), 2, False, None, None, (609 - 365) / M, False),
    ]
    assert list(lines.values_list(*derived.LINE_FIELDS)) == [
        (1, "chemotherapy", True, True),
        (2, "endocrine", True, True),
    ]


def test_the_cohort_frames_join_the_live_patient_row_to_the_derived_rows(patient):
    cohort = build_cohort(Patient.objects.all(), CohortFilter())
    row = cohort.patients.iloc[0]

    assert list(cohort.patients.columns) == list(PATIENT_COLUMNS)
    assert list(cohort.episodes.columns) == list(EPISODE_COLUMNS)
    assert list(cohort.lines.columns) == list(LINE_COLUMNS)
    assert (row["registry_id"], row["centre"]) == (patient.registry_id, "CA")
    assert (row["mbc_diagnosis_date"], row["mbc_diagnosis_year"]) == (MBC, 2015)
    assert row["age_at_mbc_diagnosis"] == 55  # born 01/01/1960
    assert row["cr_episodes"] == 2 and row["lines_received"] == 2
    assert list(cohort.episodes["episode"]) == [1, 2]
    assert list(cohort.lines["regimen"]) == ["chemotherapy", "endocrine"]


def test_every_derived_column_is_stored_and_every_other_column_is_read_live():
    live = {"registry_id", "centre", "sex", "histology", "presentation", "mbc_diagnosis_date"}
    computed_at_read = {"mbc_diagnosis_year", "age_at_mbc_diagnosis"}

    assert set(derived.PATIENT_FIELDS) == set(PATIENT_COLUMNS) - live - computed_at_read
    assert set(EPISODE_COLUMNS) - {"registry_id", "centre"} == set(derived.EPISODE_FIELDS)
    assert set(LINE_COLUMNS) - {"registry_id", "centre"} == set(derived.LINE_FIELDS)


def test_the_domain_derives_exactly_the_stored_columns(patient):
    item = patient_data(Patient.objects.filter(pk=patient.pk))[patient.pk]
    facts = derived_facts(item.course, item.receptors)

    assert set(facts.patient) == set(derived.PATIENT_FIELDS)
    assert all(set(row) == set(derived.EPISODE_FIELDS) for row in facts.episodes)
    assert all(set(row) == set(derived.LINE_FIELDS) for row in facts.lines)


def test_the_drift_check_passes_on_rows_the_writes_kept(patient, centre_a):
    build_patient(centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "PR")])

    call_command("check_derived")
    assert derived.drifted() == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: PatientSummary.objects.filter(patient=p).update(cr_duration_months=1.0),
        lambda p: PatientSummary.objects.filter(patient=p).delete(),
        lambda p: CrEpisodeSummary.objects.filter(patient=p, episode=2).delete(),
        lambda p: LineSummary.objects.filter(patient=p, line=1).update(evaluable=False),
        lambda p: LineSummary.objects.create(
            patient=p, line=3, regimen="parp", evaluable=False, cr=False
        ),
    ],
    ids=["changed value", "missing summary", "missing episode", "changed line", "extra line"],
)
def test_the_drift_check_fails_naming_a_tampered_patient(patient, centre_a, tamper):
    untouched = build_patient(centre_a, lines=[(0, None, None, "endocrine")])
    tamper(patient)

    with pytest.raises(CommandError) as refused:
        call_command("check_derived")

    assert refused.value.returncode == 1
    assert patient.registry_id in str(refused.value)
    assert untouched.registry_id not in str(refused.value)
    assert derived.drifted() == [patient.registry_id]


def test_the_rebuild_command_puts_tampered_rows_right(patient, capsys):
    expected = episodes(patient)
    PatientSummary.objects.all().delete()
    CrEpisodeSummary.objects.all().delete()

    call_command("rebuild_derived", "--batch-size", "1")

    assert "Rebuilt the derived rows of 1 patients" in capsys.readouterr().out
    assert episodes(patient) == expected
    assert derived.drifted() == []


def test_a_refresh_of_many_patients_takes_the_same_few_queries(centre_a, django_assert_num_queries):
    def with_cr():
        return build_patient(
            centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")]
        )

    few = [with_cr() for _ in range(2)]
    many = [*few, *(with_cr() for _ in range(5))]
    # The patients' row locks, the patients and their records (patient_data: one query per
    # record table and one for the patients), the episodes' and lines' rows deleted, an
    # insert per derived table (the patients' rows upserted); then the data-quality
    # findings: their facts, the stored findings, the new ones with their audit rows, and
    # the warning counts (one UPDATE). 24 in all, for any number of patients.
    with django_assert_num_queries(24):
        services.patient_summary_refresh(*few)
    with django_assert_num_queries(24):
        services.patient_summary_refresh(*many)


def test_a_form_edit_updates_the_derived_rows(dm_client, patient):
    line = patient.treatmentline_set.get(number=2)
    url = reverse("registry:record-create", args=[patient.registry_id, "responses"])

    response = dm_client.post(url, {"line": line.pk, "assessed_on": "2016-03-01", "category": "PD"})

    assert response.status_code == 302
    assert episodes(patient)[1][4:6] == (date(2016, 3, 1), "PD")
    assert derived.drifted() == []


def test_an_api_write_and_an_api_delete_update_the_derived_rows(data_manager, patient):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(data_manager)}")
    sd = ResponseAssessment.objects.get(patient=patient, category="SD")
    first_cr = ResponseAssessment.objects.get(patient=patient, assessed_on=day(3))

    changed = client.patch(f"/api/records/responses/{sd.pk}/", {"category": "CR"}, format="json")
    # CR, NE, CR: the first episode goes on until the progression at 9 months.
    assert changed.status_code == 200
    assert episodes(patient)[0][4:6] == (day(9), "progression event")

    deleted = client.delete(
        f"/api/records/responses/{first_cr.pk}/", HTTP_X_CHANGE_REASON="wrong patient"
    )
    # NE, CR at 8 months: the first episode now starts there.
    assert deleted.status_code == 204
    assert episodes(patient)[0][1] == day(8)
    assert derived.drifted() == []


def test_a_write_rolled_back_leaves_the_derived_rows_as_they_were(data_manager, patient):
    before = episodes(patient)
    line = patient.treatmentline_set.get(number=2)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_save(
            user=data_manager,
            record=ResponseAssessment(
                patient=patient, line=line, assessed_on=day(14), category="PD"
            ),
        )
        assert episodes(patient)[1][5] == "PD"  # in the write's transaction
        raise RuntimeError("the request failed after the write")

    assert episodes(patient) == before


def test_archive_and_centre_move_show_in_the_cohort_without_a_recompute(
    data_manager, patient, centre_b
):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    services.patient_move_centre(user=admin, patient=patient, centre=centre_b, reason="moved")
    moved = build_cohort(Patient.objects.all(), CohortFilter())
    assert list(moved.patients["centre"]) == ["CB"]
    assert set(moved.episodes["centre"]) == {"CB"}

    services.patient_archive(user=admin, patient=patient, reason="duplicate")
    archived = build_cohort(Patient.objects.all(), CohortFilter())
    assert archived.patients.empty and archived.episodes.empty and archived.lines.empty
    assert derived.drifted() == []
