"""Wellbeing instruments as data, each with its published scoring rule.

The direction of every item is stored with the item (never as a separate list of
numbers), because printed versions of an instrument order items differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from amal.errors import DomainError


@dataclass(frozen=True)
class Item:
    number: int
    text: str  # Italian wording shown to the participant
    reverse: bool = False


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    items: tuple[Item, ...]
    min_answer: int
    max_answer: int
    score_multiplier: int  # raw total × multiplier = the reported score
    score_max: int
    low_threshold: int  # scores at or below this are flagged (poor wellbeing / low esteem)
    meaningful_change: int  # a change of at least this many score points matters

    def raw_score(self, answers: Mapping[int, int]) -> int:
        """Validate ``answers`` (item number → answer) and return the raw total.

        Raises ``DomainError('incomplete_answers' | 'answer_out_of_range')``
        naming the item.
        """
        expected = {item.number for item in self.items}
        unknown = sorted(set(answers) - expected)
        if unknown:
            raise DomainError(
                "unknown_item", f"{self.name}: item {unknown[0]} does not exist", item=unknown[0]
            )
        total = 0
        for item in self.items:
            if item.number not in answers or answers[item.number] is None:
                raise DomainError(
                    "incomplete_answers",
                    f"{self.name}: item {item.number} has no answer",
                    item=item.number,
                )
            value = answers[item.number]
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not self.min_answer <= value <= self.max_answer
            ):
                raise DomainError(
                    "answer_out_of_range",
                    f"{self.name}: item {item.number} must be between "
                    f"{self.min_answer} and {self.max_answer}, got {value!r}",
                    item=item.number,
                )
            total += (self.min_answer + self.max_answer - value) if item.reverse else value
        return total

    def score(self, answers: Mapping[int, int]) -> int:
        return self.raw_score(answers) * self.score_multiplier

    def is_low(self, score: int) -> bool:
        return score <= self.low_threshold


WHO5 = Instrument(
    code="who5",
    name="Indice di benessere WHO-5",
    items=(
        Item(1, "Mi sono sentito/a allegro/a e di buon umore"),
        Item(2, "Mi sono sentito/a calmo/a e rilassato/a"),
        Item(3, "Mi sono sentito/a attivo/a ed energico/a"),
        Item(4, "Mi sono svegliato/a sentendomi fresco/a e riposato/a"),
        Item(5, "La mia vita quotidiana è stata piena di cose che mi interessano"),
    ),
    min_answer=0,  # "mai"
    max_answer=5,  # "sempre"
    score_multiplier=4,  # percentage score 0-100 (raw 0-25 × 4)
    score_max=100,
    low_threshold=50,  # ≤ 50: poor wellbeing, suggest a screening
    meaningful_change=10,
)

# Rosenberg's original item order; answers 0 = strongly disagree … 3 = strongly agree.
ROSENBERG = Instrument(
    code="rosenberg",
    name="Scala di autostima di Rosenberg",
    items=(
        Item(1, "Nel complesso sono soddisfatto/a di me stesso/a"),
        Item(2, "A volte penso di non valere niente", reverse=True),
        Item(3, "Sento di avere un certo numero di qualità"),
        Item(4, "Sono in grado di fare le cose bene come la maggior parte delle persone"),
        Item(5, "Sento di non avere molto di cui essere fiero/a", reverse=True),
        Item(6, "A volte mi sento decisamente inutile", reverse=True),
        Item(7, "Sento di essere una persona di valore, almeno quanto gli altri"),
        Item(8, "Vorrei poter avere più rispetto di me stesso/a", reverse=True),
        Item(9, "Tutto sommato tendo a pensare di essere un/una fallito/a", reverse=True),
        Item(10, "Ho un atteggiamento positivo verso me stesso/a"),
    ),
    min_answer=0,
    max_answer=3,
    score_multiplier=1,  # total 0-30
    score_max=30,
    low_threshold=14,  # below 15: low self-esteem
    meaningful_change=3,
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (WHO5, ROSENBERG)}


def get_instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise DomainError(
            "unknown_instrument",
            f"Unknown instrument {code!r}; available: {', '.join(INSTRUMENTS)}",
        ) from None
