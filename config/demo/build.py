"""The demo data set built in its order: organisation, criteria sets, the two past years (the 2019 round
published), the current year (the 2020 round in self-assessment)."""

from __future__ import annotations

import random

from django.utils import timezone

from org.calendar import get_calendar
from tasks.models import Outbox

from .context import Demo
from .org import org_build
from .plans import current_plans
from .round import round_2019, round_2020_open
from .scores import criteria_sets_import, history_year
from .task_fates import current_year_tasks


def demo_load(*, seed: int) -> Demo:
    """Create the whole data set through the services (call it inside a transaction, then
    `scores_recompute_all`). The same seed on the same day gives the same data."""
    demo = Demo(rng=random.Random(seed), today=timezone.localdate(), calendar=get_calendar())
    demo.org = org_build()
    criteria_sets_import(demo)
    history_year(demo, 2019)
    round_2019(demo)
    history_year(demo, 2020)
    current_year_tasks(demo, current_plans(demo))
    round_2020_open(demo)
    # The demo's past is history, not news: no notices or queued work for it.
    Outbox.objects.all().delete()
    return demo
