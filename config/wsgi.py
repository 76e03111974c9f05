"""WSGI entry point, served by gunicorn with config/gunicorn.conf.py."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from apps.core.wsgi import draining_unread_body

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# A body the app refused unread is read after the answer, so that the client gets to read
# the answer (apps/core/wsgi.py).
application = draining_unread_body(get_wsgi_application())
