"""Each record rule is written once (`FieldCheck`): the database and the in-memory check agree,
and a form shows its message at its field."""

from datetime import date

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, CharField, DateField, Q
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.models import Patient
from registry.models.checks import FieldCheck, check_errors, field_checks, holds
from registry.models.kinds import KIND_BY_SLUG
from tests.factories import (
    FollowUpFactory,
    PatientFactory,
    ProgressionEventFactory,
    ReceptorAssessmentFactory,
    SurgeryFactory,
    TreatmentLineFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    factory._meta.model: factory
    for factory in (
        PatientFactory,
        ReceptorAssessmentFactory,
        TreatmentLineFactory,
        ProgressionEventFactory,
        SurgeryFactory,
        FollowUpFactory,
    )
}
CHECKED_MODELS = [m for m in apps.get_app_config("registry").get_models() if field_checks(m)]
ALL_CHECKS = [check for model in CHECKED_MODELS for check in field_checks(model)]
# Around each bound the rules compare with: the day before, the day, the day after.
DAYS = [date(1899, 12, 31), date(1900, 1, 1), date(2018, 3, 31), date(2018, 4, 1), date(2018, 4, 2)]


def test_every_model_with_field_checks_is_covered_here():
    assert set(CHECKED_MODELS) == set(FACTORIES)


def values_of(field):
    """Values that decide the rules: edges of dates and percentages, every code, empties."""
    if isinstance(field, DateField):
        choices = DAYS
    elif isinstance(field, BooleanField):
        choices = [True, False]
    elif isinstance(field, CharField):
        choices = [code for code, _ in field.flatchoices] if field.choices else ["x"]
        choices += [""] if field.blank else []
    else:
        choices = [0, 99, 100, 101]
    return st.sampled_from([*choices, *([None] if field.null else [])])


def row_values(model):
    """Every field any of the model's checks reads, drawn together: one check's fields move
    the others' verdicts too."""
    names = sorted(set().union(*(check.reads for check in field_checks(model))))
    return st.fixed_dictionaries({name: values_of(model._meta.get_field(name)) for name in names})


def database_verdicts(model, instance):
    """The database's own reading: each condition evaluated by SQL (Django's `Q.check`, as
    `CheckConstraint.validate` runs it), then the row inserted against the real constraints."""
    against = instance._get_field_expression_map(meta=model._meta)
    conditions = {check.name: Q(check.condition).check(against) for check in field_checks(model)}
    try:
        with transaction.atomic():
            model.objects.bulk_create([instance])
            transaction.set_rollback(True)
        refused_by = None
    except IntegrityError as error:
        refused_by = str(error)
    return conditions, refused_by


@pytest.mark.parametrize("model", CHECKED_MODELS, ids=lambda m: m.__name__)
def test_the_in_memory_check_and_the_database_agree(model):
    patient = PatientFactory()
    factory = FACTORIES[model]
    base = (
        factory.build(centre=patient.centre) if model is Patient else factory.build(patient=patient)
    )

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(row_values(model))
    def agree(values):
        for name, value in values.items():
            setattr(base, name, value)
        in_memory = {
            check.name: check.holds_for(base) is not False for check in field_checks(model)
        }
        conditions, refused_by = database_verdicts(model, base)
        assert in_memory == conditions
        broken = sorted(name for name, ok in in_memory.items() if not ok)
        if broken:
            assert refused_by is not None, broken
            # PostgreSQL and SQLite both name the constraint that refused the row.
            assert any(name in refused_by for name in broken), (refused_by, broken)
        else:
            assert refused_by is None

    agree()


def test_three_valued_logic_as_sql():
    unknown = {"a": None, "b": 1}
    assert holds(Q(a__gte=1), unknown) is None
    assert holds(~Q(a__gte=1), unknown) is None
    assert holds(Q(a__gte=1) | Q(b=1), unknown) is True
    assert holds(Q(a__gte=1) & Q(b=2), unknown) is False
    assert holds(Q(a__isnull=True), unknown) is True
    assert holds(Q(a=None), unknown) is True


def test_a_lookup_the_check_cannot_read_is_refused_when_the_model_is_defined():
    with pytest.raises(ValueError, match="icontains"):
        FieldCheck(condition=Q(agents__icontains="x"), name="n", field="agents",
                   violation_error_message="m")  # fmt: skip


def test_a_field_that_could_not_be_read_leaves_its_checks_for_later():
    line = TreatmentLineFactory.build(end_date=date(2018, 1, 1), end_reason="progression")
    assert check_errors(line) == {"end_date": ["A line cannot end before it starts."]}
    assert check_errors(line, exclude={"start_date"}) == {}


def test_validation_asks_the_database_nothing_for_the_checks(django_assert_num_queries):
    line = TreatmentLineFactory.build(
        patient=PatientFactory(), end_date=date(2018, 9, 1), end_reason=""
    )
    with django_assert_num_queries(0):
        errors = check_errors(line)
    assert errors == {"end_reason": ["Give the reason the line ended."]}


