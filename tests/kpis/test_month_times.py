"""The k-th smallest of several sorted lists, as the months' kept times find a median: the same as sorting."""

from __future__ import annotations

import random
from array import array

from crm.kpis.times import _kth, rank


def test_the_kth_of_sorted_lists_is_the_kth_of_them_all() -> None:
    rng = random.Random(7)
    for _ in range(200):
        lists = [
            array("i", sorted(rng.randrange(-50, 400) for _ in range(rng.randrange(1, 30))))
            for _ in range(rng.randrange(1, 6))
        ]
        everything = sorted(v for a in lists for v in a)
        for k in range(1, len(everything) + 1):
            assert _kth(lists, k) == everything[k - 1]


def test_nearest_rank() -> None:
    assert [rank(0.5, n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    assert [rank(0.9, n) for n in (1, 9, 10, 11, 20)] == [1, 9, 9, 10, 18]
