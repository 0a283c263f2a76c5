"""The example REDCap project (docs/redcap/) imports into an empty registry with a clean dry
run, and the registry's reports then give the figures its README states: the README's
tables are read here, so the documentation cannot drift from the files."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from registry.access import Role
from registry.models import PATIENT_RECORD_MODELS, Patient
from tests.factories import CentreFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "redcap"
FILES = {
    "--dictionary": EXAMPLE / "mbc_data_dictionary.csv",
    "--records": EXAMPLE / "mbc_records.csv",
    "--mapping": EXAMPLE / "mbc_mapping.yaml",
}


def stated_tables() -> list[dict[str, str]]:
    """The README's tables marked as figures: first column -> second column."""
    text = (EXAMPLE / "README.md").read_text()
    blocks = re.findall(r"<!-- figures:.*?-->\n(.*?)<!-- end of figures -->", text, re.S)
    return [
        {
            cells[0]: cells[1]
            for line in block.strip().splitlines()[2:]
            for cells in [[c.strip() for c in line.strip("|").split("|")]]
        }
        for block in blocks
    ]


def import_example(capsys, *extra) -> str:
    arguments = [a for option, path in FILES.items() for a in (option, str(path))]
    call_command("import_redcap", "--user", "dm_mil", *arguments, *extra)
    return capsys.readouterr().out


def report(name: str, tmp_path) -> dict:
    output = tmp_path / f"{name}.json"
    call_command("report", name, "--output", str(output))
    return json.loads(output.read_text())["overall"]


def test_the_example_imports_cleanly_and_gives_the_stated_figures(capsys, tmp_path):
    milan = CentreFactory(code="MIL", name="Milan")
    UserFactory(username="dm_mil", role=Role.DATA_MANAGER, centres=[milan])
    records, figures = stated_tables()

    checked = import_example(capsys, "--dry-run")
    assert checked.startswith("Checked (dry run, nothing written) 36 REDCap records")
    assert not Patient.objects.exists()
    imported = import_example(capsys)
    again = import_example(capsys)

    assert imported.startswith("Imported 36 REDCap records: created 1290, updated 0, unchanged 0")
    assert again.startswith("Imported 36 REDCap records: created 0, updated 0, unchanged 1290")
    assert sum(int(n) for n in records.values()) == 1290
    stored = {"patients": Patient.objects.count()} | {
        str(model._meta.verbose_name_plural): model.objects.count()
        for model in PATIENT_RECORD_MODELS
    }
    assert {label: str(stored[label]) for label in records} == records

    characteristics, cr, opd = (report(name, tmp_path) for name in ("characteristics", "cr", "opd"))
    computed = {
        "patients": str(characteristics["n"]),
        "de novo presentation": characteristics["presentation"]["de_novo"]["display"],
        "subtype HR+/HER2-": characteristics["subtype_group"]["HR+/HER2-"]["display"],
        "subtype HER2+": characteristics["subtype_group"]["HER2+"]["display"],
        "subtype triple-negative": characteristics["subtype_group"]["triple-negative"]["display"],
        "CR rate (patients with a CR episode / evaluable patients)": cr["cr_rate"]["display"],
        "CR rate on line 1": cr["cr_rate_by_line"][0]["display"],
        "CR episodes": str(cr["cr_episodes"]),
        "patients with CR more than once": cr["cr_more_than_once"]["display"],
        "patients with a locoregional OPD": opd["registry_denominators"]["with_locoregional_opd"][
            "display"
        ],
        "OPD-surgery cohort (de novo, breast/axillary surgery, line continued)": str(opd["n"]),
    }
    assert computed == figures
