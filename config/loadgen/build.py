"""The generated data set in its order (criteria sets, units, users, plans, tasks, evidence), and what
follows its transaction: the planner's statistics and the scores."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import connection
from tqdm import tqdm

from criteria.models import CriteriaSet
from scoring import services as scoring_services

from .org import units_generate, users_generate
from .plans import criteria_sets_generate, plans_generate
from .task_rows import evidence_generate, tasks_generate


@dataclass
class Generated:
    sets: dict[int, CriteriaSet]  # year -> set (this year's and the last)
    communes: int
    tasks: int
    evidence: int


def load_generate(*, units: int, tasks: int, seed: int, today, year: int) -> Generated:
    """Write the whole data set (call it inside a transaction). The same arguments give the same rows."""
    rng = random.Random(seed)
    sets = criteria_sets_generate(year)
    communes, province_of = units_generate(units)
    officials = users_generate()
    plans = plans_generate(communes, province_of, sets[year], year)
    n_tasks = tasks_generate(
        tasks, communes, province_of, plans, officials, sets[year], rng=rng, today=today, year=year
    )
    return Generated(sets=sets, communes=len(communes), tasks=n_tasks, evidence=evidence_generate(plans))


def steady_state() -> None:
    """On PostgreSQL, what autovacuum does to a live database, done now so the figures that follow are a
    steady state's: statistics for the planner, and the visibility map and hint bits set (a table freshly
    filled by COPY makes its first readers write every page and forbids index-only scans). VACUUM cannot
    run inside a transaction (a test's): there, the statistics only."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.get_autocommit() else "ANALYZE")


def scores_compute(generated: Generated) -> None:
    """Both sets' scores, from scratch, with a progress bar per set."""
    for cs in generated.sets.values():
        bar = tqdm(total=generated.communes, desc=f"scores {cs.code}", unit="units", leave=False)
        scoring_services.scores_recompute(criteria_set=cs, progress=bar.update)
        bar.close()
