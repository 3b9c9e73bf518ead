"""The demo's assessment rounds (SPEC §3a), run through the round services at the moments they happened:
the 2019 set's round, held in January and February 2020 and published by a decision (with a late commune,
an explanation that the council accepted, classes and a bonus), and the 2020 set's round open for
self-assessment now, a few communes done or under way, so that a new user sees both ends of the cycle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from scoring import services as scoring_services
from scoring.models import LeafScore, RoundAction
from scoring.services import StepFields

from .context import Demo, at
from .data import APPRAISED
from .task_fates import pdf

#: The 2019 round's publication: the province's decision (made up for the demo).
DECISION_2019 = ("215/QĐ-UBND", dt.date(2020, 2, 20))


def _step(demo: Demo, cs, action: str, day: dt.date | dt.datetime, **fields) -> None:
    now = day if isinstance(day, dt.datetime) else at(day, 10)
    scoring_services.round_step(
        actor=demo.org.appraiser, criteria_set=cs, action=action, fields=StepFields(**fields), now=now
    )


def _self_assess(
    demo: Demo, cs, unit, day: dt.date | dt.datetime, *, submit: bool, full: bool = True
) -> None:
    """The unit's leader gives self points on the manual leaves (full marks, or half), an explanation and
    a report as evidence on the first, and submits when `submit`."""
    leader = demo.org.leaders[unit.pk]
    now = day if isinstance(day, dt.datetime) else at(day, 15)
    for i, (code, mx) in enumerate(APPRAISED):
        points = Decimal(mx) if full or i % 2 else Decimal(mx) / 2
        scoring_services.self_assessment_leaf_save(
            actor=leader,
            criteria_set=cs,
            unit=unit,
            code=code,
            self_points=points,
            explanation="Đã thực hiện đầy đủ, có văn bản kèm theo" if i == 0 else "",
            now=now,
        )
    first = APPRAISED[0][0]
    scoring_services.criterion_evidence_add(
        actor=leader,
        criteria_set=cs,
        unit=unit,
        code=first,
        file=SimpleUploadedFile("bao-cao.pdf", pdf(f"Báo cáo tiêu chí {first}")),
        doc_number=f"{12 + unit.pk % 40}/BC-UBND",
        doc_date=timezone.localdate(now),
        description=f"Báo cáo tự đánh giá tiêu chí {first}",
        now=now,
    )
    if submit:
        scoring_services.self_assessment_submit(actor=leader, criteria_set=cs, unit=unit, now=now)


def round_2019(demo: Demo) -> None:
    """The 2019 round, start to publication, in early 2020 (after the set's year, before Tết's end)."""
    cs, org = demo.sets[2019], demo.org
    opened, until = dt.date(2020, 1, 6), dt.date(2020, 1, 17)
    _step(demo, cs, RoundAction.OPEN_SELF_ASSESSMENT, opened, self_assessment_until=until)
    # Every commune but the last of Trấn Yên submits in time; that one is submitted late at the appraisal.
    for unit in org.scored[:-1]:
        _self_assess(demo, cs, unit, dt.date(2020, 1, 15), submit=True)
    _step(demo, cs, RoundAction.START_APPRAISAL, dt.date(2020, 2, 3))
    leader_unit = org.communes[0]
    scoring_services.adjustment_set(
        actor=org.appraiser,
        criteria_set=cs,
        unit=leader_unit,
        bonus=Decimal("1.5"),
        note="Sáng kiến một cửa điện tử liên thông",
        now=at(dt.date(2020, 2, 3), 11),
    )
    scoring_services.scores_recompute(criteria_set=cs, now=at(dt.date(2020, 2, 3), 12))
    _step(demo, cs, RoundAction.OPEN_EXPLANATION, dt.date(2020, 2, 4), explanation_until=dt.date(2020, 2, 10))
    # The first commune with a leaf appraised below its own points explains it; the council accepts.
    below = (
        LeafScore.objects.filter(scoring_services.awaiting_answer_q(), criteria_set=cs)
        .select_related("criterion", "unit")
        .order_by("unit__code", "criterion__order")
        .first()
    )
    if below is not None:
        unit, code = below.unit, below.criterion.code
        scoring_services.explanation_answer(
            actor=org.leaders[unit.pk],
            criteria_set=cs,
            unit=unit,
            code=code,
            text="Đơn vị đã ban hành đủ văn bản; xin gửi bổ sung bản chụp kèm theo.",
            now=at(dt.date(2020, 2, 7), 9),
        )
    _step(demo, cs, RoundAction.START_FINAL_APPRAISAL, dt.date(2020, 2, 11))
    if below is not None:
        scoring_services.appraisal_set(
            actor=org.appraiser,
            criteria_set=cs,
            unit=unit,
            code=code,
            points=below.own_points,
            note="Chấp nhận giải trình",
            now=at(dt.date(2020, 2, 12), 9),
        )
    number, decided_on = DECISION_2019
    _step(demo, cs, RoundAction.PUBLISH, decided_on, decision_number=number, decided_on=decided_on)


def round_2020_open(demo: Demo) -> None:
    """The 2020 set's round in self-assessment now: Đồng Tâm has submitted, the next ward has started."""
    cs, org = demo.sets[2020], demo.org
    # Moments just before the load, so that nothing reads as done in the future.
    now = timezone.now()
    until = demo.calendar.add_working_days(demo.today, 8)
    opened = now - dt.timedelta(hours=2)
    _step(demo, cs, RoundAction.OPEN_SELF_ASSESSMENT, opened, self_assessment_until=until)
    _self_assess(demo, cs, org.communes[0], now - dt.timedelta(hours=1), submit=True)
    _self_assess(demo, cs, org.communes[1], now - dt.timedelta(minutes=30), submit=False, full=False)
