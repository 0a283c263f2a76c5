"""Tumour-board meetings of a centre and the cases discussed at them."""

from django.core.exceptions import ValidationError
from django.db import models

from .base import ClinicalRecord, FieldConstraintMixin
from .trace import audited
from .vocabularies import RecommendationCategory, Specialty


class BoardMeeting(FieldConstraintMixin, models.Model):
    centre = models.ForeignKey(
        "registry.Centre", on_delete=models.PROTECT, related_name="board_meetings"
    )
    held_on = models.DateField("meeting date")
    chair = models.CharField(
        "chaired by", max_length=100, blank=True, help_text="The clinician who chaired the board."
    )
    notes = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised by every save; an edit made from an older version is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        ordering = ["-held_on", "centre__code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "held_on"], name="one_board_per_centre_day")
        ]

    def __str__(self) -> str:
        return f"{self.centre.code} tumour board {self.held_on:%d/%m/%Y}"

    constraint_field = "held_on"

    def constraint_message(self) -> str:
        return "This centre already has a board meeting on this date."


class BoardAttendance(models.Model):
    """A specialty present at a meeting (one row each, so it can be counted and audited)."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.CASCADE, related_name="attendance")
    specialty = models.CharField(max_length=20, choices=Specialty.choices)
    history = audited()

    class Meta:
        ordering = ["specialty"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "specialty"], name="unique_attendance")
        ]

    def __str__(self) -> str:
        return self.get_specialty_display()


class CaseDiscussion(ClinicalRecord):
    """A patient on a meeting's agenda: the question, then the board's decision."""

    meeting = models.ForeignKey(BoardMeeting, on_delete=models.PROTECT, related_name="discussions")
    question = models.TextField("clinical question")
    recommendation = models.TextField(blank=True, help_text="Empty until the board decides.")
    recommendation_category = models.CharField(
        max_length=16, choices=RecommendationCategory.choices, blank=True
    )
    followed = models.BooleanField(
        "recommendation followed", null=True, blank=True, help_text="Empty until known."
    )
    not_followed_reason = models.CharField(max_length=300, blank=True)

    event_date_fields = ()
    free_text_fields = ("question", "recommendation", "not_followed_reason")

    class Meta:
        ordering = ["meeting__held_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "patient"], name="one_discussion_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} at {self.meeting}"

    @property
    def timeline_date(self):
        return self.meeting.held_on

    @property
    def awaiting_decision(self) -> bool:
        return not self.recommendation

    def clean(self) -> None:
        super().clean()
        errors = {}
        same_centre = (
            self.meeting_id is None
            or self.patient_id is None
            or self.meeting.centre_id == self.patient.centre_id
        )
        if self._state.adding and not same_centre:
            errors["patient"] = "This patient is followed by another centre's board."
        if bool(self.recommendation) != bool(self.recommendation_category):
            field = "recommendation_category" if self.recommendation else "recommendation"
            errors[field] = "Give both the recommendation and its category."
        if self.followed is not None and not self.recommendation:
            errors["followed"] = "Record the recommendation before whether it was followed."
        if self.followed is False and not self.not_followed_reason:
            errors["not_followed_reason"] = "Say why the recommendation was not followed."
        if self.followed is not False and self.not_followed_reason:
            errors["not_followed_reason"] = "Only for a recommendation that was not followed."
        if errors:
            raise ValidationError(errors)
