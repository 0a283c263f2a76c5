"""The data managers' upload page and the case export page: both start background jobs.

An upload is stored as its job's input and first checked (a dry run); the job's page then
offers to import that same stored file. Nothing waits in the session.
"""

import io
import zipfile

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from registry import access, exchange, jobs
from registry.interop import fhir, redcap

from .mixins import DataManagerRequiredMixin, RoleRequiredMixin


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A .json case file or an .xlsx workbook.")


class ImportPageView(DataManagerRequiredMixin, View):
    """Upload starts a check of the file; `confirm=<check job>` imports the checked file."""

    template_name = "registry/import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": UploadForm()})

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = jobs.start_import(
                    user=request.user, name=upload.name, content=upload.read(), dry_run=True
                )
            except exchange.ExchangeFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect(job.get_absolute_url())
        return render(request, self.template_name, {"form": form}, status=400)

    def confirm(self, request):
        try:
            check = access.get_or_404(access.jobs(request.user), pk=request.POST["confirm"])
            job = jobs.start_import_of_checked(user=request.user, check=check)
        except ValidationError as error:  # not a job id, or not a passed check
            context = {"form": UploadForm(), "refusal": " ".join(error.messages)}
            return render(request, self.template_name, context, status=400)
        return redirect(job.get_absolute_url())


class ExportForm(forms.Form):
    output = forms.ChoiceField(
        choices=[
            ("xlsx", "XLSX workbook (one sheet per record type)"),
            ("json", "JSON"),
            ("fhir", "FHIR R4 bundle (mCODE profiles)"),
        ],
        widget=forms.RadioSelect,
        initial="xlsx",
    )


class ExportPageView(RoleRequiredMixin, View):
    """Export the cases the patient list's filters select (in the query string), as a job."""

    template_name = "registry/export.html"

    def get(self, request):
        return self.page(request, ExportForm())

    def post(self, request):
        form = ExportForm(request.POST)
        if form.is_valid():
            try:
                job = jobs.start_export(
                    user=request.user, query=request.GET, output=form.cleaned_data["output"]
                )
            except ValidationError as error:
                form.add_error(None, "; ".join(error.messages))
            else:
                return redirect(job.get_absolute_url())
        return self.page(request, form, status=400)

    def page(self, request, form, status=200):
        filters = jobs.export_filters(request.user, request.GET)
        count = filters.qs.count() if filters.is_valid() else None
        return render(
            request,
            self.template_name,
            {"form": form, "count": count, "filters": filters, "query": request.GET.urlencode()},
            status=status,
        )


EXCHANGE_GUIDE = settings.BASE_DIR / "docs" / "exchange.md"
EXAMPLE_CASE = settings.BASE_DIR / "docs" / "example-case.json"


class ExchangeGuideView(DataManagerRequiredMixin, View):
    """The exchange formats and data dictionary (docs/exchange.md), readable in the browser."""

    def get(self, request):
        return render(
            request, "registry/exchange_guide.html", {"guide": EXCHANGE_GUIDE.read_text()}
        )


class ExampleCaseView(DataManagerRequiredMixin, View):
    """A whole example case in the exchange format, to copy as a template."""

    def get(self, request):
        response = HttpResponse(EXAMPLE_CASE.read_bytes(), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="example-case.json"'
        return response


class RedcapUploadForm(forms.Form):
    dictionary = forms.FileField(
        label="Data dictionary (CSV)",
        help_text="REDCap: Project Setup › Data Dictionary › Download the current Data Dictionary.",
    )
    records = forms.FileField(
        label="Records (CSV, raw data)",
        help_text="REDCap: Data Exports › All data › CSV / Microsoft Excel (raw data).",
    )
    mapping = forms.FileField(
        label="Mapping (YAML or JSON)",
        help_text="Which REDCap field feeds which registry field (docs/redcap.md).",
    )


class RedcapImportPageView(DataManagerRequiredMixin, View):
    """Upload a REDCap project's three files: a check job first, then the same files imported
    from the job's page (as for the registry's own case files)."""

    template_name = "registry/redcap_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RedcapUploadForm()})

    def post(self, request):
        form = RedcapUploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = redcap.ProjectFiles(
                **{part: (upload.name, upload.read()) for part, upload in form.cleaned_data.items()}
            )
            try:
                job = jobs.start_redcap_import(user=request.user, files=files, dry_run=True)
            except exchange.ExchangeFileError as error:
                form.add_error(None, str(error))
            else:
                return redirect(job.get_absolute_url())
        return render(request, self.template_name, {"form": form}, status=400)


REDCAP_GUIDE = settings.BASE_DIR / "docs" / "redcap.md"
REDCAP_EXAMPLE = settings.BASE_DIR / "docs" / "redcap"
REDCAP_EXAMPLE_FILES = (
    "README.md",
    "mbc_data_dictionary.csv",
    "mbc_records.csv",
    "mbc_mapping.yaml",
)


class RedcapGuideView(DataManagerRequiredMixin, View):
    """The REDCap import and its mapping format (docs/redcap.md), readable in the browser."""

    def get(self, request):
        return render(
            request,
            "registry/exchange_guide.html",
            {"guide": REDCAP_GUIDE.read_text(), "title": "REDCap import"},
        )


class RedcapExampleView(DataManagerRequiredMixin, View):
    """The example REDCap project (dictionary, records, mapping, README) as one ZIP."""

    def get(self, request):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in REDCAP_EXAMPLE_FILES:
                archive.write(REDCAP_EXAMPLE / name, f"redcap-example/{name}")
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="redcap-example.zip"'
        return response


class CaseFhirView(View):
    """A case as a FHIR mCODE bundle, as the user may see it (de-identified for analysts)."""

    def get(self, request, registry_id):
        document = fhir.case_bundle(request.user, registry_id)
        if document is None:
            raise Http404("No patient found.")
        response = HttpResponse(fhir.bundle_bytes(document), content_type=fhir.CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{registry_id}.fhir.json"'
        return response
