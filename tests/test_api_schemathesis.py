"""Schemathesis against the app's own OpenAPI document, in-process (WSGI), with
a coordinator's token: every operation with generated data, then the stateful
phase (sequences following the links Schemathesis infers, e.g. create a group
then enrol in it). No 5xx, and every response matches its documented schema,
headers and content type.

The bound is modest locally; CI (``CI=true``, set by .ci/run) runs at least
2,000 calls per database. ``AMAL_FUZZ_EXAMPLES`` overrides the examples per
operation."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.consent.services import publish_notice

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("AMAL_FUZZ_EXAMPLES", 80 if IN_CI else 8))
# The stateful phase stays at the local bound in CI too: at 160 sequences it
# failed once per database with Hypothesis's FlakyStrategyDefinition (the
# state machine's preconditions depend on the database, which changes between
# a run and its replay), with no check failure reported. CI's larger bound is
# in the stateless phase (over 2,000 calls by itself).
STATEFUL_EXAMPLES = int(os.environ.get("AMAL_FUZZ_STATEFUL_EXAMPLES", 16))
MIN_CALLS = 2000 if IN_CI else 100
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    response_headers_conformance,
    content_type_conformance,
]
TERRITORY = "monza-brianza"


@pytest.fixture
def token(ctx) -> str:  # type: ignore[no-untyped-def]
    publish_notice(ctx, TERRITORY, "1.0", "Informativa")
    return create_token(ctx, "fuzz", TERRITORY, Role.COORDINATOR)[1]


def fuzz_settings(examples: int, **extra) -> settings:  # type: ignore[no-untyped-def]
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
        **extra,
    )


def prepare(case, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    if case.path_parameters and "territory" in case.path_parameters:
        case.path_parameters["territory"] = TERRITORY
    case.headers = {**(case.headers or {}), **headers}


def test_api_fuzz(app, token: str, person) -> None:
    for _ in range(3):
        person()  # a few real records, so that some generated ids exist
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    calls = {"stateless": 0, "stateful": 0}

    for operation in operations:

        @fuzz_settings(EXAMPLES)
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            prepare(case, headers)
            case.call_and_validate(checks=CHECKS)
            calls["stateless"] += 1

        check()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case) -> None:  # type: ignore[no-untyped-def]
            prepare(case, headers)

        def validate_response(self, response, case, **kwargs) -> None:  # type: ignore[no-untyped-def]
            calls["stateful"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception:
                # Hypothesis may replay the sequence on another database state:
                # say here which call failed, before any replay.
                print(f"\nfailed: {case.method} {case.formatted_path} -> {response.status_code}")
                raise

    Workflow.run(settings=fuzz_settings(STATEFUL_EXAMPLES, stateful_step_count=10))
    total = calls["stateless"] + calls["stateful"]
    print(
        f"schemathesis: {len(operations)} operations, {total} calls "
        f"({calls['stateless']} stateless, {calls['stateful']} stateful), 0 5xx, 0 violations"
    )
    assert len(operations) >= 25
    assert calls["stateful"] > 0 and total >= MIN_CALLS
