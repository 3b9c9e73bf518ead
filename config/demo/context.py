"""What every step of the demo build shares: the seeded random source (one, drawn from in a fixed order, so a
seed gives the same data set), today, the working-day calendar, the organisation and the criteria sets."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from org.calendar import WorkingCalendar

from .data import TZ
from .org import Org


@dataclass
class Demo:
    rng: random.Random
    today: dt.date
    calendar: WorkingCalendar
    org: Org | None = None
    sets: dict = field(default_factory=dict)  # year -> CriteriaSet


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """`hour` o'clock of `day`, Vietnam time."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)
