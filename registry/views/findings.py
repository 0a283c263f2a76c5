"""The data-quality rules' findings (list, one finding: confirm it or turn it into a
query, start a rule run) and completeness by centre. The pages collect;
`registry.finding_services` decides."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.views.generic import ListView, TemplateView

from registry import access, finding_selectors, finding_services, jobs
from registry.domain.quality_rules import RULE_BY_CODE, RULES
from registry.finding_forms import FindingConfirmForm, FindingQueryForm
from registry.forms import apply_validation_error
from registry.models import KIND_BY_SLUG, FindingStatus
from registry.spreadsheets import formula_safe

from .mixins import RoleRequiredMixin

STATUS_CHOICES = [("open", "Open (new)"), *FindingStatus.choices]


class FindingsAccessMixin(RoleRequiredMixin):
    """Findings quote identifying values: data managers and auditors only."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.sees_identifying_data(request.user):
            raise PermissionDenied("Only data managers and auditors work on findings.")
        return super().dispatch(request, *args, **kwargs)


class FindingListView(FindingsAccessMixin, ListView):
    """Findings by rule, status and centre, the counts per rule; auditors start a run."""

    template_name = "registry/quality/finding_list.html"
    paginate_by = 50
    context_object_name = "findings"

    @cached_property
    def centres(self):
        return list(access.visible_centres(self.request.user).order_by("code"))

    @cached_property
    def chosen(self) -> dict:
        wanted = self.request.GET
        rule = wanted.get("rule", "")
        status = wanted.get("status", "open")
        centre = wanted.get("centre", "")
        return {
            "rule": rule if rule in (*RULE_BY_CODE, "plausibility", "completeness") else "",
            "status": status if status in dict(STATUS_CHOICES) or status == "any" else "open",
            "centre": centre if centre in {str(c.pk) for c in self.centres} else "",
        }

    def get_queryset(self):
        chosen = self.chosen
        found = finding_selectors.findings_for(
            self.request.user,
            rule=chosen["rule"],
            status="" if chosen["status"] == "any" else chosen["status"],
            centre_id=int(chosen["centre"]) if chosen["centre"] else None,
        )
        return found

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        scope = finding_selectors.findings_for(
            self.request.user,
            centre_id=int(self.chosen["centre"]) if self.chosen["centre"] else None,
        )
        return super().get_context_data(
            chosen=self.chosen,
            rules=RULES,
            statuses=STATUS_CHOICES,
            centres=self.centres,
            by_rule=finding_selectors.counts_by_rule(scope),
            may_run=access.may_raise_queries(self.request.user),
            kinds=KIND_BY_SLUG,
            query_without_page=query.urlencode(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            job = jobs.start_rules_run(user=request.user)
        except ValidationError as error:
            raise PermissionDenied(error.messages[0]) from None
        messages.success(request, "The rules run in the background; this page follows them.")
        return redirect(job.get_absolute_url())


class FindingDetailView(FindingsAccessMixin, TemplateView):
    """One finding, where it is, its history of status; confirm it or raise a query."""

    template_name = "registry/quality/finding_detail.html"

    @cached_property
    def finding(self):
        return access.get_or_404(
            finding_selectors.findings(self.request.user).select_related(
                "patient__centre", "confirmed_by", "query"
            ),
            pk=self.kwargs["pk"],
        )

    def forms(self, data=None, step: str = ""):
        patient = self.finding.patient
        return {
            "confirm_form": FindingConfirmForm(data if step == "confirm" else None),
            "query_form": FindingQueryForm(data if step == "query" else None, patient=patient),
        }

    def get_context_data(self, **kwargs):
        finding = self.finding
        user = self.request.user
        may_confirm = access.may_raise_queries(user) or (
            access.patients(user, for_edit=True).filter(pk=finding.patient_id).exists()
        )
        context = {"finding": finding, "patient": finding.patient, **self.forms(), **kwargs}
        return super().get_context_data(
            rule=RULE_BY_CODE.get(finding.rule),
            place=finding_selectors.record_label(finding.record_kind),
            may_confirm=may_confirm and finding.is_open,
            may_query=access.may_raise_queries(user) and finding.is_open and not finding.query_id,
            history=finding.history.select_related("history_user").order_by("history_date"),
            **context,
        )

    def post(self, request, *args, **kwargs):
        step = request.POST.get("step", "")
        forms = self.forms(request.POST, step)
        form = forms["confirm_form"] if step == "confirm" else forms["query_form"]
        if step not in ("confirm", "query") or not form.is_valid():
            return self.render_to_response(self.get_context_data(**forms))
        try:
            if step == "confirm":
                finding_services.finding_confirm(
                    user=request.user, finding=self.finding, reason=form.cleaned_data["reason"]
                )
                messages.success(request, f"{self.finding} confirmed as correct.")
            else:
                query = finding_services.finding_to_query(
                    user=request.user,
                    finding=self.finding,
                    assignee=form.cleaned_data["assignee"],
                    question=form.cleaned_data["question"],
                )
                messages.success(request, f"{query} raised from {self.finding}.")
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                error = ValidationError(str(error))
            apply_validation_error(form, error)
            return self.render_to_response(self.get_context_data(**forms))
        return redirect("registry:finding-detail", pk=self.finding.pk)


class CompletenessView(RoleRequiredMixin, TemplateView):
    """Per centre and record kind, the share of complete records; findings and queries by
    age; `?format=csv` downloads the table."""

    template_name = "registry/quality/completeness.html"

    def get(self, request, *args, **kwargs):
        centres = finding_selectors.completeness_by_centre(request.user)
        if request.GET.get("format") == "csv":
            return completeness_csv(centres)
        return self.render_to_response(
            self.get_context_data(
                centres=centres,
                kinds=list(centres[0].kinds) if centres else [],
                bands=finding_selectors.AGE_BANDS,
                bars=completeness_bars(centres),
                plot_height=BAR_TOP + BAR_STEP * len(centres),
            )
        )


# The plot: a bar per centre, the share of its records that are complete, worst first.
BAR_LEFT, BAR_WIDTH, BAR_TOP, BAR_STEP, BAR_HEIGHT = 120, 400, 10, 30, 20


def completeness_bars(centres) -> list[dict]:
    ordered = sorted(centres, key=lambda c: (c.share if c.share is not None else 2, c.code))
    return [
        {
            "code": centre.code,
            "label": centre.share_text,
            "y": BAR_TOP + BAR_STEP * i,
            "text_y": BAR_TOP + BAR_STEP * i + BAR_HEIGHT - 5,
            "width": round((centre.share or 0) * BAR_WIDTH, 1),
            "needs_help": centre.share is not None and centre.share < 0.9,
        }
        for i, centre in enumerate(ordered)
    ]


def completeness_csv(centres) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="completeness-by-centre.csv"'
    writer = csv.writer(response)
    writer.writerow(["centre", "record_kind", "records", "complete", "share_complete"])
    for centre in centres:
        for kind in centre.kinds:
            share = "" if kind.share is None else f"{kind.share:.3f}"
            writer.writerow(
                [formula_safe(centre.code), kind.kind, kind.records, kind.complete, share]
            )
    writer.writerow([])
    writer.writerow(
        [
            "centre",
            "open_findings_under_7_days",
            "open_findings_7_to_30_days",
            "open_findings_over_30_days",
            "open_queries_under_7_days",
            "open_queries_7_to_30_days",
            "open_queries_over_30_days",
        ]
    )
    for centre in centres:
        writer.writerow(
            [formula_safe(centre.code)]
            + [centre.findings_by_age[band] for band, _label in finding_selectors.AGE_BANDS]
            + [centre.queries_by_age[band] for band, _label in finding_selectors.AGE_BANDS]
        )
    return response
