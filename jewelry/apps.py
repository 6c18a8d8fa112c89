"""The shared kernel as a Django app: its commands, templates, the URL converters every app uses
and its system checks."""

from django.apps import AppConfig
from django.core import checks
from django.urls import register_converter


class JewelryConfig(AppConfig):
    name = "jewelry"

    def ready(self):
        from jewelry.converters import DatabaseIdConverter
        from jewelry.demo_accounts import demo_accounts_with_published_password

        # Before any URLconf is loaded (they load at the first request or reverse()).
        register_converter(DatabaseIdConverter, "id")
        checks.register(demo_accounts_with_published_password, checks.Tags.security, deploy=True)
