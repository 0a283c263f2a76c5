"""Tumour-board meetings: agenda, decisions and the printable decision sheet."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from registry import access, services
from registry.case_page import case_overview, case_summary
from registry.forms import AgendaItemForm, BoardMeetingForm, DecisionForm, MeetingFilterForm
from registry.models import BoardAttendance, CaseDiscussion

from .mixins import DataManagerRequiredMixin, ServiceFormMixin


class MeetingListView(ListView):
    template_name = "board/meeting_list.html"
    paginate_by = 30

    @cached_property
    def filter_form(self) -> MeetingFilterForm:
        return MeetingFilterForm(self.request.GET, user=self.request.user)

    def get_queryset(self):
        meetings = access.board_meetings(self.request.user)
        if self.filter_form.is_valid():
            meetings = self.filter_form.filter(meetings)
        else:
            meetings = meetings.none()
        return (
            meetings.select_related("centre")
            .annotate(
                case_count=Count("discussions"),
                awaiting=Count("discussions", filter=Q(discussions__recommendation="")),
            )
            .order_by("-held_on", "centre__code")
        )

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filter_form=self.filter_form,
            today=timezone.localdate(),
            query_without_page=query.urlencode(),
            **kwargs,
        )


class MeetingFormMixin(DataManagerRequiredMixin, ServiceFormMixin):
    form_class = BoardMeetingForm
    template_name = "board/meeting_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def save(self, form):
        meeting = services.board_meeting_save(
            user=self.request.user,
            meeting=form.instance,
            specialties=form.cleaned_data["specialties"],
            reason=form.change_reason,
            expected_version=form.expected_version,
            fields=form.fields,
        )
        messages.success(self.request, f"{meeting} saved.")
        return meeting

    def get_success_url(self):
        return reverse("registry:meeting-detail", args=[self.object.pk])


class MeetingCreateView(MeetingFormMixin, CreateView):
    pass


class MeetingUpdateView(MeetingFormMixin, UpdateView):
    def get_queryset(self):
        return access.board_meetings(self.request.user, for_edit=True)


class MeetingDetailView(DetailView):
    template_name = "board/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self):
        return (
            access.board_meetings(self.request.user)
            .select_related("centre")
            .prefetch_related(
                Prefetch("attendance", queryset=BoardAttendance.objects.order_by("specialty")),
                # Only patients the user may see: one moved to another centre since the
                # meeting is no longer this centre's to show.
                Prefetch(
                    "discussions",
                    queryset=access.patient_records(self.request.user, CaseDiscussion)
                    .select_related("patient")
                    .order_by("pk"),
                ),
            )
        )

    def get_context_data(self, **kwargs):
        can_edit = (
            access.editable_centres(self.request.user).filter(pk=self.object.centre_id).exists()
        )
        agenda_form = AgendaItemForm(meeting=self.object) if can_edit else None
        return super().get_context_data(
            can_edit_meeting=can_edit, agenda_form=agenda_form, **kwargs
        )


class AgendaItemCreateView(DataManagerRequiredMixin, ServiceFormMixin, CreateView):
    """Add a patient and the board's question to a meeting's agenda."""

    form_class = AgendaItemForm
    template_name = "board/agenda_form.html"

    @cached_property
    def meeting(self):
        return access.get_or_404(
            access.board_meetings(self.request.user, for_edit=True), pk=self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "meeting": self.meeting}

    def save(self, form):
        discussion = services.record_save(user=self.request.user, record=form.instance)
        messages.success(self.request, f"{discussion.patient} added to the agenda.")
        return discussion

    def get_context_data(self, **kwargs):
        return super().get_context_data(meeting=self.meeting, **kwargs)

    def get_success_url(self):
        return reverse("registry:meeting-detail", args=[self.meeting.pk])


class DecisionUpdateView(DataManagerRequiredMixin, ServiceFormMixin, UpdateView):
    form_class = DecisionForm
    template_name = "board/decision_form.html"
    context_object_name = "discussion"

    def get_queryset(self):
        return access.patient_records(
            self.request.user, CaseDiscussion, for_edit=True
        ).select_related("meeting__centre", "patient")

    def save(self, form):
        discussion = services.record_save(
            user=self.request.user,
            record=form.instance,
            reason=form.change_reason,
            expected_version=form.expected_version,
            fields=form.fields,
        )
        messages.success(self.request, f"Decision for {discussion.patient} saved.")
        return discussion

    def get_success_url(self):
        return reverse("registry:meeting-detail", args=[self.object.meeting_id])


class DecisionSheetView(DetailView):
    """A clean page for printing into the medical record: no navigation, no names of staff."""

    template_name = "board/decision_sheet.html"
    context_object_name = "discussion"

    def get_queryset(self):
        if not access.sees_identifying_data(self.request.user):
            raise PermissionDenied("Decision sheets are for the treating centre's records.")
        return (
            access.patient_records(self.request.user, CaseDiscussion)
            .select_related("meeting__centre", "patient")
            .prefetch_related("meeting__attendance")
        )

    def get_context_data(self, **kwargs):
        summary = case_summary(case_overview(self.object.patient))
        return super().get_context_data(summary=summary, **kwargs)
