from datetime import date

import pytest

from amal.consent.models import ConsentPurpose
from amal.consent.services import withdraw_consent
from amal.errors import DomainError
from amal.groups.services import create_group, enrol
from amal.services import Context
from amal.wellbeing.instruments import ROSENBERG, WHO5
from amal.wellbeing.models import Phase
from amal.wellbeing.services import group_change, participant_change, record_administration


@pytest.mark.parametrize(
    ("answers", "raw", "percentage", "low"),
    [
        ((5, 5, 5, 5, 5), 25, 100, False),
        ((0, 0, 0, 0, 0), 0, 0, True),
        ((3, 3, 3, 3, 3), 15, 60, False),
        ((3, 3, 2, 2, 2), 12, 48, True),  # raw below 13: poor wellbeing
        ((3, 3, 3, 2, 2), 13, 52, False),
    ],
)
def test_who5_scoring(answers, raw, percentage, low) -> None:
    by_item = dict(enumerate(answers, start=1))
    assert WHO5.raw_score(by_item) == raw
    assert WHO5.score(by_item) == percentage
    assert WHO5.is_low(percentage) is low


def test_rosenberg_reverses_items_2_5_6_8_9() -> None:
    reversed_items = [item.number for item in ROSENBERG.items if item.reverse]
    assert reversed_items == [2, 5, 6, 8, 9]
    all_strongly_agree = dict.fromkeys(range(1, 11), 3)
    assert ROSENBERG.score(all_strongly_agree) == 15  # 5 positive × 3 + 5 negative × 0
    best = {n: 0 if n in reversed_items else 3 for n in range(1, 11)}
    worst = {n: 3 if n in reversed_items else 0 for n in range(1, 11)}
    assert ROSENBERG.score(best) == 30 and ROSENBERG.score(worst) == 0
    assert ROSENBERG.is_low(14) and not ROSENBERG.is_low(15)


@pytest.mark.parametrize(
    ("answers", "code", "item"),
    [
        ({1: 3, 2: 3, 3: 3, 4: 3}, "incomplete_answers", 5),
        ({1: 3, 2: 3, 3: 6, 4: 3, 5: 3}, "answer_out_of_range", 3),
        ({1: 3, 2: -1, 3: 3, 4: 3, 5: 3}, "answer_out_of_range", 2),
        ({1: 3, 2: 3, 3: 3, 4: "3", 5: 3}, "answer_out_of_range", 4),
        ({1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 1}, "unknown_item", 6),
    ],
)
def test_bad_answers_are_refused_naming_the_item(answers, code, item) -> None:
    with pytest.raises(DomainError) as error:
        WHO5.raw_score(answers)
    assert error.value.code == code
    assert error.value.details["item"] == item
    assert f"item {item}" in error.value.message


def test_recording_needs_consent_to_particular_categories(ctx: Context, person) -> None:
    participant = person(consents=(ConsentPurpose.PROCESSING,))
    with pytest.raises(DomainError) as error:
        record_administration(ctx, participant.id, "who5", "entry", dict.fromkeys(range(1, 6), 3))
    assert error.value.code == "consent_required"
    consenting = person()
    record_administration(ctx, consenting.id, "who5", "entry", dict.fromkeys(range(1, 6), 3))
    withdraw_consent(ctx, consenting.id, ConsentPurpose.PARTICULAR_CATEGORIES, reason="Revocato")
    with pytest.raises(DomainError, match="has not consented"):
        record_administration(ctx, consenting.id, "who5", "end", dict.fromkeys(range(1, 6), 4))


def test_one_administration_per_phase(ctx: Context, person) -> None:
    participant = person()
    answers = dict.fromkeys(range(1, 6), 2)
    record_administration(ctx, participant.id, "who5", Phase.ENTRY, answers)
    with pytest.raises(DomainError) as error:
        record_administration(ctx, participant.id, "who5", Phase.ENTRY, answers)
    assert error.value.code == "already_recorded"


def test_change_per_person_and_group(ctx: Context, person) -> None:
    group = create_group(ctx, "lecco", "G")
    people = [person("lecco") for _ in range(3)]
    for p in people:
        enrol(ctx, group.id, p.id)
    low = {1: 1, 2: 2, 3: 2, 4: 2, 5: 2}  # raw 9 → 36
    middle = {1: 2, 2: 3, 3: 3, 4: 3, 5: 3}  # raw 14 → 56
    high = {1: 4, 2: 5, 3: 5, 4: 5, 5: 5}  # raw 24 → 96
    for p, entry in ((people[0], low), (people[1], middle)):
        record_administration(ctx, p.id, "who5", "entry", entry, administered_on=date(2026, 1, 1))
        record_administration(ctx, p.id, "who5", "end", high, administered_on=date(2026, 9, 1))
    record_administration(ctx, people[2].id, "who5", "entry", dict.fromkeys(range(1, 6), 1))
    change = participant_change(ctx, people[0].id, "who5")
    assert (change.entry, change.latest, change.delta) == (36, 96, 60)
    summary = group_change(ctx, group.id, "who5")
    assert summary.people == 2
    assert summary.mean_entry == (36 + 56) / 2
    assert summary.improved == 2
    assert participant_change(ctx, people[2].id, "who5") is None


def test_group_change_counts_only_meaningful_improvement(ctx: Context, person) -> None:
    group = create_group(ctx, "lecco", "G")
    a, b = person("lecco"), person("lecco")
    for p in (a, b):
        enrol(ctx, group.id, p.id)
    base = dict.fromkeys(range(1, 6), 2)  # raw 10 → 40
    record_administration(ctx, a.id, "who5", "entry", base)
    record_administration(ctx, a.id, "who5", "midway", base | {1: 4, 2: 3})  # +3 raw → +12
    record_administration(ctx, b.id, "who5", "entry", base)
    record_administration(ctx, b.id, "who5", "end", base | {1: 4})  # +2 raw → +8: not enough
    summary = group_change(ctx, group.id, "who5")
    assert [c.delta for c in summary.changes] == [12, 8]
    assert summary.improved == 1
