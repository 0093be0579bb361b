"""One-time form tokens: a form that creates something carries a fresh token,
and a token already used by a successful submission is refused, so a form
re-sent (browser refresh of the answer, resubmission from history, a network
retry) creates nothing twice.

The used tokens live in the user's session (the last :data:`KEEP`). Rules in
the services refuse true duplicates whatever the form (the same need twice on
a day, a second open referral to a service); this catches the replay itself.
"""

from __future__ import annotations

import secrets

from flask import request, session
from markupsafe import Markup

FIELD = "form_once"
KEEP = 20
_USED = "used_forms"


def once_field() -> Markup:
    """The hidden input to put in a form that creates something."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(16)
    )


def is_replay() -> bool:
    """Whether this POST carries a token a previous successful submission used."""
    token = request.form.get(FIELD, "")
    return bool(token) and token in session.get(_USED, [])


def remember_submission() -> None:
    """Mark this POST's token used (call once the submission has succeeded)."""
    token = request.form.get(FIELD, "")
    if token:
        session[_USED] = [*session.get(_USED, []), token][-KEEP:]
