"""Every clinical rule of the model, through full_clean, reported at the right field."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from registry.models import (
    CaseDiscussion,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    ReceptorAssessment,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)
from tests.factories import (
    BoardMeetingFactory,
    CentreFactory,
    FollowUpFactory,
    PatientFactory,
    ProgressionEventFactory,
    ResponseAssessmentFactory,
    TreatmentLineFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(record) -> dict:
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    return caught.value.message_dict


@pytest.fixture
def patient():
    return PatientFactory()


def line(patient, **kwargs):
    values = {
        "patient": patient,
        "number": 1,
        "regimen": "chemotherapy",
        "agents": "paclitaxel",
        "start_date": date(2018, 4, 1),
    }
    return TreatmentLine(**{**values, **kwargs})


def test_a_line_cannot_end_before_it_starts(patient):
    errors = errors_of(line(patient, end_date=date(2018, 3, 1), end_reason="progression"))
    assert errors["end_date"] == ["A line cannot end before it starts."]


@pytest.mark.parametrize("maintenance", [date(2018, 3, 31), date(2018, 9, 2)])
def test_maintenance_starts_inside_its_line(patient, maintenance):
    record = line(
        patient,
        end_date=date(2018, 9, 1),
        end_reason="progression",
        maintenance_start_date=maintenance,
    )
    assert "maintenance_start_date" in errors_of(record)


@pytest.mark.parametrize("maintenance", [date(2018, 4, 1), date(2018, 9, 1)])
def test_a_line_may_be_in_maintenance_from_its_first_to_its_last_day(patient, maintenance):
    # A line switched for toxicity while in CR and given as maintenance from day one.
    record = line(
        patient,
        end_date=date(2018, 9, 1),
        end_reason="toxicity",
        maintenance_start_date=maintenance,
    )
    record.full_clean()
    record.save()  # the database constraint agrees
    assert TreatmentLine.objects.get(pk=record.pk).maintenance_start_date == maintenance


def test_the_database_refuses_maintenance_before_the_line_starts(patient):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        line(patient, maintenance_start_date=date(2018, 3, 31)).save()


def test_line_end_and_reason_go_together(patient):
    assert "end_reason" in errors_of(line(patient, end_date=date(2018, 9, 1)))
    assert "end_date" in errors_of(line(patient, end_reason="toxicity"))


def test_line_numbers_are_unique_per_patient(patient):
    TreatmentLineFactory(patient=patient, number=1)
    assert errors_of(line(patient, number=1))["number"] == ["The patient already has a line 1."]
    line(PatientFactory(), number=1).full_clean()  # another patient's line 1 is fine


def test_a_response_belongs_to_a_line_running_on_its_date(patient):
    running = TreatmentLineFactory(
        patient=patient,
        start_date=date(2018, 4, 1),
        end_date=date(2018, 9, 1),
        end_reason="progression",
    )
    before = ResponseAssessment(
        patient=patient, line=running, assessed_on=date(2018, 3, 31), category="PR"
    )
    on_end_day = ResponseAssessment(
        patient=patient, line=running, assessed_on=date(2018, 9, 1), category="PD"
    )
    assert "assessed_on" in errors_of(before)
    on_end_day.full_clean()


def test_a_response_cannot_use_another_patients_line(patient):
    foreign = TreatmentLineFactory()
    record = ResponseAssessment(
        patient=patient, line=foreign, assessed_on=date(2018, 6, 1), category="PR"
    )
    assert errors_of(record)["line"] == ["This line belongs to another patient."]


def test_one_response_per_line_and_day(patient):
    existing = ResponseAssessmentFactory(patient=patient)
    twin = ResponseAssessment(
        patient=patient, line=existing.line, assessed_on=existing.assessed_on, category="CR"
    )
    assert "assessed_on" in errors_of(twin)


def test_receptor_percentages_are_between_0_and_100(patient):
    record = ReceptorAssessment(
        patient=patient,
        assessed_on=date(2018, 3, 1),
        specimen="primary",
        er_percent=101,
        pr_percent=0,
    )
    assert "er_percent" in errors_of(record)


def test_a_site_category_is_recorded_once(patient):
    MetastaticSite.objects.create(
        patient=patient, category="bone", detected_on=date(2018, 3, 1), confirmation="imaging"
    )
    twin = MetastaticSite(
        patient=patient, category="bone", detected_on=date(2019, 1, 1), confirmation="imaging"
    )
    assert "category" in errors_of(twin)


def test_locoregional_progression_needs_its_site_and_the_kept_response_answer(patient):
    record = ProgressionEvent(patient=patient, occurred_on=date(2019, 1, 1), kind="locoregional")
    errors = errors_of(record)
    assert set(errors) >= {"locoregional_site", "other_sites_kept_best_response"}


def test_systemic_progression_has_no_locoregional_details(patient):
    record = ProgressionEvent(
        patient=patient,
        occurred_on=date(2019, 1, 1),
        kind="systemic",
        locoregional_site="breast",
        other_sites_kept_best_response=True,
    )
    assert set(errors_of(record)) >= {"locoregional_site", "other_sites_kept_best_response"}


def test_a_surgery_has_a_procedure_and_not_both_breast_operations(patient):
    empty = Surgery(patient=patient, operated_on=date(2019, 1, 1), intent="palliative")
    both = Surgery(
        patient=patient,
        operated_on=date(2019, 1, 1),
        intent="palliative",
        lumpectomy=True,
        mastectomy=True,
    )
    assert errors_of(empty)["lumpectomy"] == ["Tick at least one procedure."]
    assert "mastectomy" in errors_of(both)


def test_death_needs_its_date_not_after_the_contact(patient):
    no_date = FollowUp(
        patient=patient,
        contact_date=date(2020, 1, 1),
        vital_status="dead",
        disease_status="with_disease",
    )
    late = FollowUp(
        patient=patient,
        contact_date=date(2020, 1, 1),
        vital_status="dead",
        death_date=date(2020, 2, 1),
        disease_status="with_disease",
    )
    alive_with_date = FollowUp(
        patient=patient,
        contact_date=date(2020, 1, 1),
        vital_status="alive",
        death_date=date(2019, 12, 1),
        disease_status="ned",
    )
    assert "death_date" in errors_of(no_date)
    assert "death_date" in errors_of(late)
    assert "death_date" in errors_of(alive_with_date)


def test_a_patient_dies_once(patient):
    FollowUpFactory(
        patient=patient,
        contact_date=date(2020, 1, 1),
        vital_status="dead",
        death_date=date(2020, 1, 1),
    )
    second = FollowUp(
        patient=patient,
        contact_date=date(2020, 2, 1),
        vital_status="dead",
        death_date=date(2020, 2, 1),
        disease_status="with_disease",
    )
    assert "vital_status" in errors_of(second)


def test_no_event_after_death_and_no_death_before_an_event(patient):
    TreatmentLineFactory(patient=patient, start_date=date(2018, 3, 15))
    early_death = FollowUp(
        patient=patient,
        contact_date=date(2018, 3, 10),
        vital_status="dead",
        death_date=date(2018, 3, 10),
        disease_status="with_disease",
    )
    assert "death_date" in errors_of(early_death)

    FollowUpFactory(
        patient=patient,
        contact_date=date(2020, 1, 1),
        vital_status="dead",
        death_date=date(2019, 12, 1),
    )
    after = line(patient, number=2, start_date=date(2019, 12, 2))
    assert errors_of(after)["start_date"][0].startswith("This date is after the patient's death")


def test_no_event_before_birth_and_no_birth_after_an_event(patient):
    assert "start_date" in errors_of(line(patient, start_date=date(1950, 1, 1)))
    TreatmentLineFactory(patient=patient, start_date=date(2018, 3, 15))
    patient.birth_date = date(2018, 4, 1)
    assert "birth_date" in errors_of(patient)


def test_mbc_diagnosis_not_before_the_primary(patient):
    patient.mbc_diagnosis_date = date(2010, 1, 1)
    patient.primary_diagnosis_date = date(2011, 1, 1)
    assert "mbc_diagnosis_date" in errors_of(patient)


def test_the_registry_id_has_a_checked_format():
    bad = PatientFactory.build(registry_id="mbc 1", centre=CentreFactory())
    assert "registry_id" in errors_of(bad)


def test_discussion_of_another_centres_patient_is_refused(patient):
    other_meeting = BoardMeetingFactory(centre=CentreFactory(code="ZZ"))
    record = CaseDiscussion(patient=patient, meeting=other_meeting, question="?")
    assert errors_of(record)["patient"] == ["This patient is followed by another centre's board."]


def test_decision_needs_its_category_and_a_reason_when_not_followed(patient):
    meeting = BoardMeetingFactory(centre=patient.centre)
    no_category = CaseDiscussion(
        patient=patient, meeting=meeting, question="?", recommendation="Surgery"
    )
    not_followed = CaseDiscussion(
        patient=patient,
        meeting=meeting,
        question="?",
        recommendation="Surgery",
        recommendation_category="surgery",
        followed=False,
    )
    assert "recommendation_category" in errors_of(no_category)
    assert "not_followed_reason" in errors_of(not_followed)


def test_database_constraints_hold_without_full_clean(patient):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        line(patient, end_date=date(2018, 1, 1), end_reason="progression").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Surgery.objects.create(patient=patient, operated_on=date(2019, 1, 1), intent="palliative")
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "typed",
    ["tor-conf-1", "TOR–CONF–1", "TOR‐CONF‐1", "ＴＯＲ-ＣＯＮＦ-１", " TOR-CONF-1 ", "tor-conf-１"],
)
def test_look_alike_record_numbers_are_one_patient(typed):
    first = PatientFactory(record_number="TOR-CONF-1")
    second = PatientFactory.build(centre=first.centre, record_number=typed)

    errors = errors_of(second)

    assert second.record_number == "TOR-CONF-1"
    assert "record_number" in errors or "__all__" in errors


def test_a_record_number_with_letters_that_only_look_latin_is_refused():
    patient = PatientFactory.build(centre=CentreFactory(), record_number="TОR-CONF-1")  # Cyrillic О
    assert "CYRILLIC CAPITAL LETTER O" in errors_of(patient)["record_number"][0]


def test_the_same_record_number_may_exist_in_two_centres():
    PatientFactory(record_number="R-1")
    PatientFactory.build(
        centre=CentreFactory(), record_number="r-1", registry_id="MBC-X"
    ).full_clean()


@pytest.mark.parametrize("born", [date(1, 1, 1), date(1899, 12, 31)])
def test_a_birth_date_before_1900_is_refused(patient, born):
    patient.birth_date = born
    assert "birth_date" in errors_of(patient)


def test_a_birth_date_before_1900_is_refused_by_the_database(patient):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        type(patient).objects.filter(pk=patient.pk).update(birth_date=date(1899, 12, 31))


@pytest.mark.parametrize(("born", "warned"), [(date(2010, 1, 1), True), (date(1960, 1, 1), False)])
def test_an_implausible_age_at_mbc_diagnosis_is_a_warning(patient, born, warned):
    from registry.case_page import case_overview

    type(patient).objects.filter(pk=patient.pk).update(birth_date=born)

    case = case_overview(type(patient).objects.get(pk=patient.pk))
    warnings = [item.found.message for item in case.findings.items]

    assert any(m.startswith("Aged ") for m in warnings) == warned


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Seen by Mrs Rossi in clinic", "name"),
        ("ROSSI to be rediscussed", "name"),
        ("Ada Rossi: restage", "name"),
        ("chart mrn-778812 reviewed", "hospital record number"),
        ("born 17/05/1960, fit", "birth date"),
        ("born 17.5.1960", "birth date"),
        ("born 1960-05-17", "birth date"),
    ],
)
def test_free_text_naming_the_patient_is_refused_at_the_field(text, found):
    patient = PatientFactory(
        family_name="Rossi",
        given_name="Ada",
        record_number="MRN-778812",
        birth_date=date(1960, 5, 17),
    )
    progression = ProgressionEventFactory.build(patient=patient, notes=text)

    message = errors_of(progression)["notes"][0]

    assert message.startswith("Free text must not identify the patient") and found in message


@pytest.mark.parametrize(
    "text", ["Continue the line; rossiglitazone stopped", "May restage in May", "CA 15-3 rose 1960"]
)
def test_ordinary_clinical_text_is_not_taken_for_an_identifier(text):
    patient = PatientFactory(family_name="Rossi", given_name="May", birth_date=date(1960, 5, 17))
    ProgressionEventFactory.build(patient=patient, notes=text).full_clean()


def test_radiotherapy_has_a_site_for_every_metastatic_site_category():
    from registry.models.vocabularies import RadiotherapySite, SiteCategory

    assert set(SiteCategory.values) <= set(RadiotherapySite.values)


def recurrent_patient():
    # Early breast cancer in 2012, metastatic in 2018.
    return PatientFactory(
        presentation="recurrent",
        primary_diagnosis_date=date(2012, 5, 3),
        mbc_diagnosis_date=date(2018, 9, 20),
    )


@pytest.mark.parametrize(
    ("day", "refused"), [(date(2012, 5, 28), False), (date(2018, 9, 20), True)]
)
def test_surgery_of_early_breast_cancer_precedes_the_mbc_diagnosis(day, refused):
    from registry.models import Radiotherapy

    patient = recurrent_patient()
    surgery = Surgery(
        patient=patient, operated_on=day, lumpectomy=True, intent="early_breast_cancer"
    )
    adjuvant = Radiotherapy(
        patient=patient, started_on=day, site="breast", intent="adjuvant", total_dose_gy=50
    )
    for record in (surgery, adjuvant):
        if refused:
            assert errors_of(record)["intent"] == [
                "This intent is for early breast cancer, treated before the MBC diagnosis "
                "(20/09/2018); this date is not before it."
            ]
        else:
            record.full_clean()


def test_what_a_chart_does_not_give_is_answered_not_recorded(patient):
    from registry.models import Radiotherapy

    records = [
        MetastaticSite(
            patient=patient,
            category="pleura",
            detected_on=date(2018, 3, 1),
            confirmation="not_recorded",
        ),
        Surgery(
            patient=patient, operated_on=date(2019, 1, 1), mastectomy=True, intent="not_recorded"
        ),
        # Neither dose nor fractions in the chart: empty, shown as "not recorded".
        Radiotherapy(
            patient=patient, started_on=date(2019, 2, 1), site="distant_nodes", intent="curative"
        ),
        FollowUp(
            patient=patient,
            contact_date=date(2020, 1, 1),
            vital_status="dead",
            death_date=date(2020, 1, 1),
            disease_status="not_recorded",
        ),
    ]
    for record in records:
        record.full_clean()
        record.save()
    assert str(records[2]).endswith("Distant lymph nodes, dose and fractions not recorded")
    patient.histology = "not_recorded"
    patient.full_clean()


def test_histology_has_no_default_so_silence_is_never_ductal():
    assert not Patient._meta.get_field("histology").has_default()
    patient = PatientFactory.build(histology="")
    assert "histology" in errors_of(patient)
