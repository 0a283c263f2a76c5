"""Data-quality rules, defined once: plausibility checks and completeness checks.

Each rule has a stable code (stored with its findings, so never renamed), a title and a
severity, and is a pure function of one patient's facts (`CaseFacts`) returning
`RuleFinding`s that name the patient, the record (kind slug and id; empty for the patient
row) and the field. The case page, the rule run and the incremental refresh after each
write all call `case_findings`; `registry.finding_selectors` builds the facts set-wise.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .biology import Her2Status, her2_status
from .oligoprogression import OpdExclusion
from .rules import age_warning, presentation_warning

# Alive patients are seen at least yearly; no contact in 12 months means follow-up is lost
# or not entered.
FOLLOW_UP_DUE_DAYS = 365


class Severity(StrEnum):
    """A contradiction worth checking first (likely a typing error), or a gap to fill."""

    WARNING = "warning"
    MISSING = "missing"


class RuleKind(StrEnum):
    PLAUSIBILITY = "plausibility"
    COMPLETENESS = "completeness"


# --- a patient's facts, as the rules read them ------------------------------------------


@dataclass(frozen=True)
class ReceptorFact:
    pk: int
    assessed_on: date
    her2_ihc: str
    her2_ish: str


@dataclass(frozen=True)
class LineFact:
    pk: int
    number: int
    start_date: date
    end_date: date | None
    end_reason: str


@dataclass(frozen=True)
class ResponseFact:
    pk: int
    line_id: int
    assessed_on: date
    category: str


@dataclass(frozen=True)
class ProgressionFact:
    pk: int
    occurred_on: date
    kind: str
    other_sites_kept_best_response: bool | None


@dataclass(frozen=True)
class SurgeryFact:
    pk: int
    operated_on: date
    systemic_line_continued: bool | None


@dataclass(frozen=True)
class ContactFact:
    pk: int
    contact_date: date
    vital_status: str
    death_date: date | None


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need of one patient; every record carries its id."""

    patient_id: int
    birth_date: date | None
    primary_diagnosis_date: date | None
    mbc_diagnosis_date: date | None
    presentation: str
    receptors: tuple[ReceptorFact, ...] = ()
    lines: tuple[LineFact, ...] = ()
    responses: tuple[ResponseFact, ...] = ()
    progressions: tuple[ProgressionFact, ...] = ()
    surgeries: tuple[SurgeryFact, ...] = ()
    contacts: tuple[ContactFact, ...] = ()


# Which attribute of each record model fills each fact (the selector reads these columns).
FACT_COLUMNS = {
    ReceptorFact: ("pk", "assessed_on", "her2_ihc", "her2_ish"),
    LineFact: ("pk", "number", "start_date", "end_date", "end_reason"),
    ResponseFact: ("pk", "line_id", "assessed_on", "category"),
    ProgressionFact: ("pk", "occurred_on", "kind", "other_sites_kept_best_response"),
    SurgeryFact: ("pk", "operated_on", "systemic_line_continued"),
    ContactFact: ("pk", "contact_date", "vital_status", "death_date"),
}


@dataclass(frozen=True)
class RuleFinding:
    """What a rule found: where (patient, record, field) and what, in the clinic's words."""

    rule: str
    patient_id: int
    record_kind: str  # a record kind's slug; "" for the patient row
    record_id: int  # 0 for the patient row
    field_name: str  # "" when the record as a whole is concerned
    message: str

    @property
    def key(self) -> tuple[str, int, str, int, str]:
        return (self.rule, self.patient_id, self.record_kind, self.record_id, self.field_name)


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: Severity
    kind: RuleKind
    check: Callable[["CaseFacts", date], Iterator[RuleFinding]]

    @property
    def is_completeness(self) -> bool:
        return self.kind == RuleKind.COMPLETENESS


def _on_patient(rule: str, facts: CaseFacts, field_name: str, message: str) -> RuleFinding:
    return RuleFinding(rule, facts.patient_id, "", 0, field_name, message)


