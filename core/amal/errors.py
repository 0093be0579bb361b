"""Errors AMAL raises on purpose. Each carries a message meant for a person."""

from __future__ import annotations


class AmalError(Exception):
    """Base class: something a user or operator must fix; never a bug."""


class ConfigError(AmalError):
    """The instance configuration is missing or wrong."""


class PluginError(AmalError):
    """A plugin cannot be loaded; the message names the plugin and what to do."""


class DomainError(AmalError):
    """A business rule refused the operation.

    ``code`` is stable (APIs and tests rely on it); ``message`` is for people;
    ``details`` carries structured facts such as the failed eligibility reasons.
    """

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


class NotFound(DomainError):
    """The record does not exist (or is outside the caller's territories)."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__("not_found", f"{what} {key} not found", what=what, key=key)
