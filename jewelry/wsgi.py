"""WSGI entry point (gunicorn: ``gunicorn -c deploy/gunicorn.conf.py jewelry.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jewelry.settings")
application = get_wsgi_application()
