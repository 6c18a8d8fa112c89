"""Benchmark users, logged in the way the web front end is: a session cookie and a CSRF token."""

from __future__ import annotations

from benchmarks.load import Credentials


def logged_in(username: str, role: str) -> Credentials:
    """Create ``username`` in ``role`` (once) and return a fresh session for it.

    Session auth, not HTTP Basic: Basic would hash the password (PBKDF2) on every
    request and drown the cost being measured.
    """
    from django.contrib.auth.models import User
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from jewelry.roles import create_user

    user = User.objects.filter(username=username).first() or create_user(username=username, role=role)
    client = Client()
    client.force_login(user)
    return Credentials(session_id=client.cookies["sessionid"].value, csrf_token=_get_new_csrf_string())
