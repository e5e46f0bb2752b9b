"""``AnyOf``: the check path's filter by a batch of ids (one array parameter on PostgreSQL)."""

import pytest
from django.db.models import F

from backend.grants.models import Organisation
from backend.grants.selectors import AnyOf
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisations():
    return OrganisationFactory.create_batch(4)


def _names(queryset) -> list[str]:
    return sorted(queryset.values_list("legal_name", flat=True))


def test_it_keeps_the_rows_whose_id_is_given_in_any_collection(organisations):
    first, second, _third, fourth = organisations
    wanted = [first.legal_name, second.legal_name, fourth.legal_name]

    assert _names(
        Organisation.objects.filter(AnyOf(F("id"), [first.pk, fourth.pk, second.pk]))
    ) == sorted(wanted)
    assert _names(
        Organisation.objects.filter(AnyOf(F("id"), {first.pk, second.pk, fourth.pk}))
    ) == sorted(wanted)
    # Ids given as strings (a form's values) are read as numbers; unknown ids match nothing.
    assert _names(Organisation.objects.filter(AnyOf(F("id"), [str(first.pk), 10**12]))) == [
        first.legal_name
    ]


def test_thousands_of_ids_are_one_filter(organisations):
    ids = [organisation.pk for organisation in organisations] + list(range(10**9, 10**9 + 20_000))

    assert Organisation.objects.filter(AnyOf(F("id"), ids)).count() == 4
    assert Organisation.objects.exclude(AnyOf(F("id"), ids[:2])).count() == 2


def test_no_ids_match_nothing(organisations):
    assert list(Organisation.objects.filter(AnyOf(F("id"), []))) == []
    # Excluding none of them keeps them all, as ``__in=[]`` does.
    assert Organisation.objects.exclude(AnyOf(F("id"), [])).count() == 4


def test_an_id_that_is_not_a_number_is_refused(organisations):
    with pytest.raises(ValueError, match="invalid literal for int"):
        list(Organisation.objects.filter(AnyOf(F("id"), ["1} OR TRUE --"])))
