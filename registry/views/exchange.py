"""The data managers' upload page: check a file (dry run), then import it, all or nothing.

Templates get `ImportResult.as_dict()`: plain dicts, not defaultdicts (a template lookup of
"items" on a defaultdict would create a key instead of listing them).
"""

import base64
import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from registry import exchange

from .mixins import DataManagerRequiredMixin

PENDING = "pending_import"


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A .json case file or an .xlsx workbook.")


class ImportPageView(DataManagerRequiredMixin, View):
    """Upload checks the file without writing; a clean check can then be imported."""

    template_name = "registry/import.html"

    def get(self, request):
        request.session.pop(PENDING, None)
        return render(request, self.template_name, {"form": UploadForm()})

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        try:
            located = exchange.read_upload(upload)
        except exchange.ExchangeFileError as error:
            form.add_error("file", str(error))
            return render(request, self.template_name, {"form": form}, status=400)
        result = exchange.import_cases(
            located, user=request.user, dry_run=True, reason=f"Imported from {upload.name}"
        )
        if result.ok:
            upload.seek(0)
            content = upload.read()
            request.session[PENDING] = {
                "name": upload.name,
                "content": base64.b64encode(content).decode(),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        return render(
            request,
            self.template_name,
            {
                "form": UploadForm(),
                "result": result.as_dict(),
                "file_name": upload.name,
                "pending": request.session.get(PENDING, {}).get("sha256") if result.ok else None,
            },
            status=200 if result.ok else 400,
        )

    def confirm(self, request):
        pending = request.session.pop(PENDING, None)
        if not pending or pending["sha256"] != request.POST.get("confirm"):
            messages.error(request, "Nothing checked to import: upload the file again.")
            return redirect("registry:import")
        content = base64.b64decode(pending["content"])
        result = exchange.import_cases(
            exchange.read_named(pending["name"], content),
            user=request.user,
            dry_run=False,
            reason=f"Imported from {pending['name']}",
        )
        if result.written:
            created = sum(result.created.values())
            updated = sum(result.updated.values())
            messages.success(
                request,
                f"Imported {pending['name']}: {result.cases} cases, "
                f"{created} records created, {updated} updated.",
            )
            return redirect("registry:patient-list")
        return render(
            request,
            self.template_name,
            {
                "form": UploadForm(),
                "result": result.as_dict(),
                "file_name": pending["name"],
            },
            status=400,
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
