"""The demo's plans, through the plan services: a plan issued by both districts for their own communes (a plan
reaches only its owner's subtree, SPEC §1), and the current year's four plans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plans import services as plan_services
from plans.models import Plan

from .context import Demo, at


def district_plans(demo: Demo, *, number, title, year, issued_on, criteria_set=None) -> dict[int, Plan]:
    """The same plan issued by the city and by Trấn Yên, each for its own communes: {district id: plan}.
    `title` takes the district's name."""
    org = demo.org
    plans = {}
    for district, leader, name in (
        (org.city, org.city_leader, "UBND thành phố Yên Bái"),
        (org.tranyen, org.tranyen_leader, "UBND huyện Trấn Yên"),
    ):
        plan = plan_services.plan_create(
            actor=leader,
            owner_unit=district,
            number=number,
            title=title.format(owner=name),
            year=year,
            issued_on=issued_on,
            criteria_set=criteria_set,
        )
        if issued_on is not None:
            plan_services.plan_issue(actor=leader, plan=plan, now=at(issued_on))
        plans[district.pk] = plan
    return plans


@dataclass
class CurrentPlans:
    annual: dict[int, Plan]  # district id -> its annual CCHC plan (271/KH-UBND)
    discipline: dict[int, Plan]  # district id -> its plan 36/KH-UBND on administrative discipline
    draft: Plan  # the city's inspection plan, not issued
    provincial: Plan  # the province's plan for every commune (criterion 1.5: tasks from a higher level)


def current_plans(demo: Demo) -> CurrentPlans:
    """The current year's plans, all bound to its criteria set but the draft."""
    year = demo.today.year
    cs = demo.sets[year]
    org = demo.org
    annual = district_plans(
        demo,
        number="271/KH-UBND",
        title=f"Kế hoạch cải cách hành chính năm {year} của {{owner}}",
        year=year,
        issued_on=dt.date(year - 1, 12, 16),
        criteria_set=cs,
    )
    discipline = district_plans(
        demo,
        number="36/KH-UBND",
        title="Kế hoạch tăng cường kỷ luật, kỷ cương hành chính trong cơ quan hành chính nhà nước",
        year=year,
        issued_on=dt.date(year, 2, 25),
        criteria_set=cs,
    )
    draft = plan_services.plan_create(
        actor=org.city_leader,
        owner_unit=org.city,
        number="305/KH-UBND",
        year=year,
        title="Kế hoạch kiểm tra công tác CCHC quý IV (dự thảo)",
    )
    # The province assigns to the city's communes too (criterion 1.5: tasks from a higher level).
    provincial = plan_services.plan_create(
        actor=org.province_leader,
        owner_unit=org.province,
        number="88/KH-UBND",
        year=year,
        criteria_set=cs,
        title="Kế hoạch triển khai Đề án 06 về dữ liệu dân cư, định danh điện tử",
        issued_on=dt.date(year, 3, 10),
    )
    plan_services.plan_issue(actor=org.province_leader, plan=provincial, now=at(dt.date(year, 3, 10)))
    return CurrentPlans(annual=annual, discipline=discipline, draft=draft, provincial=provincial)
