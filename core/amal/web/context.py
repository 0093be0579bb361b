"""The service context of a request: the request's session, who is asking as
actor (a staff user or an API token, see :func:`amal.access.principal`) for
history and audit, the app's plugins."""

from __future__ import annotations

from flask import current_app

from amal.access import principal
from amal.runtime import service_context
from amal.services import Context


def request_context() -> Context:
    who = principal()
    return service_context(current_app, who.username if who.is_authenticated else "anonymous")
