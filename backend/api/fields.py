"""Serializer fields the API's views share: choices that name the values allowed, and the
readers of texts, numbers and days whose errors say precisely what is wrong (the services'
checks then hold the values read to the rules, see ``backend/api/errors.py``'s
``field_check``)."""

from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty


class ListedChoiceField(serializers.ChoiceField):
    """A choice whose error names the values allowed, so that a client can correct itself."""

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if str(data) not in self.choice_strings_to_values:
            raise serializers.ValidationError(
                _('"%(value)s" is not allowed; use one of: %(allowed)s.')
                % {"value": data, "allowed": ", ".join(self.choice_strings_to_values)}
            )
        return self.choice_strings_to_values[str(data)]


def _missing(data) -> bool:
    return data is empty or data is None or (isinstance(data, str) and not data.strip())


def _at_most(max_length: int) -> str:
    return _("Write at most %(max)s characters.") % {"max": max_length}


at_most = lazy(_at_most, str)


class TextField(serializers.CharField):
    """A text, sent as a string: a number, a boolean or a list is "Not a valid string.". With
    ``missing_is_blank``, a text absent, null or blank reads as "" whatever the field's
    ``required`` and ``allow_blank`` say (which the schema shows): the service's own check then
    says whether it may be, in its own words."""

    def __init__(self, *, missing_is_blank: bool = False, **kwargs):
        self.missing_is_blank = missing_is_blank
        if kwargs.get("max_length") is not None:
            kwargs.setdefault("error_messages", {})["max_length"] = at_most(kwargs["max_length"])
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if self.missing_is_blank and _missing(data):
            return ""
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "decimal"})
class DecimalTextField(serializers.CharField):
    """A number sent as a string (or as a JSON number), read as a Decimal; documented as a
    string (format "decimal"), so that no precision is lost on the way. Its errors show a good
    value: ``example``, else the serializer context's "example"; ``missing`` says what to give
    when none is. Only finite numbers are read (not NaN or Infinity); the service's check
    bounds their digits before any arithmetic (e.g. ``backend/payments/services.py``)."""

    def __init__(self, *, missing: str, example: str = "", **kwargs):
        self.missing, self.example = missing, example
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        example = self.example or self.context.get("example", "")
        if _missing(data):
            raise serializers.ValidationError(str(self.missing) % {"example": example})
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            raise serializers.ValidationError(
                _('Give a number, e.g. "%(example)s".') % {"example": example}
            )
        text = data.strip() if isinstance(data, str) else str(data)
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise serializers.ValidationError(
                _('"%(value)s" is not a number; give it as e.g. "%(example)s".')
                % {"value": text, "example": example}
            )
        return number


class DayField(serializers.DateField):
    """A day sent as YYYY-MM-DD; an error shows the value given, ``missing`` says what to give
    when none is."""

    def __init__(self, *, missing: str, **kwargs):
        self.missing = missing
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if data is empty or data is None or data == "":
            raise serializers.ValidationError(str(self.missing))
        day = None
        if isinstance(data, str):
            try:
                day = parse_date(data.strip())
            except ValueError:
                day = None
        if day is None:
            raise serializers.ValidationError(
                _('"%(value)s" is not a date; give it as YYYY-MM-DD.') % {"value": data}
            )
        return day
