"""factory_boy factories: valid records by default, dates relative to a fixed MBC diagnosis."""

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from registry.access import Role
from registry.models import (
    BoardMeeting,
    CaseDiscussion,
    Centre,
    CentreMembership,
    FollowUp,
    MetastaticSite,
    Patient,
    ProgressionEvent,
    Radiotherapy,
    ReceptorAssessment,
    RegistryWideGrant,
    ResponseAssessment,
    Surgery,
    TreatmentLine,
)

MBC_DIAGNOSIS = date(2018, 3, 1)


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.LazyAttribute(lambda c: f"Cancer centre {c.code}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a role and centres: `UserFactory(role=Role.ANALYST, centres=[c])`."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=Role(extracted).value)[0])

    @factory.post_generation
    def centres(self, create, extracted, **kwargs):
        for centre in extracted or ():
            CentreMembership.objects.create(user=self, centre=centre)

    @factory.post_generation
    def registry_wide(self, create, extracted, **kwargs):
        if extracted:
            RegistryWideGrant.objects.create(user=self)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    registry_id = factory.Sequence(lambda n: f"TST-{n:05d}")
    centre = factory.SubFactory(CentreFactory, code="TST")
    record_number = factory.Sequence(lambda n: f"MRN{n:06d}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    given_name = "Anna"
    sex = "F"
    birth_date = date(1960, 5, 17)
    primary_diagnosis_date = MBC_DIAGNOSIS
    mbc_diagnosis_date = MBC_DIAGNOSIS
    presentation = "de_novo"
    histology = "ductal"


class PatientRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    patient = factory.SubFactory(PatientFactory)


class ReceptorAssessmentFactory(PatientRecordFactory):
    class Meta:
        model = ReceptorAssessment

    assessed_on = MBC_DIAGNOSIS
    specimen = "primary"
    er_percent = 90
    pr_percent = 50
    her2_ihc = "1+"
    her2_ish = ""


class MetastaticSiteFactory(PatientRecordFactory):
    class Meta:
        model = MetastaticSite

    category = "bone"
    detected_on = MBC_DIAGNOSIS
    confirmation = "imaging"


class TreatmentLineFactory(PatientRecordFactory):
    class Meta:
        model = TreatmentLine

    number = 1
    regimen = "endocrine_cdk46"
    agents = "letrozole + palbociclib"
    start_date = date(2018, 3, 15)


class ResponseAssessmentFactory(PatientRecordFactory):
    class Meta:
        model = ResponseAssessment

    line = factory.SubFactory(TreatmentLineFactory, patient=factory.SelfAttribute("..patient"))
    assessed_on = date(2018, 6, 15)
    category = "PR"


class ProgressionEventFactory(PatientRecordFactory):
    class Meta:
        model = ProgressionEvent

    occurred_on = date(2019, 3, 1)
    kind = "systemic"


class SurgeryFactory(PatientRecordFactory):
    class Meta:
        model = Surgery

    operated_on = date(2019, 4, 15)
    mastectomy = True
    axillary_dissection = True
    intent = "locoregional_control"
    systemic_line_continued = True


class RadiotherapyFactory(PatientRecordFactory):
    class Meta:
        model = Radiotherapy

    started_on = date(2018, 9, 1)
    site = "bone"
    intent = "palliative"
    total_dose_gy = 20
    fractions = 5


class FollowUpFactory(PatientRecordFactory):
    class Meta:
        model = FollowUp

    contact_date = date(2021, 3, 1)
    vital_status = "alive"
    disease_status = "with_disease"


class BoardMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardMeeting

    centre = factory.SubFactory(CentreFactory, code="TST")
    held_on = factory.Sequence(lambda n: date(2019, 1, 1).replace(day=1 + n % 28))


class CaseDiscussionFactory(PatientRecordFactory):
    class Meta:
        model = CaseDiscussion

    meeting = factory.SubFactory(
        BoardMeetingFactory, centre=factory.SelfAttribute("..patient.centre")
    )
    question = "Is breast surgery indicated for the locoregional progression?"


def api_key_for(user) -> str:
    """A working API key for the user, issued by an administrator as in production."""
    from registry.services import api_token_issue

    issuer = UserFactory(is_superuser=True, is_staff=True)
    return api_token_issue(user=issuer, for_user=user, purpose="Tests")[1]