def _on(rule: str, facts: CaseFacts, kind: str, pk: int, field_name: str, message: str):
    return RuleFinding(rule, facts.patient_id, kind, pk, field_name, message)


# --- plausibility -----------------------------------------------------------------------


def _age_at_mbc(facts: CaseFacts, today: date):
    message = age_warning(facts.birth_date, facts.mbc_diagnosis_date)
    if message:
        yield _on_patient("age-at-mbc", facts, "birth_date", message)


def _presentation_gap(facts: CaseFacts, today: date):
    message = presentation_warning(
        facts.presentation, facts.primary_diagnosis_date, facts.mbc_diagnosis_date
    )
    if message:
        yield _on_patient("presentation-gap", facts, "presentation", message)


def _line_before_mbc(facts: CaseFacts, today: date):
    mbc = facts.mbc_diagnosis_date
    for line in facts.lines:
        if mbc and line.start_date < mbc:
            yield _on(
                "line-before-mbc",
                facts,
                "lines",
                line.pk,
                "start_date",
                f"Line {line.number} starts before the MBC diagnosis ({mbc:%d/%m/%Y}).",
            )


def _line_order(facts: CaseFacts, today: date):
    """The first line whose number is not where its start date puts it."""
    by_start = sorted(facts.lines, key=lambda line: (line.start_date, line.number))
    numbers = sorted(line.number for line in facts.lines)
    for line, expected in zip(by_start, numbers, strict=True):
        if line.number != expected:
            yield _on(
                "line-order",
                facts,
                "lines",
                line.pk,
                "number",
                "Line numbers are not in the order the lines started "
                f"(line {line.number} started on {line.start_date:%d/%m/%Y}).",
            )
            return


def _cr_on_progression_day(facts: CaseFacts, today: date):
    progression_days = {p.occurred_on for p in facts.progressions}
    for response in facts.responses:
        if response.category == "CR" and response.assessed_on in progression_days:
            yield _on(
                "cr-on-progression-day",
                facts,
                "responses",
                response.pk,
                "category",
                f"A CR on {response.assessed_on:%d/%m/%Y} is dated the same day as a "
                "progression event.",
            )


# --- completeness -----------------------------------------------------------------------


def _follow_up_due(facts: CaseFacts, today: date):
    if any(c.vital_status == "dead" for c in facts.contacts):
        return
    latest = max(facts.contacts, key=lambda c: (c.contact_date, c.pk), default=None)
    if latest is None:
        yield _on_patient("follow-up-due", facts, "", "No follow-up contact recorded.")
        return
    if latest.contact_date < today - timedelta(days=FOLLOW_UP_DUE_DAYS):
        yield _on(
            "follow-up-due",
            facts,
            "follow-up",
            latest.pk,
            "contact_date",
            f"No follow-up contact for more than 12 months: the last was on "
            f"{latest.contact_date:%d/%m/%Y} and the patient is not recorded as dead.",
        )


def _line_without_response(facts: CaseFacts, today: date):
    assessed = {r.line_id for r in facts.responses}
    for line in facts.lines:
        if line.pk not in assessed:
            yield _on(
                "line-without-response",
                facts,
                "lines",
                line.pk,
                "",
                f"Line {line.number} has no response assessment.",
            )


def _ended_line_without_reason(facts: CaseFacts, today: date):
    for line in facts.lines:
        if line.end_date and not line.end_reason:
            yield _on(
                "ended-line-without-reason",
                facts,
                "lines",
                line.pk,
                "end_reason",
                f"Line {line.number} ended on {line.end_date:%d/%m/%Y} without a reason "
                "for ending.",
            )


