"""A deterministic synthetic MBC cohort for demonstrations and screenshots.

Every course is first drawn as plain data with one `random.Random(seed)`, planned so that
it passes every clinical rule (tests/registry/test_seed_demo.py checks the demo with the
importer's rules), then written set-wise as the demo administrator, each record with its
"created" audit row, and its derived rows and findings refreshed by the services. The
board meetings and the quality workflow go through the services one by one. The cohort is
shaped so that every screen and report has content: patients reaching CR (some more than
once, some during maintenance, some after a local approach) and de novo patients with a
locoregional oligoprogression treated by breast surgery.
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Model

from . import bulk, quality_services, services
from .access import Role
from .models import (
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
from .models.vocabularies import RecommendationCategory, Specialty
from .roles import sync_roles

DATA_CUTOFF = date(2026, 10, 31)
# Total dose (Gy) and fractions by intent; None where the demo's charts do not record them.
DEMO_DOSES = {"palliative": (30, 10), "ablative": (50, 5), "adjuvant": (None, None)}
# The demo's published password (printed by seed_demo, in the README's tour).
DEMO_PASSWORD = "demo-registry-2026"  # noqa: S105  # nosec B105
CENTRES = [
    ("MIL", "Milan – Istituto dei Tumori (demo)", 0.5),
    ("TOR", "Turin – Candiolo Cancer Institute (demo)", 0.3),
    ("NAP", "Naples – Istituto Pascale (demo)", 0.2),
]
SUBTYPES = [("HR+/HER2-", 0.65), ("HR+/HER2+", 0.15), ("HR-/HER2+", 0.08), ("TNBC", 0.12)]
SITES = [
    ("bone", 0.6),
    ("liver", 0.3),
    ("lung", 0.25),
    ("distant_nodes", 0.2),
    ("pleura", 0.1),
    ("brain", 0.05),
    ("skin_soft_tissue", 0.05),
    ("peritoneum", 0.03),
]
FAMILY_NAMES = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
]
GIVEN_NAMES = [
    "Maria",
    "Anna",
    "Giuseppina",
    "Rosa",
    "Angela",
    "Giovanna",
    "Teresa",
    "Lucia",
    "Carmela",
    "Francesca",
    "Paola",
    "Laura",
    "Chiara",
    "Elena",
    "Silvia",
    "Giulia",
    "Sara",
    "Valentina",
]
MONTH = 30.4375


@dataclass
class LinePlan:
    regimen: str
    agents: str
    start: date
    end: date | None = None
    maintenance: date | None = None
    responses: list[tuple[date, str]] = field(default_factory=list)


@dataclass
class CoursePlan:
    """One patient's course as plain data, checked against the rules when written."""

    presentation: str
    birth: date
    primary: date
    mbc: date
    subtype: str
    sites: list[tuple[str, date]]
    lines: list[LinePlan] = field(default_factory=list)
    progressions: list[tuple[date, str]] = field(default_factory=list)
    surgeries: list[tuple[date, set[str], str, bool | None]] = field(default_factory=list)
    radiotherapy: list[tuple[date, str, str]] = field(default_factory=list)
    contacts: list[tuple[date, str]] = field(default_factory=list)
    death: date | None = None
    biopsy_awaiting_ish: bool = False


def _after(day: date, months: float) -> date:
    return day + timedelta(days=max(1, round(months * MONTH)))


def _pick(rng: random.Random, weighted):
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


def _regimen(subtype: str, number: int, rng: random.Random) -> tuple[str, str]:
    if subtype.endswith("HER2+"):
        options = [
            ("anti_her2_chemo", "trastuzumab + pertuzumab + docetaxel"),
            ("adc", "trastuzumab deruxtecan"),
            ("adc", "trastuzumab emtansine"),
            ("anti_her2_chemo", "trastuzumab + capecitabine"),
        ]
        return options[min(number - 1, len(options) - 1)]
    if subtype == "TNBC":
        return rng.choice(
            [
                ("chemotherapy", "paclitaxel"),
                ("immuno_chemo", "pembrolizumab + nab-paclitaxel"),
                ("adc", "sacituzumab govitecan"),
                ("chemotherapy", "eribulin"),
            ]
        )
    if number == 1 and rng.random() < 0.3:
        return "chemotherapy", "paclitaxel, then endocrine maintenance"
    if number == 1:
        return "endocrine_cdk46", rng.choice(
            ["letrozole + palbociclib", "letrozole + ribociclib", "fulvestrant + abemaciclib"]
        )
    return rng.choice(
        [
            ("endocrine_targeted", "exemestane + everolimus"),
            ("chemotherapy", "capecitabine"),
            ("endocrine", "fulvestrant"),
            ("adc", "trastuzumab deruxtecan"),
        ]
    )


