"""The OpenAPI schema documents the errors too: every operation's 4xx and 500 answers, ``{code, message}``.

So the schema says what a client must handle, and a fuzzer (tests/faults/test_schema_fuzz.py)
can check that each refusal has a documented status and shape.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorOutput(serializers.Serializer):
    """Every error's body under /api/ (jewelry.api), DEBUG or not."""

    code = serializers.CharField(help_text="Stable, for programs: e.g. invalid_input, order_not_found.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(required=False, help_text="Per field, what is wrong (invalid_input only).")


_ALWAYS = {
    "400": "Bad input (code invalid_input and a message per field, or a domain code).",
    "401": "Not signed in, or wrong credentials.",
    "403": "Signed in, but this role may not do this.",
    "404": "No such order (or not yours), or no such path: every path under /api/ answers JSON.",
    "406": "The Accept header asks for something other than JSON.",
    "429": "Too many failed sign-ins, or (creating, uploading, submitting) too many requests from "
           "one customer; Retry-After says when to try again (code too_many_failed_logins or throttled).",
    "500": "Something went wrong on our side; it has been recorded (code server_error).",
}
_WITH_BODY = {
    "409": "The order's current status refuses this step; the message says what must happen first "
           "(code illegal_transition).",
    "413": "The request body is too large.",
    "415": "Unsupported Content-Type.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = _ALWAYS if self.method in ("GET", "HEAD") else {**_ALWAYS, **_WITH_BODY}
        for status, description in errors.items():
            if status not in responses:
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(ErrorOutput, description=description), status, direction=direction)
        return responses
