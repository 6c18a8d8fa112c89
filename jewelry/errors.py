"""Domain errors: one base class carrying a stable code and a human message.

The API layer maps them to HTTP once (``jewelry.api.exception_handler``) and the
tracing app maps them to span status once; nothing else translates errors.
"""


class DomainError(Exception):
    """A refusal the caller can act on: ``code`` is stable, ``message`` is for people."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class OrderNotFound(NotFound):
    """No order with this id, as far as this caller and this system know."""

    code = "order_not_found"

    def __init__(self, order_id: int, message: str = ""):
        super().__init__(message or f"Order {order_id} does not exist.")


class PermissionRefused(DomainError):
    code = "permission_denied"
    http_status = 403


class Conflict(DomainError):
    """The request is valid but the order's current state refuses it."""

    code = "conflict"
    http_status = 409


class QuotaExceeded(DomainError):
    """The request is valid, but it would take the caller past a bound on what they may store."""

    code = "quota_exceeded"
    http_status = 413


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 400


class InvalidModelFile(DomainError):
    """A 3D model that cannot be read or priced (broken, empty, open, absurd)."""

    code = "invalid_model"
    http_status = 400
