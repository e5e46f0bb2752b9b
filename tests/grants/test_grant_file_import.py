"""Grant-file import: the specification's example imports; every kind of invalid file the
specification lists is refused with an error at the offending path, and nothing is written."""

import json

import pytest
from django.core.management import CommandError, call_command

from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.services import grant_file_import
from backend.grants.models import Organisation, Project
from tests.grants.helpers import dump, row_counts, spec_example, variant

pytestmark = pytest.mark.django_db


def _set(path, value):
    """A change that sets the value at a path such as ("participants", 1, "country")."""

    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(data):
        target = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def _all(*changes):
    def change(data):
        for one in changes:
            one(data)

    return change


def _add_participant(**fields):
    def change(data):
        data["participants"].append(
            {
                "short_name": "EXTRA",
                "legal_name": "Extra Partner Ltd",
                "pic": "999999009",
                "country": "DE",
                "types": ["enterprise"],
                "role": "beneficiary",
            }
            | fields
        )

    return change


def _second_deliverable(**fields):
    def change(data):
        data["deliverables"].append(dict(data["deliverables"][0]) | fields)

    return change


def _second_milestone(**fields):
    def change(data):
        data["milestones"].append(dict(data["milestones"][0]) | fields)

    return change


def _periods(*periods):
    return _set(
        ("payment_schedule", "reporting_periods"),
        [{"number": n, "start_month": s, "end_month": e, "payment": p} for n, s, e, p in periods],
    )


def _grant_of(amount):
    """Max grant, the one work package's lump sum and its shares all at ``amount``."""
    return _all(
        _set(("max_grant_eur",), amount),
        _set(("work_packages", 0, "lump_sum_eur"), amount),
        _set(("work_packages", 0, "shares_eur"), {"UNIWA": amount}),
    )


