"""A request body declared bigger than any endpoint takes is refused before a byte of it is read (413).

Django streams a multipart upload to a temporary file as it parses it, and the model
view can only check the file's size afterwards: 300 MB went to /tmp before a 50 MB
check refused it. The declared ``Content-Length`` is known before the body is read. A
body without one (chunked) is read as empty by Django (``LimitedStream`` of length 0).
"""

from django.conf import settings
from django.http import JsonResponse

from jewelry.api import announce_refusal, error_body

CODE = "request_too_large"


class RefuseOversizedBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads such a body as empty
        if declared > settings.REQUEST_BODY_MAX_BYTES:
            message = (f"The request body is {declared} bytes; at most "
                       f"{settings.REQUEST_BODY_MAX_BYTES} bytes are accepted.")
            announce_refusal(code=CODE, message=message)
            return JsonResponse(error_body(CODE, message), status=413)
        return self.get_response(request)
