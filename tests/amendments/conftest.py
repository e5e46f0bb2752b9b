"""Fixtures for amendment tests: the demo grant (22 participants, compliant) and one user per
kind of role on it."""

from pathlib import Path

import pytest

from backend.accounts.models import ProjectRole
from backend.grants.models import Project
from backend.grants.services import grant_file_import
from tests.factories import UserFactory

DEMO = Path(__file__).resolve().parents[2] / "backend" / "grants" / "demo_data" / "cove-demo.yaml"


@pytest.fixture
def demo(db) -> Project:
    """CARETECH: starts 2024-03-01, ends 2028-02-29; coordinator GAUJA (LV)."""
    return grant_file_import(content=DEMO.read_bytes())


@pytest.fixture
def other_project(db, spec_example_bytes) -> Project:
    """SECOVE, another project (its organisations are not the demo's)."""
    return grant_file_import(content=spec_example_bytes)


def _user(username, project=None, role=None, acting_for=None, **flags):
    user = UserFactory(username=username, **flags)
    if project is not None:
        ProjectRole.objects.create(
            user=user,
            project=project,
            role=role,
            participation=None
            if acting_for is None
            else project.participations.get(short_name=acting_for),
        )
    return user


@pytest.fixture
def users(demo, other_project) -> dict:
    """One user per kind of role: the demo's manager (for the coordinator), a partner contact
    (for ZILEMED), the demo's officer, an officer of another project, an administrator, and a
    stranger with no role."""
    return {
        "admin": _user("root", is_superuser=True, is_staff=True),
        "officer": _user("po", demo, "officer", is_agency_officer=True),
        "other_officer": _user("po-other", other_project, "officer", is_agency_officer=True),
        "manager": _user("pm", demo, "manager", acting_for="GAUJA"),
        "partner_contact": _user("pc", demo, "partner_contact", acting_for="ZILEMED"),
        "stranger": _user("nobody"),
    }


@pytest.fixture
def manager(users):
    return users["manager"]


@pytest.fixture
def po(users):
    return users["officer"]
