"""A query string holding a NUL is refused before any view sees it (400 ``{code, message}``).

PostgreSQL cannot store or compare text with a NUL: any filter, admin lookup or search
that passed one on raised a 500. No parameter of ours can hold one, so none is let in.
"""

from django.http import JsonResponse

from jewelry.api import announce_refusal, error_body

CODE = "invalid_input"
MESSAGE = "The query string holds a NUL character."


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            announce_refusal(code=CODE, message=MESSAGE)
            return JsonResponse(error_body(CODE, MESSAGE), status=400)
        return self.get_response(request)