def _median_line_months(subtype: str, number: int) -> float:
    first = {"HR+/HER2-": 22, "HR+/HER2+": 20, "HR-/HER2+": 16, "TNBC": 7}[subtype]
    return max(3.0, first / (1.6 ** (number - 1)))


def plan_course(rng: random.Random, *, reaches_cr: bool, oligoprogression: bool) -> CoursePlan:
    presentation = "de_novo" if oligoprogression or rng.random() < 0.3 else "recurrent"
    mbc = date(2008, 1, 1) + timedelta(days=rng.randrange(0, 15 * 365))
    age = min(85, max(30, round(rng.gauss(58, 11))))
    birth = mbc - timedelta(days=round(age * 365.25) + rng.randrange(0, 365))
    primary = (
        mbc - timedelta(days=rng.randrange(0, 25))
        if presentation == "de_novo"
        else mbc - timedelta(days=rng.randrange(400, 12 * 365))
    )
    if presentation == "de_novo" and rng.random() < 0.015:
        primary = mbc - timedelta(days=rng.randrange(120, 300))  # contradicts "de novo"
    subtype = _pick(rng, SUBTYPES)
    if oligoprogression and subtype == "TNBC":
        subtype = "HR+/HER2-"
    site_count = 1 if (reaches_cr and rng.random() < 0.7) else rng.choice([1, 1, 2, 2, 3])
    categories: list[str] = []
    while len(categories) < site_count:
        category = _pick(rng, SITES)
        if category not in categories:
            categories.append(category)
    plan = CoursePlan(presentation, birth, primary, mbc, subtype, [(c, mbc) for c in categories])
    plan.biopsy_awaiting_ish = subtype == "HR+/HER2-" and rng.random() < 0.01

    start = mbc + timedelta(days=rng.randrange(7, 35))
    line_count = rng.choice([1, 2, 2, 3, 3, 4, 5])
    cr_line = rng.randrange(1, min(line_count, 2) + 1) if reaches_cr else None
    opd_line = 1 if oligoprogression else None
    for number in range(1, line_count + 1):
        regimen, agents = _regimen(subtype, number, rng)
        line = LinePlan(regimen, agents, start)
        duration = rng.expovariate(1 / _median_line_months(subtype, number)) + 3
        if number == cr_line:
            duration += rng.uniform(12, 48)
        if number == opd_line:
            duration = max(duration, rng.uniform(8, 30)) + rng.uniform(6, 30)
        maintenance = _after(start, rng.uniform(4, 6))
        if regimen in ("anti_her2_chemo", "chemotherapy", "immuno_chemo") and duration > 7:
            line.maintenance = maintenance if maintenance < DATA_CUTOFF else None
        end = _after(start, duration)
        last_line = number == line_count
        if end >= DATA_CUTOFF:
            end = None
        _plan_responses(rng, plan, line, end, cr=number == cr_line, last_line=last_line)
        if number == opd_line:
            _plan_oligoprogression(rng, plan, line, end)
        line.end = end
        plan.lines.append(line)
        if end is None:
            break
        if not last_line:
            plan.progressions.append((end, "systemic"))
        start = _after(end, rng.uniform(0.2, 1))
        if start >= DATA_CUTOFF:
            break
        if number == cr_line and reaches_cr and rng.random() < 0.5 and not last_line:
            cr_line = number + 1  # a second CR on the next line
    _plan_early_breast_cancer(plan)
    _plan_local_treatment(rng, plan, reaches_cr)
    _plan_follow_up(rng, plan)
    return plan


