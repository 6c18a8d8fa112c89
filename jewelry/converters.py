"""URL converters: an id in a path is a database id (a bigint), or the path does not match."""

from django.urls.converters import IntConverter

MAX_DATABASE_ID = 2**63 - 1  # PostgreSQL's bigint, the primary keys' type (DEFAULT_AUTO_FIELD)


class DatabaseIdConverter(IntConverter):
    """``<id:order_id>``: like ``<int:...>``, but an id no row can have is a 404, not a lookup.

    Beyond 64 bits an id also broke tracing: the OTLP exporter cannot encode it, logged a
    traceback per request and dropped ``order.id`` from the span.
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_DATABASE_ID:
            raise ValueError("beyond a bigint")  # Django's answer to a ValueError here: no match
        return number