# --- the message at its field, on the data manager's form --------------------------------

RECORD_FORMS = {
    "biology": {"assessed_on": "2018-03-01", "specimen": "primary", "er_percent": "80",
                "pr_percent": "20", "her2_ihc": "1+"},
    "lines": {"number": "1", "regimen": "chemotherapy", "agents": "paclitaxel",
              "start_date": "2018-04-01"},
    "progressions": {"occurred_on": "2019-01-01", "kind": "systemic"},
    "surgeries": {"operated_on": "2019-04-15", "mastectomy": "on",
                  "intent": "locoregional_control"},
    "follow-up": {"contact_date": "2021-03-01", "vital_status": "alive",
                  "disease_status": "with_disease"},
}  # fmt: skip
PATIENT_FORM = {
    "record_number": "H-1001", "family_name": "Rossi", "given_name": "Maria", "sex": "F",
    "birth_date": "1961-04-02", "primary_diagnosis_date": "2015-06-10",
    "mbc_diagnosis_date": "2019-01-15", "presentation": "recurrent", "histology": "ductal",
}  # fmt: skip
# One breach of each check: the form (kind slug, or "patient") and what it changes.
BREACHES = {
    "primary_diagnosis_after_birth": ("patient", {"primary_diagnosis_date": "1950-01-01"}),
    "born_since_1900": ("patient", {"birth_date": "1899-12-31"}),
    "mbc_diagnosis_after_primary": ("patient", {"mbc_diagnosis_date": "2014-01-01"}),
    "er_percent_at_most_100": ("biology", {"er_percent": "101"}),
    "pr_percent_at_most_100": ("biology", {"pr_percent": "101"}),
    "line_ends_after_start": ("lines", {"end_date": "2018-03-01", "end_reason": "progression"}),
    "maintenance_after_line_start": ("lines", {"maintenance_start_date": "2018-03-31"}),
    "maintenance_before_line_end": ("lines", {"end_date": "2018-09-01", "end_reason":
                                    "progression", "maintenance_start_date": "2018-09-02"}),
    "line_end_has_reason": ("lines", {"end_date": "2018-09-01"}),
    "line_end_reason_has_end": ("lines", {"end_reason": "progression"}),
    "locoregional_progression_has_site": ("progressions", {"kind": "locoregional",
                                          "other_sites_kept_best_response": "true"}),
    "locoregional_site_only_for_locoregional": ("progressions", {"locoregional_site": "breast"}),
    "surgery_has_a_procedure": ("surgeries", {"mastectomy": ""}),
    "lumpectomy_or_mastectomy_not_both": ("surgeries", {"lumpectomy": "on"}),
    "death_has_its_date": ("follow-up", {"vital_status": "dead"}),
    "death_date_only_when_dead": ("follow-up", {"death_date": "2021-02-01"}),
    "death_not_after_contact": ("follow-up", {"vital_status": "dead",
                                "death_date": "2021-04-01"}),
}  # fmt: skip
# The form field refuses more than 100 itself, in its own words, before any model rule.
FIELD_SAYS_IT_FIRST = {
    "er_percent_at_most_100": "Ensure this value is less than or equal to 100.",
    "pr_percent_at_most_100": "Ensure this value is less than or equal to 100.",
}


def test_every_check_has_a_breach_on_a_form():
    assert {check.name for check in ALL_CHECKS} == set(BREACHES)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.name)
def test_the_form_shows_the_message_at_its_field(dm_client, centre_a, check):
    form, changes = BREACHES[check.name]
    if form == "patient":
        url = reverse("registry:patient-create")
        data = {**PATIENT_FORM, "centre": centre_a.pk, **changes}
    else:
        patient = PatientFactory(centre=centre_a, birth_date=date(1960, 5, 17))
        url = reverse("registry:record-create", args=[patient.registry_id, form])
        data = {**RECORD_FORMS[form], **changes}
    model = Patient if form == "patient" else KIND_BY_SLUG[form].model
    stored_before = model.objects.count()

    response = dm_client.post(url, {k: v for k, v in data.items() if v != ""})

    assert response.status_code == 200
    errors = response.context["form"].errors
    expected = FIELD_SAYS_IT_FIRST.get(check.name, check.violation_error_message)
    assert errors.get(check.field) == [expected], errors
    assert model.objects.count() == stored_before


def test_a_valid_form_of_each_kind_saves(dm_client, centre_a):
    """The breaches above differ from a record that saves by their changes only."""
    patient = PatientFactory(centre=centre_a, birth_date=date(1960, 5, 17))
    for kind, data in RECORD_FORMS.items():
        url = reverse("registry:record-create", args=[patient.registry_id, kind])
        response = dm_client.post(url, data)
        assert response.status_code == 302, (kind, response.context["form"].errors)
    response = dm_client.post(
        reverse("registry:patient-create"), {**PATIENT_FORM, "centre": centre_a.pk}
    )
    assert response.status_code == 302, response.context["form"].errors
