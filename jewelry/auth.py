"""Sign-in and the session's user: throttled password checks, and the user with their roles.

Django's session middleware loads the user on every request, and nearly every view
then asks for the user's role groups. ``RolesBackend.get_user`` reads both in one
statement (the user row joined to its groups), and ``roles_of`` finds them already
on the user. Plain SQL on purpose: the ORM would rebuild the joined query on every
request, which costs more CPU than the query it saves. ``authenticate`` refuses
names PostgreSQL cannot hold, throttles repeated failures (jewelry.login_throttle) and
does not hash a password it verified a moment ago again (jewelry.verified_passwords).
"""

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import connection

from jewelry import login_throttle, verified_passwords
from jewelry.client_address import client_address
from jewelry.roles import GROUP_ROLES, remember_roles


@cache
def _user_with_groups_sql() -> str:
    q = connection.ops.quote_name
    user, group = q(User._meta.db_table), q(Group._meta.db_table)
    membership = q(User.groups.through._meta.db_table)
    return (
        f"SELECT {user}.*, {group}.{q('name')} AS group_name FROM {user} "
        f"LEFT JOIN {membership} ON {membership}.{q('user_id')} = {user}.{q('id')} "
        f"LEFT JOIN {group} ON {group}.{q('id')} = {membership}.{q('group_id')} "
        f"WHERE {user}.{q('id')} = %s"
    )


class RolesBackend(ModelBackend):
    """Django's model backend; ``get_user`` (the session's user) brings the roles along."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not isinstance(username, str) or password is None:
            return None
        keys = login_throttle.keys_for(username, client_address(request) if request else None)
        counts = login_throttle.check(keys)
        # PostgreSQL text cannot hold NUL: no such user can exist, and asking would raise.
        user = None if "\x00" in username else self._user_with_password(username, password)
        if user is None:
            login_throttle.failed(keys, counts)
        else:
            login_throttle.succeeded(keys, counts)
        return user

    def _user_with_password(self, username: str, password: str):
        """ModelBackend.authenticate, except that a password verified a moment ago is not hashed again."""
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # as Django does: as slow whether the name exists or not
            return None
        if not verified_passwords.recently_verified(user, password):
            if not user.check_password(password):
                return None
            verified_passwords.remember(user, password)
        return user if self.user_can_authenticate(user) else None

    def get_user(self, user_id):
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        rows = list(User.objects.raw(_user_with_groups_sql(), [user_id]))  # one row per group
        if not rows or not self.user_can_authenticate(rows[0]):
            return None
        user = rows[0]
        remember_roles(user, frozenset(row.group_name for row in rows) & frozenset(GROUP_ROLES))
        return user
