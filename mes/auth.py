"""B2B partners authenticate to the MES API with ``Authorization: Api-Key <key>``."""

import hmac

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from mes.models import ApiClient, hash_api_key

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(KEYWORD + " "):
            return None
        key = header[len(KEYWORD) + 1:].strip()
        if "\x00" in key:  # PostgreSQL cannot compare text with a NUL: no such key exists
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        prefix = key.split(".", 1)[0]
        client = ApiClient.objects.filter(key_prefix=prefix, is_active=True).first()
        if client is None or not hmac.compare_digest(client.key_hash, hash_api_key(key)):
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return client, None

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeySchema(OpenApiAuthenticationExtension):
    """The API-key scheme in the OpenAPI schema, so clients (and the fuzzer) know how to send it."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": f"`{KEYWORD} <key>`: a key made by `manage.py create_api_client`."}
