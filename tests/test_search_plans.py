"""Search by name prefix and by fiscal code is answered from indexes (migration
perf0001idx) on both databases: the plan says so, whatever the table's size."""

import pytest
from sqlalchemy import select, text

from amal.participants.models import Participant
from amal.participants.services import matching
from amal.scale import generate


@pytest.fixture
def people(ctx):
    """A few hundred people, and the planner's statistics about them."""
    generate(ctx, 400, seed=9)
    ctx.session.execute(text("ANALYZE"))
    ctx.session.commit()


def plan(ctx, words: str) -> str:
    statement = matching(
        select(Participant.id).where(Participant.territory_code == "lecco"), text=words
    )
    connection = ctx.session.connection()
    if connection.dialect.name == "sqlite":
        compiled = statement.compile(connection)
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", parameters).all()
        return "\n".join(str(row[-1]) for row in rows)
    compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
    # An empty test table is read faster than any index: ask for the index plan.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))


def test_name_prefix_search_uses_the_search_indexes_with_both_bounds(ctx, people) -> None:
    found = plan(ctx, "ross")
    assert "ix_participant_search_last_name" in found, found
    assert "ix_participant_search_first_name" in found, found
    if ctx.session.get_bind().dialect.name == "sqlite":
        # Both ends of the range, not a scan from 'ross' to the end of the index.
        assert "<expr>>? AND <expr><?" in found, found


def test_fiscal_code_search_uses_an_index(ctx, people) -> None:
    whole = plan(ctx, "RSSMRA80A01F704X")
    assert "fiscal_code" in whole and ("INDEX" in whole or "Index" in whole), whole
    start = plan(ctx, "RSSMRA")
    assert "fiscal_code" in start and ("INDEX" in start or "Index" in start), start