def _ihc2_without_ish(facts: CaseFacts, today: date):
    for assessment in facts.receptors:
        if her2_status(assessment.her2_ihc, assessment.her2_ish) is Her2Status.EQUIVOCAL:
            yield _on(
                "ihc2-without-ish",
                facts,
                "biology",
                assessment.pk,
                "her2_ish",
                f"HER2 IHC 2+ on {assessment.assessed_on:%d/%m/%Y} has no ISH result: "
                "its HER2 status is not final.",
            )


def _locoregional_without_other_sites(facts: CaseFacts, today: date):
    for event in facts.progressions:
        if event.kind == "locoregional" and event.other_sites_kept_best_response is None:
            yield _on(
                "locoregional-without-other-sites",
                facts,
                "progressions",
                event.pk,
                "other_sites_kept_best_response",
                f"The locoregional progression on {event.occurred_on:%d/%m/%Y} does not "
                "say whether the other sites kept their best response.",
            )


def _surgery_without_line_continued(facts: CaseFacts, today: date):
    mbc = facts.mbc_diagnosis_date
    for surgery in facts.surgeries:
        if mbc and surgery.operated_on >= mbc and surgery.systemic_line_continued is None:
            yield _on(
                "surgery-without-line-continued",
                facts,
                "surgeries",
                surgery.pk,
                "systemic_line_continued",
                f"The operation on {surgery.operated_on:%d/%m/%Y}, after the MBC diagnosis, "
                "does not say whether the systemic line was continued.",
            )


def _no_receptor_assessment(facts: CaseFacts, today: date):
    if not facts.receptors:
        yield _on_patient(
            "no-receptor-assessment",
            facts,
            "",
            "No receptor assessment recorded: the subtype is unknown.",
        )


def _death_without_date(facts: CaseFacts, today: date):
    for contact in facts.contacts:
        if contact.vital_status == "dead" and contact.death_date is None:
            yield _on(
                "death-without-date",
                facts,
                "follow-up",
                contact.pk,
                "death_date",
                f"The follow-up of {contact.contact_date:%d/%m/%Y} records the death "
                "without its date.",
            )


RULES = (
    Rule(
        "age-at-mbc",
        "Implausible age at the MBC diagnosis",
        Severity.WARNING,
        RuleKind.PLAUSIBILITY,
        _age_at_mbc,
    ),
    Rule(
        "presentation-gap",
        "Presentation contradicts the diagnosis dates",
        Severity.WARNING,
        RuleKind.PLAUSIBILITY,
        _presentation_gap,
    ),
    Rule(
        "line-before-mbc",
        "Line starts before the MBC diagnosis",
        Severity.WARNING,
        RuleKind.PLAUSIBILITY,
        _line_before_mbc,
    ),
    Rule(
        "line-order",
        "Line numbers out of order",
        Severity.WARNING,
        RuleKind.PLAUSIBILITY,
        _line_order,
    ),
    Rule(
        "cr-on-progression-day",
        "CR dated the day of a progression",
        Severity.WARNING,
        RuleKind.PLAUSIBILITY,
        _cr_on_progression_day,
    ),
    Rule(
        "follow-up-due",
        "No follow-up contact in 12 months",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _follow_up_due,
    ),
    Rule(
        "line-without-response",
        "Line without a response assessment",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _line_without_response,
    ),
    Rule(
        "ended-line-without-reason",
        "Ended line without a reason",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _ended_line_without_reason,
    ),
    Rule(
        "ihc2-without-ish",
        "HER2 IHC 2+ without ISH",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _ihc2_without_ish,
    ),
    Rule(
        "locoregional-without-other-sites",
        "Locoregional progression without the other sites' response",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _locoregional_without_other_sites,
    ),
    Rule(
        "surgery-without-line-continued",
        "Surgery after MBC without 'systemic line continued'",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _surgery_without_line_continued,
    ),
    Rule(
        "no-receptor-assessment",
        "No receptor assessment",
        Severity.MISSING,
        RuleKind.COMPLETENESS,
        _no_receptor_assessment,
    ),
    Rule(
        "death-without-date",
        "Death without a date",
        Severity.WARNING,
        RuleKind.COMPLETENESS,
        _death_without_date,
    ),
)
RULE_BY_CODE = {rule.code: rule for rule in RULES}
PLAUSIBILITY_CODES = tuple(r.code for r in RULES if r.kind == RuleKind.PLAUSIBILITY)
COMPLETENESS_CODES = tuple(r.code for r in RULES if r.kind == RuleKind.COMPLETENESS)


