"""The shared kernel as a Django app: its commands, templates, and the URL converters every app uses."""

from django.apps import AppConfig
from django.urls import register_converter


class JewelryConfig(AppConfig):
    name = "jewelry"

    def ready(self):
        from jewelry.converters import DatabaseIdConverter

        # Before any URLconf is loaded (they load at the first request or reverse()).
        register_converter(DatabaseIdConverter, "id")
