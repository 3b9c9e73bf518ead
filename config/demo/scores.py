"""What the demo's scores are made of: the commune criteria sets (2019, 2020 and the current year's, from the
2020 file), the past years (an annual plan whose tasks are mostly approved, some late, a few never done; a
survey and appraisals), and the recompute of every set once the data is in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from criteria import services as criteria_services
from criteria.models import CriteriaSet
from scoring import services as scoring_services

from .context import Demo
from .data import APPRAISED, DATA
from .plans import district_plans
from .task_fates import task_leaves, task_make

#: The province issues the commune sets (they score the communes below it), classes its communes and allows
#: 2 bonus and 3 penalty points: the optional keys of the criteria file (domain/criteria-format.md).
PROVINCE_KEYS = """
owner: YB
classes:
  - [90, Xuất sắc]
  - [80, Tốt]
  - [65, Khá]
  - [50, Trung bình]
  - [0, Yếu]
adjustments: {bonus_max: 2, penalty_max: 3}
"""


def criteria_sets_import(demo: Demo) -> None:
    """The 2020 commune set as written, and the same criteria renamed and re-dated for 2019 and this year."""
    source = DATA.read_text(encoding="utf-8")
    for year in sorted({2019, 2020, demo.today.year}):
        text = (
            source
            if year == 2020
            else (
                source.replace("code: XA-2020", f"code: XA-{year}")
                .replace("năm 2020", f"năm {year}")
                .replace("year: 2020", f"year: {year}")
                .replace(
                    "period: {start: 2019-12-15, end: 2020-12-14}",
                    f"period: {{start: {year - 1}-12-15, end: {year}-12-14}}",
                )
            )
        )
        demo.sets[year] = criteria_services.criteria_set_import(data=text + PROVINCE_KEYS)


def history_year(demo: Demo, year: int) -> None:
    """A past year: each commune's quality (Đồng Tâm leads) decides how many of its tasks were approved, late
    or left in progress, and its survey and appraisal points."""
    cs = demo.sets[year]
    rng, org = demo.rng, demo.org
    plans = district_plans(
        demo,
        number=f"{12 + year % 10}/KH-UBND",
        title=f"Kế hoạch cải cách hành chính năm {year} của {{owner}}",
        year=year,
        issued_on=dt.date(year - 1, 12, 20),
        criteria_set=cs,
    )
    quality = {u.pk: rng.uniform(0.6, 0.98) for u in org.scored}
    quality[org.communes[0].pk] = 0.97 if year == 2020 else 0.9  # Đồng Tâm leads, as in the seed
    leaves = task_leaves(cs)
    for unit in org.scored:
        for leaf in leaves:
            due = dt.date(year, rng.randint(3, 11), rng.randint(1, 28))
            roll = rng.random()
            if roll < quality[unit.pk]:
                fate = "approved"
            elif roll < quality[unit.pk] + 0.12:
                fate = "late"
            else:
                fate = "in_progress"
            task_make(demo, plans[unit.parent_id], unit, leaf, due=due, fate=fate)
    _survey_and_appraisals(demo, cs, quality)


def _survey_and_appraisals(demo: Demo, cs, quality: dict[int, float]) -> None:
    """The survey's two criteria and the appraised ones, better the better the commune's quality."""
    org = demo.org
    rows = ["unit_code,criterion_code,points"]
    for unit in org.scored:
        q = quality[unit.pk]
        rows.append(f"{unit.code},9.1,{Decimal(str(round(6 + 4 * q, 2)))}")
        rows.append(f"{unit.code},9.2,{Decimal(str(round(12 + 8 * q, 2)))}")
    scoring_services.survey_import(actor=org.appraiser, criteria_set=cs, data="\n".join(rows).encode())
    for unit in org.scored:
        for code, mx in APPRAISED:
            pts = Decimal(mx) if demo.rng.random() < quality[unit.pk] else Decimal(mx) / 2
            scoring_services.appraisal_set(
                actor=org.appraiser,
                criteria_set=cs,
                unit=unit,
                code=code,
                points=pts,
                note="Hồ sơ đầy đủ" if pts == mx else "Thiếu tài liệu kiểm chứng",
            )


def scores_recompute_all() -> None:
    """Every criteria set's scores, from the rows just written (run after the data set's transaction)."""
    for cs in CriteriaSet.objects.order_by("year"):
        scoring_services.scores_recompute(criteria_set=cs)
