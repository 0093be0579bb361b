"""Domain errors shown to staff in their language. Services raise English
messages with a stable code (the CLI and API show those); the web translates by
code, falling back to the service's message for codes not listed here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from amal.errors import DomainError

MESSAGES = {
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
}
ELIGIBILITY = {
    "No active consent to the processing of personal data": _l(
        "No active consent to the processing of personal data"
    ),
    "Birth date missing": _l("Birth date missing"),
    "Younger than 18": _l("Younger than 18"),
}


def domain_message(error: DomainError) -> str:
    if error.code == "not_eligible":
        reasons = [str(ELIGIBILITY.get(p, p)) for p in error.details.get("problems", [])]
        return _("The participant cannot be admitted: %(reasons)s", reasons="; ".join(reasons))
    message = MESSAGES.get(error.code)
    return str(message) if message is not None else error.message


def attach_error(form: Any, error: DomainError, default_field: Any) -> None:
    """Show a domain error next to the field it names, else next to ``default_field``."""
    target = getattr(form, str(error.details.get("field", "")), None) or default_field
    target.errors.append(domain_message(error))
