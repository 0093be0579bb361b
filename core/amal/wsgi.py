"""The WSGI entry point for gunicorn (or any WSGI server): ``amal.wsgi:app``.

The instance folder comes from ``AMAL_INSTANCE`` (default ``./instance``);
``amal serve --production`` sets it from ``--instance``."""

from __future__ import annotations

import os

from amal.app import create_app

app = create_app(os.environ.get("AMAL_INSTANCE"))
