"""gunicorn settings shipped with AMAL: ``gunicorn -c python:amal.gunicorn_conf``
(what ``amal serve --production`` runs). Every setting can be changed by an
environment variable of the unit file or the container.

Graceful reload: ``kill -HUP <master pid>`` (``systemctl reload amal``) starts
new workers with the new code and configuration, lets the old ones finish their
requests (up to ``graceful_timeout``) and only then stops them. The app is not
preloaded in the master for that reason."""

from __future__ import annotations

import multiprocessing
import os

from amal.logs import logging_config


def _workers() -> int:
    """2 × cores + 1 (gunicorn's rule of thumb for sync workers), at most 12:
    each worker holds a database connection pool."""
    configured = os.environ.get("AMAL_WORKERS")
    if configured:
        return int(configured)
    return min(2 * multiprocessing.cpu_count() + 1, 12)


wsgi_app = "amal.wsgi:app"
bind = [os.environ.get("AMAL_BIND", "127.0.0.1:8000")]
workers = _workers()
worker_class = "sync"
timeout = int(os.environ.get("AMAL_WORKER_TIMEOUT", "60"))  # a long report run
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (a slow leak never grows for long).
max_requests = 2000
max_requests_jitter = 200
preload_app = False
# X-Forwarded-Proto is trusted from the TLS proxy in front only.
forwarded_allow_ips = os.environ.get("AMAL_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The access log is the app's own JSON line per request (amal.web.observability):
# it knows the user, token and territory, which gunicorn's format cannot.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("AMAL_LOG_LEVEL", "info")
logconfig_dict = logging_config(loglevel.upper())
proc_name = "amal"
# gunicorn's control socket is one per user by default: two instances on one
# machine would share it. Signals (HUP, TERM, TTIN/TTOU) are what we document.
control_socket_disable = True
