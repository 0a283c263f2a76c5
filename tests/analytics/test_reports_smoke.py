import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_report_pages_render(client, analyst, case_a, case_b):
    client.force_login(analyst)
    for name in ("characteristics", "cr", "opd"):
        response = client.get(reverse("analytics:report", args=[name]), {"by_centre": "on"})
        assert response.status_code == 200, name
    for name, fmt in (("cr", "json"), ("cr", "csv"), ("opd", "xlsx")):
        assert client.get(reverse("analytics:download", args=[name, fmt])).status_code == 200
    assert client.get(reverse("analytics:plot", args=["opd", "ps-pfs", "png"])).status_code == 200
    for plot in ("duration-of-cr", "duration-of-cr-from-first-cr"):
        assert client.get(reverse("analytics:plot", args=["cr", plot, "svg"])).status_code == 200
