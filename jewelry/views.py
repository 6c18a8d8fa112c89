"""The start page: where a newcomer finds the API docs, the support console and the admin."""

from django.shortcuts import render

from jewelry.roles import Role, has_role


def home(request):
    return render(request, "jewelry/home.html", {
        "may_support": has_role(request.user, Role.SUPPORT, Role.DEVELOPER),
    })
