"""Privacy notices of a territory: the versions consents refer to."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from amal.access import Permission, requires
from amal.consent.models import PrivacyNotice
from amal.consent.services import publish_notice
from amal.errors import DomainError
from amal.web.context import request_context
from amal.web.errors import domain_message
from amal.web.setup import territory_blueprint

bp = territory_blueprint("privacy", __name__, "/privacy")


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
            flash(_("Privacy notice published: new consents refer to it."), "success")
            return redirect(url_for("privacy.notices"))
    published = ctx.session.scalars(
        select(PrivacyNotice)
        .where(PrivacyNotice.territory_code == g.territory)
        .order_by(PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc())
    ).all()
    return render_template("consent/notices.html", form=form, notices=published)