def _plan_early_breast_cancer(plan: CoursePlan):
    """A recurrent case had its early cancer operated on and irradiated, at least 400 days
    before the MBC diagnosis; as in many old charts, the adjuvant dose is not recorded."""
    if plan.presentation != "recurrent":
        return
    early = {"lumpectomy", "sentinel_node_biopsy"}
    plan.surgeries.insert(
        0, (plan.primary + timedelta(days=21), early, "early_breast_cancer", None)
    )
    plan.radiotherapy.insert(0, (plan.primary + timedelta(days=70), "breast", "adjuvant"))


def _plan_responses(rng, plan, line: LinePlan, end: date | None, *, cr: bool, last_line: bool):
    """Assessments every ~3 months; a CR run on the CR line; PD when the line ends."""
    horizon = end or DATA_CUTOFF
    day = _after(line.start, rng.uniform(2.5, 3.5))
    in_cr = False
    while day < horizon:
        if cr and not in_cr and day > _after(line.start, 5):
            in_cr = rng.random() < 0.7
        if in_cr:
            category = "NE" if rng.random() < 0.08 else "CR"
        else:
            category = rng.choice(["PR", "PR", "SD", "SD", "non_CR_non_PD"])
        line.responses.append((day, category))
        day = _after(day, rng.uniform(2.5, 3.5))
    if end is not None and not last_line:
        line.responses.append((end, "PD"))
    if cr and not any(c == "CR" for _, c in line.responses) and line.responses:
        index = len(line.responses) // 2
        line.responses[index] = (line.responses[index][0], "CR")


def _plan_oligoprogression(rng, plan: CoursePlan, line: LinePlan, end: date | None):
    """A locoregional OPD during the line, breast surgery 1-3 months later, line continued."""
    horizon = end or DATA_CUTOFF
    opd = _after(line.start, rng.uniform(5, 28))
    surgery = _after(opd, rng.uniform(0.8, 3))
    if surgery >= horizon - timedelta(days=20):
        return
    line.responses = [(d, "PR" if c in ("PD", "CR") and d < opd else c) for d, c in line.responses]
    plan.progressions.append((opd, "locoregional"))
    breast = {"mastectomy"} if rng.random() < 0.75 else {"lumpectomy"}
    axilla = (
        {"axillary_dissection"}
        if rng.random() < 0.45
        else ({"sentinel_node_biopsy"} if rng.random() < 0.2 else set())
    )
    continued = rng.random() < 0.9
    plan.surgeries.append((surgery, breast | axilla, "locoregional_control", continued))


def _plan_local_treatment(rng, plan: CoursePlan, reaches_cr: bool):
    if plan.lines and rng.random() < (0.45 if reaches_cr else 0.2):
        when = _after(plan.lines[0].start, rng.uniform(1, 4))
        if plan.lines[0].end is None or when < plan.lines[0].end:
            site = "bone" if plan.sites[0][0] == "bone" else "other"
            plan.radiotherapy.append((when, site, "palliative" if site == "bone" else "ablative"))


def _plan_follow_up(rng, plan: CoursePlan):
    """Yearly contacts; most patients whose lines all ended have died after the last one."""
    last_event = max(
        [plan.mbc]
        + [d for line in plan.lines for d in (line.start, line.end) if d]
        + [d for line in plan.lines for d, _ in line.responses]
        + [d for d, *_ in plan.surgeries]
        + [d for d, *_ in plan.radiotherapy]
        + [d for d, _ in plan.progressions]
    )
    all_ended = plan.lines and plan.lines[-1].end is not None
    if all_ended and rng.random() < 0.8:
        plan.death = min(_after(last_event, rng.uniform(1, 18)), DATA_CUTOFF - timedelta(days=1))
    end = plan.death or min(_after(last_event, rng.uniform(0, 8)), DATA_CUTOFF)
    day = _after(plan.mbc, 12)
    while day < end:
        plan.contacts.append((day, "with_disease"))
        day = _after(day, 12)
    final_status = "with_disease"
    last_response = max(((d, c) for line in plan.lines for d, c in line.responses), default=None)
    if last_response and last_response[1] in ("CR", "NE") and not plan.death:
        final_status = "ned"
    if not plan.death:
        plan.contacts.append((end, final_status))


