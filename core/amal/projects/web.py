"""Project pages: the territory's projects, each with its progress against the
targets (server-side SVG charts), and the coordinator's edit form."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from amal.access import Permission, requires
from amal.errors import DomainError
from amal.projects import charts
from amal.projects.models import Project
from amal.projects.services import (
    COUNTS,
    current_project,
    project_of,
    project_progress,
    territory_projects,
    update_project,
)
from amal.territories.models import Partner
from amal.web.context import request_context
from amal.web.errors import attach_error
from amal.web.fields import DateField
from amal.web.setup import territory_blueprint

bp = territory_blueprint("projects", __name__, "/projects")


def _count(label: str) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=0, max=100000)])


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"))
    start_on = DateField(_l("Start"), validators=[InputRequired()])
    end_on = DateField(_l("End"), validators=[InputRequired()])
    funders = SelectMultipleField(
        _l("Funders"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    target_groups = _count(_l("Groups"))
    min_people_per_group = _count(_l("People per group (minimum)"))
    max_people_per_group = _count(_l("People per group (maximum)"))
    meetings_per_group = _count(_l("Meetings per group"))
    cycle_months = _count(_l("Cycle length (months)"))
    people_reached = _count(_l("People reached"))


def _project(project_id: int) -> Project:
    try:
        return project_of(request_context(), g.territory, project_id)
    except DomainError:
        abort(404)


@bp.get("/")
@requires(Permission.MANAGE_GROUPS)
def index():
    session = request_context().session
    projects = territory_projects(session, g.territory)
    current = current_project(session, g.territory)
    return render_template("projects/index.html", projects=projects, current=current)


@bp.get("/<id:project_id>")
@requires(Permission.MANAGE_GROUPS)
def show(project_id: int):
    project = _project(project_id)
    progress = project_progress(request_context().session, project, date.today())
    p = project
    figures = {
        "groups": charts.progress_chart(
            _("Groups started vs planned"),
            progress.groups_started,
            progress.groups_planned,
            p.target_groups,
            (_("started"), _("by start date in the calendar"), _("target")),
        ),
        "people": charts.progress_chart(
            _("People enrolled vs target"),
            progress.people_enrolled,
            None,
            p.people_reached,
            (_("people enrolled"), "", _("target")),
        ),
        "meetings": charts.progress_chart(
            _("Group meetings held vs planned"),
            progress.meetings_held,
            progress.meetings_planned,
            p.target_groups * p.meetings_per_group,
            (_("held"), _("in the calendar"), _("target")),
        ),
        "attendance": charts.rate_chart(
            _("Attendance rate at group meetings, month by month"),
            progress.attendance,
            _("present / register lines (%)"),
        ),
        "wellbeing": charts.paired_bars(
            _("WHO-5 wellbeing per group: entry vs latest"),
            [(r.name, r.who5_entry, r.who5_latest) for r in progress.groups],
            (_("entry"), _("latest")),
        ),
    }
    titles = {
        "groups": _("Groups started vs planned"),
        "people": _("People enrolled vs target"),
        "meetings": _("Group meetings held vs planned"),
        "attendance": _("Attendance rate at group meetings, month by month"),
        "wellbeing": _("WHO-5 wellbeing per group: entry vs latest"),
    }
    return render_template(
        "projects/show.html", project=project, progress=progress, figures=figures, titles=titles
    )


@bp.route("/<id:project_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROJECTS)
def edit(project_id: int):
    project = _project(project_id)
    ctx = request_context()
    form = ProjectForm(obj=project)
    partners = ctx.session.scalars(
        select(Partner).where(Partner.territory_code == g.territory).order_by(Partner.id)
    ).all()
    form.funders.choices = [(p.id, p.name) for p in partners]
    if request.method == "GET":
        form.funders.data = [p.id for p in project.funders]
    if form.validate_on_submit():
        extra = [
            {"code": t["code"], "value": request.form.get(f"target-{t['code']}", t["value"])}
            for t in project.extra_targets
        ]
        try:
            update_project(
                ctx,
                g.territory,
                project.id,
                funder_ids=form.funders.data,
                extra_targets=[{**t, "value": _int(t["value"])} for t in extra],
                title=form.title.data,
                description=form.description.data or "",
                start_on=form.start_on.data,
                end_on=form.end_on.data,
                **{name: getattr(form, name).data for name in COUNTS},
            )
        except DomainError as error:
            ctx.session.rollback()
            attach_error(form, error, form.title)
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/edit.html", project=project, form=form)


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1  # refused by the service with a clear message
