"""Export: a project's record written back as a grant file imports into an identical record."""

import pytest
from django.core.management import CommandError, call_command

from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.selectors import projects_with_record
from backend.grantfile.services import grant_file_import
from backend.grants.models import Project
from tests.grants.helpers import dump, record_snapshot, spec_example, variant

pytestmark = pytest.mark.django_db


def _richer_grant() -> bytes:
    """The spec example with what it lacks: dated participations, an associated partner,
    several work packages, clusters and periods."""

    def change(data):
        data["participants"][1]["joined_on"] = "2022-09-01"
        data["participants"].append(
            {
                "short_name": "CITY",
                "legal_name": "City of Ériceira",
                "pic": "999999004",
                "country": "PT",
                "types": ["public_authority"],
                "role": "associated_partner",
                "left_on": "2024-12-31",
            }
        )
        data["work_packages"][0]["lump_sum_eur"] = "100000.00"
        data["work_packages"][0]["shares_eur"] = {"UNIWA": "100000.00"}
        data["work_packages"].append(
            {
                "number": 2,
                "title": "Solar installer curricula",
                "clusters": ["teaching_learning", "cooperation_partnership"],
                "lead": "ACME",
                "start_month": 3,
                "end_month": 30,
                "lump_sum_eur": "300000.00",
                "shares_eur": {"ACME": "180000.50", "ACME-LAB": "19999.50", "UNIWA": "100000.00"},
            }
        )
        data["deliverables"].append(
            {
                "code": "D2.1",
                "title": "Curriculum",
                "work_package": 2,
                "lead": "ACME",
                "type": "DEC",
                "dissemination": "PU",
                "due_month": 30,
            }
        )
        data["milestones"].append(
            {
                "code": "MS2",
                "title": "Pilot course run",
                "work_packages": [2, 1],
                "lead": "ACME",
                "due_month": 24,
                "verification": "Attendance lists",
            }
        )
        data["payment_schedule"]["reporting_periods"] = [
            {"number": 1, "start_month": 1, "end_month": 18, "payment": "additional_prefinancing"},
            {"number": 2, "start_month": 19, "end_month": 36, "payment": "interim"},
            {"number": 3, "start_month": 37, "end_month": 48, "payment": "balance"},
        ]

    return dump(variant(change))


def _export(project_id: int, file_format: str) -> str:
    project = projects_with_record().get(pk=project_id)
    return dump_grant_file(grant_file_data(project), file_format)


@pytest.mark.parametrize("file_format", ["yaml", "json"])
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda: dump(spec_example()), id="spec example"),
        pytest.param(_richer_grant, id="richer"),
    ],
)
def test_import_export_import_gives_an_identical_record(content, file_format):
    first = grant_file_import(content=content())
    before = record_snapshot(first)
    exported = _export(first.pk, file_format)
    first.delete()  # the number is unique: make room for the second import

    second = grant_file_import(content=exported.encode())

    assert record_snapshot(second) == before
    assert second.pk != first.pk


def test_the_export_of_a_reimported_record_is_the_same_file():
    first = grant_file_import(content=_richer_grant())
    exported = _export(first.pk, "yaml")
    first.delete()
    second = grant_file_import(content=exported.encode())

    assert _export(second.pk, "yaml") == exported


def test_the_export_writes_optional_keys_only_when_they_differ_from_the_default():
    project = grant_file_import(content=_richer_grant())

    data = grant_file_data(projects_with_record().get(pk=project.pk))

    by_name = {p["short_name"]: p for p in data["participants"]}
    assert "joined_on" not in by_name["UNIWA"]
    assert str(by_name["ACME"]["joined_on"]) == "2022-09-01"
    assert str(by_name["CITY"]["left_on"]) == "2024-12-31"
    assert by_name["ACME-LAB"]["affiliated_to"] == "ACME"
    assert "affiliated_to" not in by_name["ACME"]
    assert list(data) == [
        "format",
        "call",
        "grant_agreement_number",
        "acronym",
        "title",
        "signed_on",
        "start_date",
        "duration_months",
        "max_grant_eur",
        "payment_schedule",
        "participants",
        "work_packages",
        "deliverables",
        "milestones",
    ]


def test_the_export_command_writes_the_file(tmp_path, spec_example_bytes):
    grant_file_import(content=spec_example_bytes)
    target = tmp_path / "out.yaml"

    call_command("export-grant", "101056201", "--output", str(target))

    text = target.read_text()
    assert text.startswith("format: grantwatch/grant@1\n")
    assert "types: [hei, vet_provider_tertiary]" in text
    assert "signed_on: 2022-05-20\n" in text  # a date, unquoted, as in the specification
    Project.objects.all().delete()
    assert grant_file_import(content=text.encode()).acronym == "SECOVE"


def test_the_export_command_refuses_an_unknown_number():
    with pytest.raises(CommandError, match="no project has grant agreement number '42'"):
        call_command("export-grant", "42")