# (case id, change to the spec example, path of the expected error, words in its message)
INVALID_CASES = [
    # wrong format, missing or unknown keys, wrong types
    ("wrong format", _set(("format",), "grantwatch/grant@2"), "format", "Unsupported format"),
    ("missing key", _delete(("acronym",)), "acronym", "required"),
    ("missing nested key", _delete(("participants", 1, "pic")), "participants[1].pic", "required"),
    ("unknown key", _set(("acronymn",), "X"), "acronymn", "Unknown key"),
    (
        "unknown nested key",
        _set(("participants", 1, "contry"), "PT"),
        "participants[1].contry",
        "Unknown key",
    ),
    ("integer as text", _set(("duration_months",), "48"), "duration_months", "whole number"),
    ("pic as a number", _set(("participants", 0, "pic"), 999999001), "participants[0].pic", "text"),
    ("amount as a float", _set(("max_grant_eur",), 400000.0), "max_grant_eur", "decimal amount"),
    ("list expected", _set(("participants", 0, "types"), "hei"), "participants[0].types", "list"),
    # the call and its ceilings
    ("unknown call", _set(("call",), "ERASMUS-EDU-2019-PEX-COVE"), "call", "Unknown call"),
    ("grant above the call maximum", _grant_of("4000000.01"), "max_grant_eur", "above the call"),
    ("duration zero", _set(("duration_months",), 0), "duration_months", "between 1 and 48"),
    (
        "duration above the call maximum",
        _set(("duration_months",), 60),
        "duration_months",
        "between 1 and 48",
    ),
    # coordinator
    (
        "no coordinator",
        _set(("participants", 0, "role"), "beneficiary"),
        "participants",
        "Exactly one participant",
    ),
    (
        "two coordinators",
        _set(("participants", 1, "role"), "coordinator"),
        "participants[1].role",
        "Exactly one participant",
    ),
    (
        "coordinator from a non-associated country",
        _set(("participants", 0, "country"), "UA"),
        "participants[0].country",
        "EU Member State or a third country associated",
    ),
    # countries, types, duplicates
    (
        "unknown country code",
        _set(("participants", 1, "country"), "XX"),
        "participants[1].country",
        "Unknown country code",
    ),
    (
        "unknown organisation type",
        _set(("participants", 1, "types"), ["enterprise", "startup"]),
        "participants[1].types[1]",
        '"startup" is not one of',
    ),
    (
        "duplicate short name",
        _add_participant(short_name="ACME"),
        "participants[3].short_name",
        "already used by participants[1]",
    ),
    (
        "duplicate pic",
        _add_participant(pic="999999002"),
        "participants[3].pic",
        "already used by participants[1]",
    ),
    (
        "duplicate deliverable code",
        _second_deliverable(),
        "deliverables[1].code",
        "already used by deliverables[0]",
    ),
    (
        "duplicate milestone code",
        _second_milestone(),
        "milestones[1].code",
        "already used by milestones[0]",
    ),
    # affiliation and leads
    (
        "affiliated_to missing",
        _delete(("participants", 2, "affiliated_to")),
        "participants[2].affiliated_to",
        "names the beneficiary or coordinator",
    ),
    (
        "affiliated_to unknown",
        _set(("participants", 2, "affiliated_to"), "NOBODY"),
        "participants[2].affiliated_to",
        'No participant has the short name "NOBODY"',
    ),
    (
        "affiliated to an associated partner",
        _all(
            _add_participant(role="associated_partner"),
            _set(("participants", 2, "affiliated_to"), "EXTRA"),
        ),
        "participants[2].affiliated_to",
        "not a beneficiary or the coordinator",
    ),
    (
        "affiliated_to on a beneficiary",
        _set(("participants", 1, "affiliated_to"), "UNIWA"),
        "participants[1].affiliated_to",
        "Only affiliated entities",
    ),
    (
        "work package led by an affiliated entity",
        _set(("work_packages", 0, "lead"), "ACME-LAB"),
        "work_packages[0].lead",
        "coordinator or a beneficiary",
    ),
    (
        "deliverable led by an associated partner",
        _all(
            _add_participant(role="associated_partner"),
            _set(("deliverables", 0, "lead"), "EXTRA"),
        ),
        "deliverables[0].lead",
        "coordinator or a beneficiary",
    ),
    (
        "milestone led by nobody known",
        _set(("milestones", 0, "lead"), "GHOST"),
        "milestones[0].lead",
        'No participant has the short name "GHOST"',
    ),
    # months and periods
    (
        "deliverable due after the end",
        _set(("deliverables", 0, "due_month"), 49),
        "deliverables[0].due_month",
        "outside the project's months 1..48",
    ),
    (
        "milestone due in month 0",
        _set(("milestones", 0, "due_month"), 0),
        "milestones[0].due_month",
        "outside the project's months 1..48",
    ),
    (
        "work package ends after the project",
        _set(("work_packages", 0, "end_month"), 60),
        "work_packages[0].end_month",
        "outside the project's months 1..48",
    ),
    (
        "work package starts after it ends",
        _all(
            _set(("work_packages", 0, "start_month"), 30),
            _set(("work_packages", 0, "end_month"), 20),
        ),
        "work_packages[0].end_month",
        "before the start month",
    ),
    (
        "reporting periods overlap",
        _periods((1, 1, 24, "interim"), (2, 20, 48, "balance")),
        "payment_schedule.reporting_periods[1].start_month",
        "overlaps",
    ),
    (
        "reporting periods leave a gap",
        _periods((1, 1, 24, "interim"), (2, 27, 48, "balance")),
        "payment_schedule.reporting_periods[1].start_month",
        "Months 25..26 belong to no reporting period",
    ),
    (
        "reporting periods stop short",
        _periods((1, 1, 24, "interim"), (2, 25, 40, "balance")),
        "payment_schedule.reporting_periods",
        "Months 41..48 belong to no reporting period",
    ),
    (
        "last period not the balance",
        _periods((1, 1, 24, "interim"), (2, 25, 48, "interim")),
        "payment_schedule.reporting_periods[1].payment",
        "always paid as the balance",
    ),
    # sums and shares
    (
        "lump sums not summing to the maximum grant",
        _set(("max_grant_eur",), "390000.00"),
        "work_packages",
        "add up to EUR 400000.00; max_grant_eur is EUR 390000.00",
    ),
    (
        "shares not summing to the lump sum",
        _set(("work_packages", 0, "shares_eur", "ACME"), "140000.00"),
        "work_packages[0].shares_eur",
        "add up to EUR 390000.00; lump_sum_eur is EUR 400000.00",
    ),
    (
        "share held by an associated partner",
        _all(
            _add_participant(role="associated_partner"),
            _set(("work_packages", 0, "shares_eur"), {"UNIWA": "250000.00", "EXTRA": "150000.00"}),
        ),
        "work_packages[0].shares_eur.EXTRA",
        "associated partner",
    ),
    (
        "share held by an unknown participant",
        _set(("work_packages", 0, "shares_eur"), {"UNIWA": "250000.00", "ACMEE": "150000.00"}),
        "work_packages[0].shares_eur.ACMEE",
        'No participant has the short name "ACMEE"',
    ),
    # percentages and amounts
    (
        "percentage above 100",
        _set(("payment_schedule", "prefinancing_percent"), "140.00"),
        "payment_schedule.prefinancing_percent",
        "between 0 and 100",
    ),
    (
        "negative percentage",
        _set(("payment_schedule", "payments_cap_percent"), "-5.00"),
        "payment_schedule.payments_cap_percent",
        "must not be negative",
    ),
    ("negative amount", _grant_of("-1.00"), "max_grant_eur", "must not be negative"),
    (
        "non-decimal amount",
        _set(("max_grant_eur",), "four hundred"),
        "max_grant_eur",
        "not a decimal",
    ),
    (
        "more than 2 decimal places",
        _set(("work_packages", 0, "shares_eur", "ACME"), "150000.001"),
        "work_packages[0].shares_eur.ACME",
        "At most 2 decimal places",
    ),
    # dates
    (
        "left_on before joined_on",
        _all(
            _set(("participants", 1, "joined_on"), "2023-01-01"),
            _set(("participants", 1, "left_on"), "2022-12-31"),
        ),
        "participants[1].left_on",
        "before joined_on",
    ),
    (
        "left_on before the default joined_on",
        _set(("participants", 1, "left_on"), "2022-06-14"),
        "participants[1].left_on",
        "before joined_on (2022-06-15)",
    ),
    ("date not ISO", _set(("signed_on",), "20/05/2022"), "signed_on", "not a date"),
    (
        "date that does not exist",
        _set(("start_date",), "2022-02-30"),
        "start_date",
        "not a valid calendar date",
    ),
    ("date as a number", _set(("signed_on",), 20220520), "signed_on", "YYYY-MM-DD"),
    # references to work packages
    (
        "deliverable of an unknown work package",
        _set(("deliverables", 0, "work_package"), 7),
        "deliverables[0].work_package",
        "no work package 7",
    ),
    (
        "milestone of an unknown work package",
        _set(("milestones", 0, "work_packages"), [1, 9]),
        "milestones[0].work_packages[1]",
        "no work package 9",
    ),
]