def receptors_for(subtype: str, rng: random.Random) -> dict:
    if subtype == "HR+/HER2-":
        ihc = rng.choice(["0", "1+", "2+"])
        return {
            "er_percent": rng.choice([40, 70, 90, 95]),
            "pr_percent": rng.choice([0, 10, 50, 80]),
            "her2_ihc": ihc,
            "her2_ish": "not_amplified" if ihc == "2+" else "",
        }
    if subtype == "HR+/HER2+":
        ihc = rng.choice(["3+", "2+"])
        return {
            "er_percent": rng.choice([30, 80, 90]),
            "pr_percent": rng.choice([0, 20, 60]),
            "her2_ihc": ihc,
            "her2_ish": "amplified" if ihc == "2+" else "",
        }
    if subtype == "HR-/HER2+":
        return {"er_percent": 0, "pr_percent": 0, "her2_ihc": "3+", "her2_ish": ""}
    return {"er_percent": 0, "pr_percent": 0, "her2_ihc": rng.choice(["0", "1+"]), "her2_ish": ""}


def course_patient(
    plan: CoursePlan, *, centre: Centre, registry_id: str, rng, record_number: str = ""
) -> Patient:
    """The planned patient, unsaved; `record_number` overrides the drawn one (which may
    repeat within a centre in cohorts of tens of thousands)."""
    drawn = f"{centre.code}-{rng.randrange(10**6, 10**7)}"
    return Patient(
        registry_id=registry_id,
        centre=centre,
        record_number=record_number or drawn,
        family_name=rng.choice(FAMILY_NAMES),
        given_name=rng.choice(GIVEN_NAMES),
        sex="F",
        birth_date=plan.birth,
        primary_diagnosis_date=plan.primary,
        mbc_diagnosis_date=plan.mbc,
        presentation=plan.presentation,
        histology=rng.choice(["ductal"] * 6 + ["lobular", "lobular", "mixed", "other"]),
    )


def course_records(plan: CoursePlan, patient: Patient, rng) -> Iterator[Model]:
    """The planned course's records, unsaved, in an order the rules accept (a line before
    its responses): the services write them one by one, the benchmark generator in bulk."""
    yield ReceptorAssessment(
        patient=patient,
        assessed_on=plan.primary,
        specimen="primary",
        **receptors_for(plan.subtype, rng),
    )
    if plan.biopsy_awaiting_ish:
        yield ReceptorAssessment(
            patient=patient,
            assessed_on=plan.mbc,
            specimen="metastasis",
            er_percent=50,
            pr_percent=5,
            her2_ihc="2+",
            her2_ish="pending",
        )
    for category, detected in plan.sites:
        yield MetastaticSite(
            patient=patient,
            category=category,
            detected_on=detected,
            confirmation=rng.choice(["imaging", "imaging", "histology"]),
        )
    for number, line in enumerate(plan.lines, 1):
        ended_by_death = line.end is not None and number == len(plan.lines)
        line_record = TreatmentLine(
            patient=patient,
            number=number,
            regimen=line.regimen,
            agents=line.agents,
            start_date=line.start,
            end_date=line.end,
            maintenance_start_date=line.maintenance,
            end_reason=("completed" if ended_by_death else "progression") if line.end else "",
        )
        yield line_record
        for assessed_on, category in line.responses:
            yield ResponseAssessment(
                patient=patient,
                line=line_record,
                assessed_on=assessed_on,
                category=category,
                method="ct",
            )
    for occurred_on, kind in plan.progressions:
        yield ProgressionEvent(
            patient=patient,
            occurred_on=occurred_on,
            kind=kind,
            locoregional_site="breast" if kind == "locoregional" else "",
            other_sites_kept_best_response=True if kind == "locoregional" else None,
        )
    for operated_on, procedures, intent, continued in plan.surgeries:
        yield Surgery(
            patient=patient,
            operated_on=operated_on,
            intent=intent,
            systemic_line_continued=continued,
            **dict.fromkeys(procedures, True),
        )
    for started_on, site, intent in plan.radiotherapy:
        yield Radiotherapy(
            patient=patient,
            started_on=started_on,
            site=site,
            intent=intent,
            total_dose_gy=DEMO_DOSES[intent][0],
            fractions=DEMO_DOSES[intent][1],
        )
    for contact_date, status in plan.contacts:
        yield FollowUp(
            patient=patient,
            contact_date=contact_date,
            vital_status="alive",
            disease_status=status,
        )
    if plan.death:
        yield FollowUp(
            patient=patient,
            contact_date=plan.death,
            vital_status="dead",
            death_date=plan.death,
            disease_status="with_disease",
        )


