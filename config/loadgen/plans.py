"""The generated plans and the criteria sets they are bound to: the commune set of the year and of the year
before (LOAD-XA-<year>, kept when already there), and one issued annual plan per province and per commune."""

from __future__ import annotations

import datetime as dt

from criteria import services as criteria_services
from criteria.models import CriteriaSet
from plans.models import Plan

from .data import DATA


def criteria_sets_generate(year: int) -> dict[int, CriteriaSet]:
    """{year - 1: set, year: set}, imported from the 2020 commune file re-coded and re-dated."""
    source = DATA.read_text()
    sets = {}
    for y in (year - 1, year):
        code = f"LOAD-XA-{y}"
        existing = CriteriaSet.objects.filter(code=code).first()
        if existing:
            sets[y] = existing
            continue
        text = (
            source.replace("code: XA-2020", f"code: {code}")
            .replace("year: 2020", f"year: {y}")
            .replace(
                "period: {start: 2019-12-15, end: 2020-12-14}",
                f"period: {{start: {y - 1}-12-15, end: {y}-12-14}}",
            )
        )
        sets[y] = criteria_services.criteria_set_import(data=text)
    return sets


def plans_generate(communes, province_of: dict[int, int], cs: CriteriaSet, year: int) -> dict[int, int]:
    """The provinces' plans (tasks they assign to their communes), then each commune's own.
    Returns {owner unit id: plan id}."""
    issued = dt.date(year - 1, 12, 20)
    rows = [
        Plan(
            owner_unit_id=pid,
            number=f"{100 + i}/KH-UBND",
            title="Kế hoạch CCHC năm (thử tải)",
            year=year,
            issued_on=issued,
            criteria_set=cs,
            state="issued",
        )
        for i, pid in enumerate(sorted(set(province_of[c.pk] for c in communes)))
    ]
    rows += [
        Plan(
            owner_unit_id=c.pk,
            number="01/KH-UBND",
            title="Kế hoạch CCHC của xã (thử tải)",
            year=year,
            issued_on=issued,
            criteria_set=cs,
            state="issued",
        )
        for c in communes
    ]
    plans = Plan.objects.bulk_create(rows, batch_size=5000)
    return {p.owner_unit_id: p.pk for p in plans}
