"""Login, logout, password change, and the instance admin's user pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from amal.accounts.models import ApiToken, Role, TerritoryRole, User
from amal.accounts.services import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    change_password,
    create_token,
    create_user,
    end_session,
    grant_role,
    revoke_token,
    set_active,
    start_session,
)
from amal.accounts.services import remove_role as remove_user_role
from amal.errors import DomainError
from amal.web.context import request_context
from amal.web.errors import domain_message
from amal.web.labels import options

bp = Blueprint("accounts", __name__)

ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.INTAKE_OPERATOR: _l("Intake operator"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.FUNDER_VIEWER: _l("Funder viewer"),
    Role.REGIONAL_VIEWER: _l("Regional viewer"),
}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The passwords differ"))],
    )


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Full name"), validators=[Length(max=200)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    role = SelectField(_l("Role"), choices=options((r.value, ROLE_LABELS[r]) for r in Role))
    territories = SelectMultipleField(_l("Territories"))
    is_admin = BooleanField(_l("Instance admin"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username, source = form.username.data.strip(), request.remote_addr or ""
        throttle = current_app.extensions["amal_login_throttle"]
        # The slot is taken before the password is checked: parallel guesses
        # cannot all get through.
        refused = throttle.take(username, source)
        if refused == "account":
            form.username.errors.append(_("Too many attempts for this account: wait a minute."))
            status = 429
        elif refused:
            form.username.errors.append(_("Too many failed attempts: wait 15 minutes."))
            status = 429
        else:
            try:
                user = authenticate(request_context(), username, form.password.data, source)
            except DomainError:
                form.password.errors.append(_("Wrong username or password."))
                status = 401
            else:
                throttle.succeeded(username, source)
                _begin_session(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("core.home"))
    return render_template("accounts/login.html", form=form), status


def _begin_session(user: User) -> None:
    """A fresh session (nothing set before authentication survives), known to the
    server so that it can be ended from there."""
    session.clear()
    session_id = start_session(request_context(), user.id)
    login_user(user)
    session["sid"] = session_id
    session.permanent = True  # the cookie expires too, not only the server's record


def _safe_next(target: str | None) -> str | None:
    """A path on this site, or None. Browsers drop tabs and newlines and read a
    backslash as a slash, so those are refused rather than cleaned."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.post("/logout")
def logout():
    if session.get("sid"):
        end_session(request_context(), session["sid"])
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(
                request_context(),
                current_user.id,
                form.current_password.data,
                form.new_password.data,
            )
        except DomainError as error:
            form.current_password.errors.append(
                _("The current password is wrong.")
                if error.code == "invalid_credentials"
                else domain_message(error)
            )
        else:
            _begin_session(current_user._get_current_object())  # every other session ended
            flash(_("Password changed."), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/password.html", form=form)


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    if not current_user.is_admin:
        abort(403)
    ctx = request_context()
    form = UserForm()
    form.territories.choices = options((c, t.name) for c, t in ctx.plugins.territories.items())
    if form.validate_on_submit():
        try:
            create_user(
                ctx,
                form.username.data,
                form.password.data,
                display_name=form.display_name.data or "",
                is_admin=form.is_admin.data,
                roles=[(t, Role(form.role.data)) for t in form.territories.data],
            )
        except DomainError as error:
            form.username.errors.append(domain_message(error))
        else:
            flash(_("User %(name)s created.", name=form.username.data), "success")
            return redirect(url_for("accounts.users"))
    all_users = ctx.session.scalars(
        select(User).options(selectinload(User.roles)).order_by(User.username)
    ).all()
    territory_names = {c: t.name for c, t in ctx.plugins.territories.items()}
    return render_template(
        "accounts/users.html",
        form=form,
        users=all_users,
        role_labels=ROLE_LABELS,
        territory_names=territory_names,
    )


@bp.post("/admin/users/<id:user_id>/<action>")
@login_required
def change_user(user_id: int, action: str):
    """Deactivate or reactivate an account, or grant it a role in a territory."""
    if not current_user.is_admin:
        abort(403)
    ctx = request_context()
    user = ctx.session.get(User, user_id)
    if user is None:
        abort(404)
    if action == "toggle":
        reason = request.form.get("reason", "").strip()
        if user.is_active and (not reason or not request.form.get("confirm")):
            # Deactivating ends the person's sessions at once: say why and confirm.
            flash(_("Give the reason and tick the confirmation to deactivate an account."), "error")
            return redirect(url_for("accounts.users"))
        try:
            set_active(ctx, user.id, not user.is_active, by_user_id=current_user.id, reason=reason)
        except DomainError:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            flash(
                _("Account deactivated: it can be reactivated from this list.")
                if not user.is_active
                else _("Account reactivated."),
                "success",
            )
    elif action == "grant":
        try:
            grant_role(
                ctx, user.id, request.form.get("territory", ""), Role(request.form.get("role", ""))
            )
        except (DomainError, ValueError):
            flash(_("Choose a territory and a role."), "error")
    else:
        abort(404)
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<id:user_id>/roles/<id:role_id>/remove")
@login_required
def remove_role(user_id: int, role_id: int):
    """Take one role away from a user (their other roles stay; it can be granted again)."""
    if not current_user.is_admin:
        abort(403)
    ctx = request_context()
    role = ctx.session.get(TerritoryRole, role_id)
    if role is None or role.user_id != user_id:
        abort(404)
    territory = ctx.plugins.territories.get(role.territory_code)
    message = _(
        "Role %(role)s removed from %(user)s.",
        role=f"{ROLE_LABELS[role.role]} – {territory.name if territory else role.territory_code}",
        user=role.user.username,
    )
    remove_user_role(ctx, user_id, role_id)
    flash(message, "success")
    return redirect(url_for("accounts.users"))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name of the partner system"), validators=[DataRequired(), Length(max=80)]
    )
    territory = SelectField(_l("Territory"))
    role = SelectField(_l("Role"), choices=options((r.value, ROLE_LABELS[r]) for r in Role))
    days = IntegerField(
        _l("Valid for (days)"), default=90, validators=[DataRequired(), NumberRange(min=1, max=730)]
    )


@bp.route("/admin/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """API tokens: create (the secret is shown once), list, revoke."""
    if not current_user.is_admin:
        abort(403)
    ctx = request_context()
    form = TokenForm()
    form.territory.choices = options((c, t.name) for c, t in ctx.plugins.territories.items())
    secret = None
    if form.validate_on_submit():
        try:
            _, secret = create_token(
                ctx, form.name.data, form.territory.data, Role(form.role.data), form.days.data
            )
        except DomainError as error:
            form.name.errors.append(domain_message(error))
    all_tokens = ctx.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template(
        "accounts/tokens.html", form=form, tokens=all_tokens, secret=secret, role_labels=ROLE_LABELS
    )


@bp.post("/admin/tokens/<id:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not current_user.is_admin:
        abort(403)
    try:
        revoke_token(request_context(), token_id)
    except DomainError:
        abort(404)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))