# The audit reason of every record the demo writes set-wise.
DEMO_REASON = "Synthetic demo cohort (seed_demo)"


def write_courses(
    courses: list[tuple[Patient, list[Model]]], *, user, reason: str = DEMO_REASON
) -> dict[str, int]:
    """Write planned courses set-wise, as the importer writes (`registry.bulk`): a table at
    a time (lines before the responses that point at them), each row with its "created"
    audit row; then the patients' derived rows and findings, as after any write. Returns
    the rows written per table (as many audit rows again)."""
    patients = [patient for patient, _ in courses]
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    by_model[Patient] = patients
    for _, records in courses:
        for record in records:
            by_model[type(record)].append(record)
    for model in sorted(by_model, key=lambda model: model is ResponseAssessment):
        bulk.create_with_history(by_model[model], model, user=user, reason=reason)
    services.patient_summary_refresh(*patients)
    return {model._meta.db_table: len(rows) for model, rows in by_model.items()}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    centres: tuple[str, ...]
    staff: bool = False
    registry_wide: bool = False


DEMO_USERS = [
    DemoUser("dm_mil", Role.DATA_MANAGER, ("MIL",)),
    DemoUser("dm_tor", Role.DATA_MANAGER, ("TOR",)),
    DemoUser("dm_nap", Role.DATA_MANAGER, ("NAP",)),
    DemoUser("auditor", Role.AUDITOR, (), staff=True, registry_wide=True),
    DemoUser("analyst", Role.ANALYST, (), registry_wide=True),
    DemoUser("analyst_mil", Role.ANALYST, ("MIL",)),
]


def create_users(centres: dict[str, Centre]):
    User = get_user_model()
    admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    for spec in DEMO_USERS:
        user = User.objects.create_user(spec.username, password=DEMO_PASSWORD, is_staff=spec.staff)
        user.groups.add(Group.objects.get(name=spec.role.value))
        for code in spec.centres:
            CentreMembership.objects.create(user=user, centre=centres[code])
        if spec.registry_wide:
            RegistryWideGrant.objects.create(user=user, reason="Demo: works across the network")
    return admin


QUESTIONS = {
    RecommendationCategory.SYSTEMIC_CHANGE: (
        "Progression on the current line: next systemic option?",
        "Switch to the next line as discussed.",
    ),
    RecommendationCategory.CONTINUE: (
        "Stable response: continue the current treatment?",
        "Continue the current line; restage in 3 months.",
    ),
    RecommendationCategory.SURGERY: (
        "Locoregional progression with stable distant disease: surgery?",
        "Mastectomy with axillary dissection; continue the systemic line.",
    ),
    RecommendationCategory.RADIOTHERAPY: (
        "Painful bone lesion: radiotherapy?",
        "Palliative radiotherapy 8 Gy single fraction.",
    ),
    RecommendationCategory.WORK_UP: (
        "New equivocal liver lesion: further work-up?",
        "Liver MRI and biopsy if confirmed.",
    ),
    RecommendationCategory.SUPPORTIVE: (
        "Declining performance status: options?",
        "Best supportive care; palliative care referral.",
    ),
}


def create_board_meetings(rng, *, user, centre: Centre, patients: list[Patient]) -> None:
    """A meeting every two weeks over the last year and two upcoming ones, still undecided.

    The upcoming dates follow today's date so the demo always has a next meeting; they
    carry no clinical dates, so the cohort itself stays the same for a seed.
    """
    categories = list(RecommendationCategory)
    alive = [p for p in patients if not p.death_date()]
    first = DATA_CUTOFF - timedelta(days=364)
    meetings = [first + timedelta(days=14 * k) for k in range(27)]
    meetings += [date.today() + timedelta(days=days) for days in (3, 17)]
    for index, held_on in enumerate(meetings):
        specialties = rng.sample(list(Specialty.values), rng.randrange(3, 9))
        for required in ("medical_oncology", "radiology"):
            if required not in specialties:
                specialties.append(required)
        meeting = services.board_meeting_save(
            user=user,
            meeting=BoardMeeting(centre=centre, held_on=held_on),
            specialties=specialties,
        )
        awaiting = index >= len(meetings) - 3
        for patient in rng.sample(alive, min(len(alive), rng.randrange(2, 5))):
            category = categories[rng.randrange(len(categories))]
            question, recommendation = QUESTIONS[category]
            discussion = CaseDiscussion(patient=patient, meeting=meeting, question=question)
            if not awaiting:
                discussion.recommendation = recommendation
                discussion.recommendation_category = category
                discussion.followed = rng.random() < 0.85
                if not discussion.followed:
                    discussion.not_followed_reason = rng.choice(
                        [
                            "Patient declined",
                            "Performance status worsened",
                            "Moved to another hospital",
                        ]
                    )
            services.record_save(user=user, record=discussion)


