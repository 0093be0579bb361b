"""Domain errors shown to staff in their language. Services raise English
messages with a stable code (the CLI and API show those); the web translates by
code, falling back to the service's message for codes not listed here."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from amal.errors import DomainError
from amal.web.fields import form_day

MESSAGES = {
    "duplicate_username": _l("A user with this name already exists."),
    "invalid_username": _l("Give a username."),
    "weak_password": _l("The password is too short."),
    "own_account": _l("You cannot deactivate your own account."),
    "group_started": _l("Once the group has started, record a withdrawal or a dropout instead."),
    "plan_started": _l("Meetings already held: shift or regenerate from a later meeting."),
    "not_member": _l("The person is not in this group."),
    "not_in_register": _l("The person is not on this meeting's register."),
    "other_group": _l("That need belongs to another group."),
    "incomplete_answers": _l("Answer every item of the questionnaire."),
    "answer_out_of_range": _l("An answer is outside the questionnaire's scale."),
    "other_territory": _l("This belongs to another territory."),
    "unknown_territory": _l("This territory is not hosted here."),
    "not_info_meeting": _l("Only information meetings have open invitations."),
    "contract_type_not_applicable": _l("A contract type applies only to an outcome in work."),
    "format_not_offered": _l("This report is not produced in that format."),
    "invalid_value": _l("Choose a value from the list."),
    "group_required": _l("This kind of meeting belongs to a group."),
    "consent_required": _l("The person has not given the consent this needs."),
    "no_privacy_notice": _l("Publish the territory's privacy notice first (menu Privacy notices)."),
    "duplicate_participant": _l(
        "This person may already be registered (same fiscal code, or same name and birth date)."
    ),
    "invalid_fiscal_code": _l("The fiscal code is not valid."),
    "empty_fiscal_code": _l(
        "The fiscal code is empty: leave the field empty if the person has no fiscal code."
    ),
    "fiscal_code_is_vat": _l(
        "This is a VAT number (partita IVA) of a company, not a person's fiscal code."
    ),
    "invalid_email": _l("The e-mail address is not valid."),
    "invalid_phone": _l("The phone number is not valid (Italian number, or +prefix for abroad)."),
    "no_active_consent": _l("There is no consent in force for this purpose."),
    "consent_up_to_date": _l("The consents in force already refer to the current notice."),
    "never_in_group": _l(
        "An end outcome is recorded when the person leaves a group: they were never in one."
    ),
    "still_in_group": _l(
        "The person is still in a group: record the end outcome when they leave it."
    ),
    "outcome_exists": _l("This outcome is already recorded: each one is kept as it was."),
    "end_outcome_missing": _l("Record the end outcome before the follow-ups."),
    "invalid_follow_up_month": _l("Choose a follow-up month of this territory's schedule."),
    "contract_type_required": _l("An employed person needs a contract type."),
    "required_field": _l("This field is required."),
    "blocking_violations": _l(
        "Blocking rule violations remain: fix them or write a justification for each one "
        "(at least 10 characters)."
    ),
    "run_outdated": _l("The data changed after this run: run the report again and submit it."),
    "run_failed": _l("The report could not be computed for this period."),
    "invalid_project_dates": _l("The project ends before it starts."),
    "invalid_target": _l(
        "Targets cannot be negative; the minimum per group is at most the maximum."
    ),
    "unknown_partner": _l("Funders must be partners of the territory."),
    "unknown_project": _l("Choose one of the territory's projects."),
    "no_project": _l("The territory has no project: the project period has no dates."),
    "event_in_future": _l("The date cannot be in the future."),
    "event_before_record": _l("The date is before the record it depends on."),
    "illegal_transition": _l("This change is not allowed from the current status."),
    "reason_required": _l("Give a reason for this change."),
    "use_group_action": _l("This change happens through the group (enrol, start, conclude)."),
    "group_full": _l("The group is full."),
    "group_closed": _l("The group does not accept new members any more."),
    "not_admitted": _l("Only admitted participants can be enrolled."),
    "below_minimum_size": _l(
        "The group is below its minimum size: give a reason to start it anyway."
    ),
    "too_many_meetings": _l("Too many meetings for this territory's policy."),
    "start_date_required": _l("Set the date of the first meeting first."),
    "plan_exists": _l("The group already has a meeting plan."),
    "meeting_in_future": _l("The register is recorded after the meeting."),
    "meeting_cancelled": _l("A cancelled meeting has no register."),
    "invalid_hours": _l(
        "Hours must be more than 0 and at most the meeting's length for those "
        "present, and 0 for those absent."
    ),
    "empty_register": _l("The register has no lines."),
    "already_recorded": _l("This questionnaire is already recorded for this phase."),
    "unknown_service": _l("The service is not in this territory's catalogue."),
    "participant_erased": _l("This person's data was erased."),
    "invalid_period": _l(
        "Write the period as in the example: 2026-Q1 (quarter), 2026-S1 "
        "(semester), project, or 2026-01-01..2026-06-30."
    ),
    "invalid_date": _l("Give a valid date."),
    "needs_required": _l("A training meeting answers at least one need of the group."),
    "meeting_not_planned": _l("Only planned meetings can be moved or cancelled."),
    "notice_version_exists": _l("A notice with this version already exists."),
    "transfer_pending": _l("A transfer of this person is already waiting for a decision."),
    "transfer_decided": _l("This transfer was already decided."),
    "same_territory": _l("The person is already in that territory."),
    "in_group": _l("Take the person out of their group before the transfer."),
    "concurrent_change": _l(
        "Someone else changed this record at the same time: reload the page and try again."
    ),
    "invalid_facilitator": _l("Choose a facilitator of this territory."),
    "invalid_characters": _l("The text contains control characters that cannot be stored."),
    "facilitator_required": _l("The group has no facilitator: add one before starting it."),
    "already_facilitating": _l("This person already facilitates the group."),
    "already_ended": _l("This assignment has already ended."),
    "not_staff_here": _l("This person has no active role in the territory."),
    "duplicate_partner": _l("A partner with this name already exists."),
    "confirmation_required": _l("Tick the box to confirm."),
    "not_invitable": _l("Only candidates of the territory not yet in a group can be invited."),
    "walk_in_registered": _l("This person is already registered as a candidate."),
    # Everyday tools: bulk steps, the case diary, the month calendar.
    "nobody_selected": _l("Select at least one person."),
    "batch_too_large": _l("Too many people at once: select fewer."),
    "diary_text_required": _l("Write the note's text."),
    "diary_text_too_long": _l("The note is too long."),
    "invalid_month": _l("Choose a month as month and year."),
    # The network coordination group.
    "network_exists": _l("This project already has its coordination group."),
    "not_a_partner": _l("Choose an organisation of the partners directory."),
    "other_partner": _l("The representative is not one of the organisation's people."),
    "already_member": _l("This organisation already sits at the table."),
    "membership_ended": _l("This membership has already ended."),
    "same_representative": _l("This person already represents the organisation."),
    "owner_required": _l("Say who carries the decision out: an organisation or a person."),
    "due_before_meeting": _l("The due date is before the meeting."),
    "meeting_not_held": _l("Decisions are recorded once the meeting has taken place."),
    "not_a_later_meeting": _l("A decision is followed up at a later meeting of its group."),
    "decision_closed": _l("This decision is already done or dropped."),
    "already_followed_up": _l("This meeting already followed the decision up."),
    "file_type": _l("The minutes must be a PDF, ODT, DOCX, DOC or UTF-8 text file."),
    "file_empty": _l("The file is empty."),
    "file_too_large": _l("The file is larger than 2 MB."),
    "too_long": _l("The text is too long."),
    "birth_date_in_future": _l("The birth date cannot be in the future."),
    "fiscal_code_mismatch": _l(
        "The fiscal code does not match the birth date or sex entered: correct them "
        "(a coordinator may keep them by giving a reason)."
    ),
    "questionnaire_in_future": _l("The questionnaire date cannot be in the future."),
    "meetings_still_planned": _l(
        "The group still has meetings to hold: confirm that they are cancelled, with the reason."
    ),
    "reopen_too_late": _l(
        "A concluded group can be reopened only for a while after its conclusion."
    ),
    "outcome_recorded": _l(
        "An outcome was recorded after the conclusion: the group cannot be reopened."
    ),
    "unknown_meeting": _l("The plan has no meeting with this number."),
    "duplicate_referral": _l(
        "This service is already proposed to the person and the referral is still open."
    ),
    "duplicate_need": _l("This need is already recorded for the group on that day."),
    "already_waiting": _l("The person is already on this group's waiting list."),
    "places_free": _l("The group has free places: enrol the person instead."),
    "not_concluded": _l("Only a concluded group can be reopened."),
    "meeting_before_group_start": _l("The meeting cannot be before the group's start."),
    "meeting_out_of_order": _l(
        "This date would change the order of the group's meetings: shift the rest of the plan."
    ),
}
PHASES = {"entry": _l("entry"), "midway": _l("midway"), "end": _l("end")}
ELIGIBILITY = {
    "No active consent to the processing of personal data": _l(
        "No active consent to the processing of personal data"
    ),
    "Birth date missing": _l("Birth date missing"),
    "Younger than 18": _l("Younger than 18"),
}


# Why two records cannot be merged (amal.participants.merge), by ``details["why"]``.
MERGE_REFUSALS = {
    "same_record": _l("A record cannot be merged into itself."),
    "other_territory": _l("The two records are in different territories."),
    "has_path": _l(
        "The duplicate was enrolled in a group, attended a meeting or has an outcome: "
        "its path must be brought over by hand, it cannot be merged here."
    ),
    "wellbeing_clash": _l(
        "Both records have the same questionnaire for the same phase: correct one of them first."
    ),
    "unknown_table": _l("The two records cannot be merged."),
}


def domain_message(error: DomainError) -> str:
    if error.code == "merge_refused":
        return str(
            MERGE_REFUSALS.get(error.details.get("why"), _("The two records cannot be merged."))
        )
    if error.code == "not_eligible":
        reasons = [str(ELIGIBILITY.get(p, p)) for p in error.details.get("problems", [])]
        return _("The participant cannot be admitted: %(reasons)s", reasons="; ".join(reasons))
    if error.code == "event_before_record" and "not_before" in error.details:
        day = date.fromisoformat(error.details["not_before"])
        return _("The date is before the record it depends on (%(day)s).", day=f"{day:%d/%m/%Y}")
    if error.code == "holiday" and "on" in error.details:
        day = date.fromisoformat(error.details["on"])
        return _(
            "%(day)s is a holiday in this territory (%(name)s): choose another day.",
            day=f"{day:%d/%m/%Y}",
            name=error.details.get("holiday", ""),
        )
    if error.code == "too_young":
        return _(
            "The person is younger than %(age)s years, this territory's minimum age.",
            age=error.details.get("minimum_age", 16),
        )
    if error.code == "phase_out_of_order" and "other_date" in error.details:
        day = date.fromisoformat(error.details["other_date"])
        return _(
            "The phases must be in order: entry, midway, end (the %(phase)s "
            "questionnaire is dated %(day)s).",
            phase=PHASES.get(error.details.get("other_phase"), error.details.get("other_phase")),
            day=f"{day:%d/%m/%Y}",
        )
    if error.code == "meeting_on_holiday":
        return _(
            "That day is a holiday (%(holiday)s): give a reason to meet anyway.",
            holiday=error.details.get("holiday", ""),
        )
    if error.code == "duplicate_participant" and error.details.get("duplicate_of"):
        return _(
            "This person may already be registered as n. %(number)s (same fiscal code, or "
            "same name and birth date).",
            number=error.details["duplicate_of"],
        )
    message = MESSAGES.get(error.code)
    return str(message) if message is not None else error.message


def attach_error(form: Any, error: DomainError, default_field: Any) -> None:
    """Show a domain error next to the field it names, else next to ``default_field``."""
    target = getattr(form, str(error.details.get("field", "")), None) or default_field
    target.errors.append(domain_message(error))


def optional_form_date(name: str) -> date | None:
    """A day typed in a plain form field (dd/mm/yyyy, see amal.web.fields); empty means today."""
    text = request.form.get(name, "").strip()
    return form_day(text, name) if text else None
