"""The people and systems that act on orders, as Django groups, and the API permission for them."""

from django.db import models
from rest_framework.permissions import BasePermission


class Role(models.TextChoices):
    CUSTOMER = "customer"
    SELLER = "seller"
    OPERATOR = "operator"
    SUPPORT = "support"
    DEVELOPER = "developer"
    # Not a group: the MES pricing machinery itself, acting through messages.
    MES_SYSTEM = "mes-system"
    # Not a group: a B2B partner authenticated by an MES API key.
    API_CLIENT = "api-client"


GROUP_ROLES = (Role.CUSTOMER, Role.SELLER, Role.OPERATOR, Role.SUPPORT, Role.DEVELOPER)


def roles_of(user) -> frozenset[str]:
    """The user's roles, read once per request object (cached on the user).

    Session users come with them (``jewelry.auth.RolesBackend``); others cost one query.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_alexandrite_roles", None)
    if cached is None:
        if getattr(user, "is_api_client", False):
            cached = frozenset({Role.API_CLIENT})
        else:
            cached = frozenset(user.groups.filter(name__in=GROUP_ROLES).values_list("name", flat=True))
        remember_roles(user, cached)
    return cached


def remember_roles(user, roles: frozenset[str]) -> None:
    user._alexandrite_roles = roles


def has_role(user, *roles: str) -> bool:
    return not roles_of(user).isdisjoint(roles)


def require_roles(*roles: str) -> type[BasePermission]:
    """A DRF permission class letting through users holding any of ``roles``."""

    class HasRole(BasePermission):
        message = f"This action needs one of the roles: {', '.join(roles)}."

        def has_permission(self, request, view):
            return has_role(request.user, *roles)

    HasRole.__name__ = "HasRole_" + "_".join(r.replace("-", "_") for r in roles)
    return HasRole


class Actor:
    """Who makes a change: a user id (None for MES machinery) and the role they act in."""

    __slots__ = ("user_id", "role")

    def __init__(self, *, user_id: int | None, role: str):
        self.user_id = user_id
        self.role = role

    def __repr__(self):
        return f"Actor(user_id={self.user_id!r}, role={self.role!r})"


MES_SYSTEM_ACTOR = Actor(user_id=None, role=Role.MES_SYSTEM)


def create_user(*, username: str, role: str, password: str | None = None):
    """A user in one role group (demo data, fixtures and the back office use this)."""
    from django.contrib.auth.models import Group, User

    if role not in GROUP_ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are {', '.join(GROUP_ROLES)}.")
    user = User.objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user
