"""The REST APIs (DRF) and their OpenAPI schema (drf-spectacular)."""

from jewelry.settings.env import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first: an anonymous API call gets 401 with a WWW-Authenticate challenge, one no
        # browser answers with a prompt; from a browser, Basic needs CSRF (jewelry/basic_auth.py).
        "jewelry.basic_auth.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "jewelry.schema.ErrorDocumentingAutoSchema",  # 4xx documented (#12)
    "EXCEPTION_HANDLER": "jewelry.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Bodies read into memory stop at DATA_UPLOAD_MAX_MEMORY_SIZE: 413 {code, message} (security.py).
    "DEFAULT_PARSER_CLASSES": [
        "jewelry.parsers.BoundedJSONParser",
        "jewelry.parsers.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per customer, in the default cache (DRF's ScopedRateThrottle): one session cannot flood the
    # orders table or the pricing queue (400 orders in 2.2 s were taken). 429 with Retry-After.
    # An empty value switches a limit off (a load test with few customers).
    "DEFAULT_THROTTLE_RATES": {
        "order_creation": env("ORDER_CREATION_RATE", default="20/min") or None,
        "model_upload": env("MODEL_UPLOAD_RATE", default="20/min") or None,
        "order_submission": env("ORDER_SUBMISSION_RATE", default="20/min") or None,
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Alexandrite API",
    "DESCRIPTION": "Shop, CRM and MES APIs of the custom-jewelry platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One tag per system: the first path segment after /api/v1/ (shop, crm, mes).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TAGS": [
        {"name": "shop", "description": "Customers: create orders, upload 3D models, submit, follow."},
        {"name": "crm", "description": "Sellers and support: find orders, approve, close, cancel, notes."},
        {"name": "mes", "description": "Manufacturing operators and B2B partners: queue, take, complete, ship."},
    ],
    # Order ids in paths are bigints (jewelry/converters.py): documented as such, the range included.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1},
    },
    # One name for the order statuses in the schema (the deploy check warns about several).
    "ENUM_NAME_OVERRIDES": {"OrderStatusEnum": "jewelry.lifecycle.OrderStatus"},
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