def _errors_of(content: bytes) -> list:
    with pytest.raises(GrantFileInvalid) as refused:
        grant_file_import(content=content)
    return refused.value.errors


def test_the_specification_example_imports(spec_example_bytes):
    project = grant_file_import(content=spec_example_bytes)

    assert project.grant_agreement_number == "101056201"
    assert project.call.identifier == "ERASMUS-EDU-2021-PEX-COVE"
    assert str(project.max_grant_eur) == "400000.00"
    assert sorted(project.participations.values_list("short_name", "role")) == [
        ("ACME", "beneficiary"),
        ("ACME-LAB", "affiliated_entity"),
        ("UNIWA", "coordinator"),
    ]
    lab = project.participations.get(short_name="ACME-LAB")
    assert lab.affiliated_to.short_name == "ACME"
    assert lab.joined_on == project.start_date  # joined_on defaults to the start date
    assert Organisation.objects.get(pic="999999001").types == ["hei", "vet_provider_tertiary"]
    wp = project.work_packages.get()
    assert sorted((s.participation.short_name, str(s.amount_eur)) for s in wp.shares.all()) == [
        ("ACME", "150000.00"),
        ("UNIWA", "250000.00"),
    ]
    assert [c.code for c in wp.clusters.all()] == ["governance_funding"]
    assert str(project.deliverables.get().due_date) == "2022-09-14"  # month 3 ends the day before
    assert list(project.reporting_periods.values_list("number", "payment")) == [
        (1, "interim"),
        (2, "balance"),
    ]


def test_the_same_file_in_json_imports():
    project = grant_file_import(content=json.dumps(spec_example()).encode())
    assert project.participations.count() == 3


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [pytest.param(change, path, words, id=case) for case, change, path, words in INVALID_CASES],
)
def test_an_invalid_file_is_refused_at_its_path_and_writes_nothing(change, path, words):
    before = row_counts()

    errors = _errors_of(dump(variant(change)))

    matching = [error for error in errors if error.path == path]
    assert matching, f"no error at {path}; got {[str(e) for e in errors]}"
    assert any(words in error.message for error in matching), [str(e) for e in matching]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(b"format: [grantwatch\n  acronym: X", "Not valid YAML", id="not yaml"),
        pytest.param(b'{"format": "grantwatch/grant@1",}', "Not valid JSON", id="not json"),
        pytest.param(b"- just\n- a list\n", "mapping", id="not a mapping"),
        pytest.param(b"\xff\xfe\x00binary", "not UTF-8", id="binary"),
        pytest.param(b"", "mapping", id="empty"),
    ],
)
def test_a_file_that_is_not_yaml_or_json_is_refused(content, words):
    before = row_counts()

    errors = _errors_of(content)

    assert len(errors) == 1
    assert errors[0].path == ""
    assert words in errors[0].message
    assert row_counts() == before


def test_a_duplicate_key_is_an_error_at_its_path():
    content = dump(spec_example()).replace(b"acronym: SECOVE\n", b"acronym: SECOVE\nacronym: SE\n")

    errors = _errors_of(content)

    assert [(e.path, e.message) for e in errors] == [
        ("acronym", "This key appears more than once in its mapping.")
    ]


