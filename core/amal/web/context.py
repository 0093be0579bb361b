"""The service context of a web request: the request's session, the logged-in
user as actor (for history and audit), the app's plugins."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from amal.app import service_context
from amal.services import Context


def web_context() -> Context:
    actor = current_user.username if current_user.is_authenticated else "anonymous"
    return service_context(current_app, actor)
