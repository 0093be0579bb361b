"""The partners directory of a territory: who takes part in the project, with
their role, contacts, services and representatives. Coordinators keep it up to
date; the plugin's data file only seeds it (see amal.territories.services)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from amal.access import Permission, requires
from amal.errors import DomainError, NotFound
from amal.plugins.definitions import PartnerRole
from amal.runtime import state
from amal.territories.services import (
    PARTNER_FIELDS,
    REPRESENTATIVE_FIELDS,
    add_partner,
    add_representative,
    directory,
    partner_in,
    remove_representative,
    update_partner,
)
from amal.web.context import request_context
from amal.web.errors import attach_error, domain_message
from amal.web.labels import choices
from amal.web.setup import territory_blueprint

bp = territory_blueprint("partners", __name__, "/partners")


class PartnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role in the project"), choices=choices(PartnerRole))
    description = TextAreaField(_l("Description"))
    services_offered = TextAreaField(_l("Services they offer"))
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    website = StringField(_l("Website"), validators=[Length(max=500)])


class RepresentativeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position"), validators=[Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])


def _partner(partner_id: int):
    try:
        return partner_in(request_context(), g.territory, partner_id)
    except NotFound:
        abort(404)


@bp.get("/")
@requires(Permission.VIEW_DASHBOARD)
def index():
    catalogue = state(current_app).plugins.service_catalogue(g.territory)
    services_of: dict[str, list] = {}
    for service in catalogue:
        services_of.setdefault(service.operator, []).append(service)
    return render_template(
        "territories/partners.html",
        partners=directory(request_context(), g.territory),
        services_of=services_of,
        person_form=RepresentativeForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TERRITORY)
def new():
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            add_partner(
                request_context(),
                g.territory,
                **{f: getattr(form, f).data for f in PARTNER_FIELDS},
            )
        except DomainError as error:
            attach_error(form, error, form.name)
        else:
            flash(_("Partner added."), "success")
            return redirect(url_for("partners.index"))
    return render_template("territories/partner_form.html", form=form, partner=None)


@bp.route("/<id:partner_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TERRITORY)
def edit(partner_id: int):
    partner = _partner(partner_id)
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        try:
            update_partner(
                request_context(),
                g.territory,
                partner.id,
                **{f: getattr(form, f).data for f in PARTNER_FIELDS},
            )
        except DomainError as error:
            attach_error(form, error, form.name)
        else:
            flash(_("Partner updated."), "success")
            return redirect(url_for("partners.index"))
    return render_template("territories/partner_form.html", form=form, partner=partner)


@bp.post("/<id:partner_id>/representatives")
@requires(Permission.MANAGE_TERRITORY)
def add_person(partner_id: int):
    partner = _partner(partner_id)
    form = RepresentativeForm()
    if not form.validate_on_submit():
        flash(_("Give at least the representative's name."), "error")
        return redirect(url_for("partners.index"))
    try:
        add_representative(
            request_context(),
            g.territory,
            partner.id,
            **{f: getattr(form, f).data for f in REPRESENTATIVE_FIELDS},
        )
    except DomainError as error:
        flash(domain_message(error), "error")
    else:
        flash(_("Representative added."), "success")
    return redirect(url_for("partners.index"))


@bp.post("/<id:partner_id>/representatives/<id:person_id>/remove")
@requires(Permission.MANAGE_TERRITORY)
def remove_person(partner_id: int, person_id: int):
    partner = _partner(partner_id)
    try:
        remove_representative(request_context(), g.territory, partner.id, person_id)
    except NotFound:
        abort(404)
    flash(_("Representative removed."), "success")
    return redirect(url_for("partners.index"))
