"""The patient list: its filter form, rendered once per key (PatientFilter.form_key) and
shared only by requests that would render it the same, and its rows
(registry.patient_list)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry.models import PatientSummary
from tests.builders import build_patient

pytestmark = pytest.mark.django_db

LIST = reverse("registry:patient-list")


def page(user, query=None) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(LIST, query or {})
    assert response.status_code == 200
    return response.content.decode()


def test_each_user_sees_the_centres_and_labels_of_their_own_form(
    centre_a, centre_b, data_manager, dm_b, analyst_a
):
    of_a, of_b, of_analyst = page(data_manager), page(dm_b), page(analyst_a)
    assert "Centre A" in of_a and "Centre B" not in of_a
    assert "Centre B" in of_b and "Centre A" not in of_b
    assert "Registry ID, name or record number" in of_a
    assert "Registry ID, name or record number" not in of_analyst
    assert '<label for="id_q">Registry ID</label>' in of_analyst


def test_the_submitted_values_and_their_errors_are_shown(centre_a, data_manager, dm_b):
    page(data_manager)
    shown = page(data_manager, {"mbc_from": "soon", "q": "conti", "sort": "mbc"})
    assert 'value="soon"' in shown and 'value="conti"' in shown
    assert 'aria-invalid="true"' in shown
    assert 'aria-invalid="true"' not in page(data_manager, {"q": "conti"})
    # Another centre's ID is an invalid choice for this user, whatever others may choose.
    assert 'aria-invalid="true"' in page(dm_b, {"centre": str(centre_a.pk)})


def test_a_row_shows_the_summary_badges_and_blanks_without_a_summary(
    centre_a, data_manager, analyst_a
):
    dead = build_patient(
        centre_a, lines=[(0, None, None, "endocrine")], responses=[(3, 1, "CR")], died_at=12
    )
    dead.archived_at = timezone.now()
    dead.save(update_fields=["archived_at"])
    bare = build_patient(centre_a)
    PatientSummary.objects.filter(patient=bare).delete()

    shown = page(data_manager, {"archived": ""})
    row = shown[shown.index(f">{dead.registry_id}</a>") :].split("</tr>")[0]
    assert '<span class="badge archived">archived</span>' in row
    assert '<span class="badge cr">1 episode</span>' in row
    assert '<span class="badge dead">dead</span>' in row
    assert f'href="/patients/{dead.registry_id}/"' in shown
    assert f"{dead.family_name}, {dead.given_name}" in row
    blank = shown[shown.index(f">{bare.registry_id}</a>") :].split("</tr>")[0]
    assert "<td></td>" in blank and "badge" not in blank
    assert f"{dead.family_name}, {dead.given_name}" not in page(analyst_a, {"archived": ""})