def test_a_duplicate_key_in_json_is_an_error_at_its_path():
    text = json.dumps(spec_example())
    text = text.replace('"country": "PT"', '"country": "PT", "country": "ES"', 1)

    errors = _errors_of(text.encode())

    assert [e.path for e in errors] == ["participants[1].country"]


def test_yaml_aliases_are_refused():
    errors = _errors_of(b"format: &f grantwatch/grant@1\ncall: *f\n")
    assert errors[0].path == ""
    assert "aliases" in errors[0].message


def test_importing_the_same_grant_twice_is_refused_and_writes_nothing(spec_example_bytes):
    grant_file_import(content=spec_example_bytes)
    before = row_counts()

    errors = _errors_of(spec_example_bytes)

    assert [e.path for e in errors] == ["grant_agreement_number"]
    assert "already exists" in errors[0].message
    assert row_counts() == before
    assert Project.objects.count() == 1


def test_every_error_of_a_file_is_reported_at_once():
    broken = variant(
        _all(
            _set(("call",), "NOPE"),
            _set(("participants", 1, "country"), "XX"),
            _set(("deliverables", 0, "due_month"), 99),
            _set(("work_packages", 0, "shares_eur", "ACME"), "1.234"),
            _set(("unexpected",), True),
        )
    )

    errors = _errors_of(dump(broken))

    assert {e.path for e in errors} == {
        "call",
        "participants[1].country",
        "deliverables[0].due_month",
        "work_packages[0].shares_eur.ACME",
        "unexpected",
    }


def test_an_organisation_known_with_other_data_is_refused_not_overwritten(spec_example_bytes):
    grant_file_import(content=spec_example_bytes)
    other_grant = variant(
        _all(
            _set(("grant_agreement_number",), "101056202"),
            _set(("participants", 1, "country"), "ES"),
            _set(("participants", 1, "types"), ["enterprise", "research"]),
        )
    )
    before = row_counts()

    errors = _errors_of(dump(other_grant))

    assert {e.path for e in errors} == {"participants[1].country", "participants[1].types"}
    assert 'recorded with country "PT"' in next(
        e.message for e in errors if e.path.endswith("country")
    )
    assert row_counts() == before
    assert Organisation.objects.get(pic="999999002").country_id == "PT"


def test_a_known_organisation_is_reused_by_a_second_grant(spec_example_bytes):
    first = grant_file_import(content=spec_example_bytes)
    second = grant_file_import(
        content=dump(
            variant(
                _all(
                    _set(("grant_agreement_number",), "101056202"),
                    _set(("participants", 1, "short_name"), "ACME-SA"),
                    _set(("participants", 2, "affiliated_to"), "ACME-SA"),
                    _set(
                        ("work_packages", 0, "shares_eur"),
                        {"UNIWA": "250000.00", "ACME-SA": "150000.00"},
                    ),
                )
            )
        )
    )

    assert Organisation.objects.count() == 3
    assert {p.organisation_id for p in first.participations.all()} == {
        p.organisation_id for p in second.participations.all()
    }
    assert second.participations.filter(short_name="ACME-SA").exists()


def test_the_command_line_import_exits_non_zero_and_names_the_paths(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(dump(variant(_set(("participants", 1, "country"), "XX"))))
    before = row_counts()

    with pytest.raises(CommandError) as failed:
        call_command("import-grant", str(broken))

    assert failed.value.returncode == 1
    assert "nothing was written" in str(failed.value)
    assert "participants[1].country: Unknown country code" in capsys.readouterr().err
    assert row_counts() == before


def test_the_command_line_import_reads_a_file(tmp_path, capsys, spec_example_bytes):
    path = tmp_path / "grant.yaml"
    path.write_bytes(spec_example_bytes)

    call_command("import-grant", str(path))

    assert "Imported SECOVE (grant agreement 101056201" in capsys.readouterr().out
    assert Project.objects.filter(grant_agreement_number="101056201").exists()


def test_the_command_line_import_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import-grant", str(tmp_path / "absent.yaml"))


def test_norway_unquoted_is_a_country_code_not_a_boolean(spec_example_bytes):
    content = spec_example_bytes.replace(b"country: PT", b"country: NO", 1)
    assert b"country: NO\n" in content

    project = grant_file_import(content=content)

    assert project.participations.get(short_name="ACME").organisation.country_id == "NO"


def test_true_and_false_stay_booleans_and_are_refused_as_text(spec_example_bytes):
    content = spec_example_bytes.replace(b"acronym: SECOVE", b"acronym: true")

    errors = _errors_of(content)

    assert [(e.path, e.message) for e in errors] == [("acronym", "Expected text (a string).")]
