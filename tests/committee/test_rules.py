"""The committee's pure rules: terms in months, and who a count elects."""

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date

from peersupport.committee.rules import add_months, decide, draw_order


@dataclass(frozen=True)
class _C:
    pk: int


def test_add_months_keeps_the_day_or_takes_the_last_of_a_short_month():
    assert add_months(date(2025, 3, 15), 24) == date(2027, 3, 15)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_decide_most_votes_first_and_nobody_without_a_vote():
    a, b, c = _C(1), _C(2), _C(3)
    elected, draw = decide(
        tie_rule="lots",
        standing=[a, b, c],
        counts=Counter({1: 2, 2: 5}),
        places=3,
        rng=random.Random(1),  # noqa: S311
    )
    assert elected == [b, a] and draw == {}


def test_decide_a_tie_at_the_last_place():
    a, b, c = _C(1), _C(2), _C(3)
    counts = Counter({1: 3, 2: 2, 3: 2})
    elected, draw = decide(
        tie_rule="lots",
        standing=[a, b, c],
        counts=counts,
        places=2,
        rng=random.Random(3),  # noqa: S311
    )
    assert elected[0] == a and elected[1].pk == draw["drawn"][0]
    assert draw["tied"] == [2, 3] and draw["places"] == 1 and draw["votes"] == 2
    elected, draw = decide(
        tie_rule="vacant",
        standing=[a, b, c],
        counts=counts,
        places=2,
        rng=random.Random(3),  # noqa: S311
    )
    assert elected == [a] and "drawn" not in draw and draw["places"] == 1


def test_the_drawing_of_lots_is_repeatable_from_the_published_seed():
    a, b, c, d = _C(1), _C(2), _C(3), _C(4)
    counts = Counter({1: 3, 2: 2, 3: 2, 4: 2})
    seed = "ab" * 32
    elected, draw = decide(
        tie_rule="lots",
        standing=[a, b, c, d],
        counts=counts,
        places=2,
        rng=random.Random(0),  # noqa: S311  (not used when there is a seed)
        seed=seed,
    )
    order = sorted([2, 3, 4], key=lambda pk: hashlib.sha256(f"{seed}:{pk}".encode()).digest())
    assert draw["drawn"] == order == draw_order(seed, [4, 3, 2])
    assert draw["seed"] == seed
    assert [x.pk for x in elected] == [1, order[0]]
    # Another seed, another order for some tie: the seed decides, not the ids.
    orders = {tuple(draw_order(f"{n:064x}", [2, 3, 4])) for n in range(20)}
    assert len(orders) > 1
