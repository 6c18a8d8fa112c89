"""Request body parsers that stop reading at DATA_UPLOAD_MAX_MEMORY_SIZE (413 beyond it).

Apart from jewelry.api because DRF imports its parser classes while jewelry.api is loading.
"""

import io

from django.conf import settings
from rest_framework import exceptions, parsers


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request body is too large."


def _bounded(stream) -> io.BytesIO:
    """The body, read up to DATA_UPLOAD_MAX_MEMORY_SIZE; refused beyond it, before it is all in memory."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:  # Django's "no limit"
        return io.BytesIO(stream.read())
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return io.BytesIO(body)


class NestedTooDeeply(exceptions.ParseError):
    default_code = "json_too_deep"
    default_detail = "The JSON body is nested too deeply."


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser reads the whole stream whatever its size: this one stops at the limit.

    It also refuses nesting deeper than Python's recursion limit (about 1000 levels, a few KB of
    ``[``): the decoder raises RecursionError there, which DRF does not catch (a 500).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(_bounded(stream), media_type, parser_context)
        except RecursionError:
            raise NestedTooDeeply() from None


class BoundedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(_bounded(stream), media_type, parser_context)
