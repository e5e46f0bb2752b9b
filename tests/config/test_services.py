"""CI runs the suite against the real services, never against the embedded stand-ins."""

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import IN_CI


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()

    assert version.startswith("PostgreSQL")


def test_ci_points_the_settings_at_postgresql_and_redis():
    if not IN_CI:
        pytest.skip("only CI promises PostgreSQL and Redis")

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_RESULT_BACKEND.startswith("redis://")