def create_quality_workflow(*, centre_patients: list[Patient]) -> None:
    """Queries in each state, one reviewed case and one locked case, so the demo shows the
    workflow: the auditor asks, dm_mil answers (once by correcting the field), the auditor
    closes; the first cases of the centre carry them."""
    User = get_user_model()
    auditor, dm = User.objects.get(username="auditor"), User.objects.get(username="dm_mil")
    admin = User.objects.get(username="admin")
    with_lines = [p for p in centre_patients[:20] if p.treatmentline_set.exists()][:5]
    if len(with_lines) < 5:
        return
    open_on, answered_on, closed_on, reviewed, locked = with_lines
    line = open_on.treatmentline_set.order_by("number").first()
    quality_services.query_raise(
        user=auditor,
        patient=open_on,
        assignee=dm,
        record_kind="lines",
        record_id=line.pk,
        field_name="start_date",
        question="The pharmacy record gives the first cycle a week later: please check.",
    )
    line = answered_on.treatmentline_set.order_by("number").first()
    query = quality_services.query_raise(
        user=auditor,
        patient=answered_on,
        assignee=dm,
        record_kind="lines",
        record_id=line.pk,
        field_name="agents",
        question="The agents are not spelled as in the prescription: please correct.",
        proposed_value=line.agents.lower(),
    )
    quality_services.query_answer(
        user=dm,
        query=query,
        text="Corrected from the prescription.",
        change_value=True,
        new_value=line.agents.lower(),
    )
    query = quality_services.query_raise(
        user=auditor,
        patient=closed_on,
        assignee=dm,
        field_name="presentation",
        question="Is the presentation as recorded in the chart?",
    )
    quality_services.query_answer(user=dm, query=query, text="Checked: as in the chart.")
    quality_services.query_close(user=auditor, query=query, text="Thank you.")
    quality_services.case_review(user=auditor, patient=reviewed, note="All records checked")
    quality_services.case_review(user=auditor, patient=locked, note="All records checked")
    quality_services.case_lock(user=admin, patient=locked, reason="Frozen for the CR analysis")


@dataclass(frozen=True)
class DemoSummary:
    patients_by_centre: dict[str, int]
    seconds: float = 0.0


def seed(*, seed: int, patients: int) -> DemoSummary:
    """Create centres, users and `patients` synthetic cases; deterministic for a seed."""
    # Synthetic data, reproducible by design: not a security use of randomness.
    rng = random.Random(seed)  # nosec B311
    sync_roles()
    with transaction.atomic():
        centres = {code: Centre.objects.create(code=code, name=name) for code, name, _ in CENTRES}
        admin = create_users(centres)
    by_centre: dict[str, list[Patient]] = {code: [] for code in centres}
    courses = []
    for number in range(1, patients + 1):
        code = _pick(rng, [(c, w) for c, _, w in CENTRES])
        role = rng.random()
        plan = plan_course(rng, reaches_cr=role < 0.18, oligoprogression=0.18 <= role < 0.33)
        patient = course_patient(
            plan, centre=centres[code], registry_id=f"MBC-{number:06d}", rng=rng
        )
        courses.append((patient, list(course_records(plan, patient, rng))))
        by_centre[code].append(patient)
    with transaction.atomic():
        write_courses(courses, user=admin)
    for code, centre in centres.items():
        with transaction.atomic():
            create_board_meetings(rng, user=admin, centre=centre, patients=by_centre[code])
    with transaction.atomic():
        create_quality_workflow(centre_patients=by_centre["MIL"])
    return DemoSummary({code: len(items) for code, items in by_centre.items()})