# --- what a report's selection step reads ------------------------------------------------


@dataclass(frozen=True)
class SelectionInputs:
    """What one selection step of a report reads of a patient. An open finding of one of
    `rules`, or an open query on one of `fields` (record kind slug and field name, kind
    "" for the patient row), puts the patient's step in doubt; so does an open query on
    a record of one of those kinds as a whole (no field named)."""

    rules: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kind for kind, _ in self.fields))

    def questioned_by(self, record_kind: str, field_name: str) -> bool:
        """Whether an open query on this record kind and field ("" for the record as a
        whole) puts the step in doubt."""
        if field_name == "":
            return record_kind in self.kinds
        return (record_kind, field_name) in self.fields


# The subtype (domain/biology.py): the receptor assessments' values and dates.
SUBTYPE_INPUTS = SelectionInputs(
    ("ihc2-without-ish", "no-receptor-assessment"),
    tuple(
        ("biology", name)
        for name in ("assessed_on", "er_percent", "pr_percent", "her2_ihc", "her2_ish")
    ),
)
# The OPD-surgery flow (domain/oligoprogression.py), by the exclusion each step makes: the
# locoregional OPD itself, de novo, the breast/axillary operation after the OPD and before
# a later progression, and the systemic line continued after it.
OPD_STEP_INPUTS = {
    OpdExclusion.NO_LOCOREGIONAL_OPD: SelectionInputs(
        ("locoregional-without-other-sites",),
        tuple(
            ("progressions", name)
            for name in ("occurred_on", "kind", "other_sites_kept_best_response")
        ),
    ),
    OpdExclusion.NOT_DE_NOVO: SelectionInputs(
        ("presentation-gap",),
        (("", "presentation"), ("", "primary_diagnosis_date"), ("", "mbc_diagnosis_date")),
    ),
    OpdExclusion.NO_BREAST_SURGERY: SelectionInputs(
        (),
        (
            ("progressions", "occurred_on"),
            *(
                ("surgeries", name)
                for name in (
                    "operated_on",
                    "lumpectomy",
                    "mastectomy",
                    "sentinel_node_biopsy",
                    "axillary_dissection",
                )
            ),
        ),
    ),
    OpdExclusion.LINE_NOT_CONTINUED: SelectionInputs(
        ("surgery-without-line-continued",), (("surgeries", "systemic_line_continued"),)
    ),
}
# The CR report (DEFINITIONS.md, "CR rate"): evaluable (at least one response assessment;
# a line without one may be an assessment not entered), then at least one CR.
CR_STEP_INPUTS = {
    "evaluable": SelectionInputs(
        ("line-without-response",),
        (("responses", "assessed_on"), ("responses", "category")),
    ),
    "reached_cr": SelectionInputs(
        ("cr-on-progression-day",), (("responses", "assessed_on"), ("responses", "category"))
    ),
}
# Rules on what the OPD and CR reports select by (presentation, subtype, the OPD itself, the
# surgery and the line continued after it): the reports' one count of selection findings.
SELECTION_CODES = tuple(
    dict.fromkeys(
        code for inputs in (*OPD_STEP_INPUTS.values(), SUBTYPE_INPUTS) for code in inputs.rules
    )
)


def case_findings(facts: CaseFacts, *, today: date) -> list[RuleFinding]:
    """Every rule's findings for one patient, in the order of `RULES`."""
    return [finding for rule in RULES for finding in rule.check(facts, today)]
