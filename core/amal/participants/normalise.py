"""Normalising a person's identifiers and contacts: the ONE place the web form,
the API and the CLI pass through (via the participant services), so that the
same typed value is accepted or refused the same way everywhere.

- fiscal code: blanks anywhere and case do not matter ("clm gnn 90c46 b212a ");
  an 11-digit partita IVA is refused with its own message (it is a company's
  number, not a person's); an empty or blank string is refused: "no fiscal
  code" is said explicitly with ``None`` (null in the API, ``--no-fiscal-code``
  in the CLI; the web form maps its empty field to ``None`` and says so).
- e-mail: surrounding blanks removed, domain lower-cased, shape checked.
- phone: E.164, Italian numbers assumed when no +prefix is given.
"""

from __future__ import annotations

import re

import phonenumbers
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.it import codicefiscale, iva

from amal.errors import DomainError

_BLANKS = re.compile(r"\s+")
# Deliberately simple: one @, a non-empty local part, a dotted domain of usual characters.
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


def fiscal_code(value: str | None) -> str | None:
    """A valid codice fiscale (upper case, no blanks), or ``None`` for "no code"."""
    if value is None:
        return None
    compact = _BLANKS.sub("", value).upper()
    if not compact:
        raise DomainError(
            "empty_fiscal_code",
            "The fiscal code is empty: leave it out (null) if the person has none",
            field="fiscal_code",
        )
    if compact.isdigit() and len(compact) == 11 and iva.is_valid(compact):
        raise DomainError(
            "fiscal_code_is_vat",
            f"{compact} is a VAT number (partita IVA), not a person's fiscal code",
            field="fiscal_code",
        )
    try:
        return codicefiscale.validate(compact)
    except StdnumValidationError as exc:
        raise DomainError(
            "invalid_fiscal_code", f"Invalid fiscal code {value!r}: {exc}", field="fiscal_code"
        ) from exc


def email(value: str | None) -> str:
    """``local@domain`` with the domain lower-cased; empty means no e-mail."""
    text = (value or "").strip()
    if not text:
        return ""
    if not _EMAIL.match(text) or len(text) > 254:
        raise DomainError("invalid_email", f"Invalid e-mail address {text!r}", field="email")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def phone(value: str | None) -> str:
    """The number in E.164 (``+393331234567``); Italian when no +prefix; empty means none."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "IT")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError("invalid_phone", f"Invalid phone number {text!r}", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
