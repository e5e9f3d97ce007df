"""The candidate pool as arrays, and each day's seeded sample of it.

A meal slot's program sees only its sample: a quota per role, food groups drawn first, weighted by
budget and cuisines (see ``model`` for how the sample enters the program).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..foods import Candidate, cuisine_match
from .types import _NUTRIENT_COLUMNS, ROLE_WEIGHTS, SAMPLE_CUISINE_WEIGHT, SAMPLE_PRICE_WEIGHT


class _Group:
    """The foods of one (meal time, role), by food group, with cumulative draw weights."""

    def __init__(self, members: dict[str, list[int]], weight: np.ndarray) -> None:
        self.members = [np.array(indices) for indices in members.values()]
        self.within = [np.cumsum(weight[indices]) / weight[indices].sum() for indices in self.members]
        # A food group is drawn by the mean weight of its foods: with a low budget, beef
        # (all tier 3) comes up less often than legumes, whatever the number of beef cuts.
        group_weight = np.array([weight[indices].mean() for indices in self.members])
        self.groups = np.cumsum(group_weight) / group_weight.sum()

    def draw(self, first: float, second: float) -> int:
        group = min(int(np.searchsorted(self.groups, first, side="right")), len(self.members) - 1)
        within = self.within[group]
        position = min(int(np.searchsorted(within, second, side="right")), len(within) - 1)
        return int(self.members[group][position])


class _Pool:
    """The candidates as arrays, and the sampling groups: (meal time, role) -> food group -> indices."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        *,
        need_sodium: bool = False,
        cuisines: tuple[str, ...] = (),
        budget: str = "",
    ) -> None:
        seen: set[int] = set()
        kept: list[Candidate] = []
        for candidate in candidates:
            if candidate.id in seen or (need_sodium and candidate.food.sodium is None):
                continue
            seen.add(candidate.id)
            kept.append(candidate)
        self.items = kept
        self.index = {candidate.id: i for i, candidate in enumerate(kept)}
        size = len(kept)
        per_100g = np.array(
            [[getattr(c.food, column) or 0.0 for column in _NUTRIENT_COLUMNS] for c in kept], dtype=float
        ).reshape(size, len(_NUTRIENT_COLUMNS))
        unit = np.array([c.unit_g for c in kept], dtype=float)
        self.unit_g = unit
        self.per_unit = per_100g * (unit / 100)[:, None]
        self.min_units = np.array([c.min_units for c in kept], dtype=float)
        self.max_units = np.array([c.max_units for c in kept], dtype=float)
        self.price = np.array([c.price for c in kept], dtype=float)
        self.other = np.array([c.role == "other" for c in kept], dtype=bool)
        self.cuisine = np.array([cuisine_match(c.food, cuisines) for c in kept], dtype=bool)
        # Preferences weigh the draw as well as the objective: each day's program only sees
        # its sample, and a sample full of steaks leaves a low budget little to choose from.
        weight = np.ones(size)
        if budget in SAMPLE_PRICE_WEIGHT:
            weight *= np.array(SAMPLE_PRICE_WEIGHT[budget])[self.price.astype(int) - 1]
        if cuisines:
            weight *= np.where(self.cuisine, SAMPLE_CUISINE_WEIGHT, 1.0)
        grouped: dict[tuple[str, str], dict[str, list[int]]] = {}
        for i, candidate in enumerate(kept):
            for meal_time in sorted(candidate.meal_times):
                grouped.setdefault((meal_time, candidate.role), {}).setdefault(candidate.category, []).append(i)
        self.groups = {key: _Group(by_group, weight) for key, by_group in grouped.items()}

    def roles_for(self, meal_time: str) -> list[str]:
        return [role for role in ROLE_WEIGHTS if (meal_time, role) in self.groups]


def _sample(pool: _Pool, meal_time: str, budget: int, rng: np.random.Generator, allowed: np.ndarray) -> list[int]:
    """About ``budget`` allowed foods for ``meal_time``: a quota per role, food groups drawn first."""
    roles = pool.roles_for(meal_time)
    if not roles:
        return []
    weight = sum(ROLE_WEIGHTS[role] for role in roles)
    picked: list[int] = []
    taken: set[int] = set()
    for role in roles:
        quota = max(2, round(budget * ROLE_WEIGHTS[role] / weight))
        group = pool.groups[(meal_time, role)]
        count = 0
        for first, second in rng.random((quota * 6, 2)).tolist():
            index = group.draw(first, second)
            if index in taken or not allowed[index]:
                continue
            taken.add(index)
            picked.append(index)
            count += 1
            if count == quota:
                break
    return picked
