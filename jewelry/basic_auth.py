"""HTTP Basic is for API clients, not for browsers (docs/threat-model.md, "HTTP Basic and browsers").

A browser that holds Basic credentials for us sends them with every request to our
origin, the ones another site makes it send (a form, a ``fetch``) included, and DRF's
Basic authentication never asks for a CSRF token: every POST would be forgeable. So a
401 never challenges with ``Basic`` (no browser prompts, so none caches a password),
and an unsafe request that shows a browser's headers needs Django's CSRF check with
Basic exactly as with a session cookie. ``curl -u`` and other clients send neither.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication

# Not a scheme any browser answers with a password prompt; it tells a client what to send.
CHALLENGE = 'xBasic realm="api", hint="send Authorization: Basic with the request"'
# Sent by browsers (and only by them) with every cross-origin and every unsafe request:
# Origin by all current engines, Sec-Fetch-Site by Chromium, Firefox and Safari.
BROWSER_HEADERS = ("Origin", "Sec-Fetch-Site")


def from_a_browser(request) -> bool:
    return any(header in request.headers for header in BROWSER_HEADERS)


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's Basic authentication without the browser prompt, and with CSRF for browsers.

    The CSRF check runs before the password is: a forged request costs no hashing.
    Safe methods (GET, HEAD, OPTIONS) pass it, as they do for sessions.
    """

    def authenticate(self, request):
        scheme = authentication.get_authorization_header(request).split(b" ", 1)[0]
        if scheme.lower() == b"basic" and from_a_browser(request):
            authentication.SessionAuthentication().enforce_csrf(request)
        return super().authenticate(request)

    def authenticate_header(self, request):
        return CHALLENGE


class BasicSchema(OpenApiAuthenticationExtension):
    """Still plain HTTP Basic in the OpenAPI schema: what a client sends has not changed."""

    target_class = BasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic",
                "description": "Send the credentials with each request (`curl -u`); no Basic challenge is "
                               "sent. From a browser, unsafe requests need the CSRF token, as with a session."}
