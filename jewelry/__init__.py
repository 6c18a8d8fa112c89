"""The Alexandrite Django project: settings, URLs, the Celery app and WSGI entry point."""

from jewelry.celery import app as celery_app

__all__ = ("celery_app",)
