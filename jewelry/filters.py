"""Query-string filters every API may use, bounded to what the database can answer."""

from datetime import timedelta

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

# The widest UTC offset in use on Earth (UTC+14, Kiribati). PostgreSQL refuses 16:00 and
# more with a DataError (a 500), so a wider one is refused here, as bad input.
MAX_UTC_OFFSET = timedelta(hours=14)


class BoundedIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {"utc_offset": "The UTC offset must be between -14:00 and +14:00."}

    def to_python(self, value):
        moment = super().to_python(value)
        offset = moment.utcoffset() if moment is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["utc_offset"], code="utc_offset")
        return moment


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter with the UTC offset checked (``?created_after=...+16:00`` is a 400)."""

    field_class = BoundedIsoDateTimeField
