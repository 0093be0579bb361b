"""Every start date of 2025-2027, for both territories: no meeting of any kind
the plan generates (Lecco's opening info meeting included) falls on a holiday,
and every meeting not on its regular date says why."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amal.meetings.models import MeetingKind
from amal.meetings.services import plan_for
from amal.services import Context


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("territory", ["monza-brianza", "lecco"])
def test_no_meeting_on_a_holiday_and_every_move_has_its_reason(ctx: Context, territory) -> None:
    policy = ctx.plugins.group_policy(territory)
    holidays = ctx.plugins.holidays(territory, range(2025, 2031))
    starts = [date(2025, 1, 1) + timedelta(days=n) for n in range(1095)]
    assert starts[-1] == date(2027, 12, 31)
    on_holiday, unexplained, moved, out_of_order = [], [], 0, []
    for start in starts:
        plan = plan_for(
            start,
            policy.meetings,
            policy.cadence_days,
            holidays,
            opening_info_meeting=policy.opening_info_meeting,
        )
        dates = [p.on for _, p in plan]
        if dates != sorted(set(dates)):
            out_of_order.append(start)
        if policy.opening_info_meeting:
            assert plan[0][0] == MeetingKind.INFO and plan[1][1].on > plan[0][1].on
        for index, (_, planned) in enumerate(plan):
            regular = start + timedelta(days=index * policy.cadence_days)
            if planned.on in holidays:
                on_holiday.append((start, planned.on))
            if planned.on != regular:
                moved += 1
                if not planned.note:
                    unexplained.append((start, planned.on))
            else:
                assert planned.note == ""
    assert on_holiday == [] and unexplained == [] and out_of_order == []
    assert moved > 0  # holidays were actually met
    print(f"{territory}: {len(starts)} start dates, {moved} moved meetings, all with a reason")
