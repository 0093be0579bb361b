"""Every start date of 2025-2027, for both territories: no meeting of any kind
the plan generates (Lecco's opening info meeting included, and the plan that
follows an info meeting already held) falls on a holiday, every meeting not on
its regular date says why, and no information meeting can be scheduled or
moved by hand onto a holiday."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amal.errors import DomainError
from amal.meetings.models import MeetingKind
from amal.meetings.services import plan_for, refuse_holiday
from amal.services import Context


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("territory", ["monza-brianza", "lecco"])
def test_no_meeting_on_a_holiday_and_every_move_has_its_reason(ctx: Context, territory) -> None:
    policy = ctx.plugins.group_policy(territory)
    holidays = ctx.plugins.holidays(territory, range(2025, 2031))
    starts = [date(2025, 1, 1) + timedelta(days=n) for n in range(1095)]
    assert starts[-1] == date(2027, 12, 31)
    on_holiday, unexplained, moved, out_of_order = [], [], 0, []
    kinds_seen: set[MeetingKind] = set()
    # With an info meeting already held the group meetings start on the start date.
    for opening in sorted({policy.opening_info_meeting, False}):
        for start in starts:
            plan = plan_for(
                start,
                policy.meetings,
                policy.cadence_days,
                holidays,
                opening_info_meeting=opening,
            )
            dates = [p.on for _, p in plan]
            if dates != sorted(set(dates)):
                out_of_order.append(start)
            if opening:
                assert plan[0][0] == MeetingKind.INFO and plan[1][1].on > plan[0][1].on
            for index, (kind, planned) in enumerate(plan):
                kinds_seen.add(kind)
                regular = start + timedelta(days=index * policy.cadence_days)
                if planned.on in holidays:
                    on_holiday.append((start, planned.on))
                if planned.on != regular:
                    moved += 1
                    if not planned.note.strip():
                        unexplained.append((start, planned.on))
                else:
                    assert planned.note == ""
    assert kinds_seen == {MeetingKind.GROUP} | (
        {MeetingKind.INFO} if policy.opening_info_meeting else set()
    )
    assert on_holiday == [] and unexplained == [] and out_of_order == []
    assert moved > 0  # holidays were actually met
    print(f"{territory}: {len(starts)} start dates, {moved} moved meetings, all with a reason")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("territory", ["monza-brianza", "lecco"])
def test_no_information_meeting_by_hand_on_a_holiday(ctx: Context, territory) -> None:
    holidays = ctx.plugins.holidays(territory, range(2025, 2028))
    refused = []
    for day in (date(2025, 1, 1) + timedelta(days=n) for n in range(1095)):
        try:
            refuse_holiday(ctx, territory, day)
        except DomainError as error:
            assert error.code == "holiday" and error.details["holiday"]
            refused.append(day)
    assert refused == sorted(holidays)
    assert (date(2025, 12, 6) in refused) is (territory == "lecco")  # San Nicola
    assert (date(2025, 6, 24) in refused) is (territory == "monza-brianza")  # San Giovanni
