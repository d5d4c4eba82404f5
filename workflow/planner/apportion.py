"""Apportioning whole posts by weight, and spreading turns evenly over time
(rules 2 and 4 of `workflow.planner`). Pure arithmetic, deterministic."""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (Hamilton's method).

    Each share is the floor or the ceiling of its exact quota; the leftover
    units go to the largest remainders, ties to the earlier weight, so the
    answer is deterministic.
    """
    if total <= 0 or not weights:
        return [0] * len(weights)
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    # A hair of tolerance so that 3.0000000004 does not floor to 3 and then
    # win a remainder over an honest 0.5.
    shares = [int(q + 1e-9) for q in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def spread_evenly(counts: Sequence[int]) -> list[int]:
    """Indexes in an order that spreads index i's `counts[i]` turns evenly.

    Each turn goes to the index furthest behind its share so far (largest
    deficit first; ties to the earlier index), so after any n turns every
    index stays within two (nearly always within one) of its exact share
    n * counts[i] / sum(counts). Integer arithmetic keeps it deterministic.
    """
    total = sum(counts)
    seen = [0] * len(counts)
    order: list[int] = []
    for n in range(1, total + 1):
        best = max(
            (i for i, c in enumerate(counts) if seen[i] < c),
            key=lambda i: (n * counts[i] - seen[i] * total, -i),
        )
        seen[best] += 1
        order.append(best)
    return order
