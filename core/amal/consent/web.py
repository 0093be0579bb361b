"""Privacy notices of a territory (the versions consents refer to) and the
re-consent list: people whose consent is on an older notice."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from amal import access
from amal.access import Permission, requires
from amal.audit.services import record_read
from amal.consent.models import PrivacyNotice
from amal.consent.services import current_notice, outdated_consents, publish_notice
from amal.errors import DomainError
from amal.participants.models import Participant
from amal.web.context import request_context
from amal.web.errors import domain_message
from amal.web.fields import DateField
from amal.web.setup import territory_blueprint

bp = territory_blueprint("privacy", __name__, "/privacy")


class RenewForm(FlaskForm):
    renewed_on = DateField(_l("New notice signed on"), validators=[Optional()])


class NoticeForm(FlaskForm):
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=20)])
    text = TextAreaField(_l("Text of the notice"), validators=[DataRequired()])


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.MANAGE_PRIVACY)
def notices():
    ctx = request_context()
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            publish_notice(ctx, g.territory, form.version.data.strip(), form.text.data)
        except DomainError as error:
            form.version.errors.append(domain_message(error))
        else:
            flagged = len(outdated_consents(ctx.session, g.territory))
            flash(
                _(
                    "Privacy notice published: new consents refer to it. "
                    "%(n)s people consented on an older version: see the re-consent list.",
                    n=flagged,
                ),
                "success",
            )
            return redirect(url_for("privacy.notices"))
    published = ctx.session.scalars(
        select(PrivacyNotice)
        .where(PrivacyNotice.territory_code == g.territory)
        .order_by(PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc())
    ).all()
    return render_template(
        "consent/notices.html",
        form=form,
        notices=published,
        flagged=len(outdated_consents(ctx.session, g.territory)),
    )


@bp.get("/reconsent")
@requires(Permission.EDIT_PARTICIPANTS)
def reconsent():
    """Everyone whose consent in force refers to an older notice, with the
    button that records their consent to the current one."""
    ctx = request_context()
    visible = set(ctx.session.scalars(access.participants().with_only_columns(Participant.id)))
    flagged = {
        p: consents
        for p, consents in outdated_consents(ctx.session, g.territory).items()
        if p.id in visible
    }
    record_read(ctx, "reconsent_list", [p.id for p in flagged], territory_code=g.territory)
    return render_template(
        "consent/reconsent.html",
        flagged=flagged,
        notice=current_notice(ctx.session, g.territory),
        form=RenewForm(),
    )
