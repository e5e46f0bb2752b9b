"""Serializer fields the API's views share."""

from django.utils.translation import gettext as _
from rest_framework import serializers


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
