"""The assessment round at national scale (issue 14), measured in the same run as the rest of `make bench`:
opening a round (a draft self-assessment per scored unit), the late auto-submission at the deadline (every
unit still in draft) and publication (every unit's totals and every leaf frozen into a version), each next
to its floor; then the published ranking read (API and page), p95 and query counts.

The floors are the single statements the database needs for the same rows, hand-written: an INSERT …
SELECT from the units, an UPDATE of the drafts, and two INSERT … SELECT of the live score rows. The real
paths are the services as users call them (lock, state checks, the audit entry, the signal), so the ratio is
what the service layer costs on top of the database. `tests/benchmarks/test_bench.py` checks that each floor
writes exactly the rows of its real path.

The round runs on the benchmark's current set and is undone afterwards (its rows deleted, its state back
to tracking), so the other measurements never meet a frozen set.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from .timing import committed, execute, timed

FLOOR_RUNS = 3

# --- the floors ---------------------------------------------------------------------------------------


def floor_open(cs) -> int:
    """Every scored unit's draft self-assessment (a set without owner scores every unit of its kind)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_selfassessment (criteria_set_id, unit_id, state, late) "
            "SELECT %s, id, 'draft', false FROM org_unit WHERE kind = %s",
            [cs.pk, cs.unit_kind],
        )
        return cursor.rowcount


def floor_close(cs, now: dt.datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoring_selfassessment SET state = 'submitted', late = true, submitted_at = %s "
            "WHERE criteria_set_id = %s AND state = 'draft'",
            [now, cs.pk],
        )
        return cursor.rowcount


def floor_freeze(cs, result_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_publishedscore (result_id, unit_code, unit_name, parent_name, unit_id, "
            "parent_unit_id, evidence_points, survey_points, bonus, penalty, total, applicable_max, percent, "
            "rank, delta, class_label) SELECT %s, u.code, u.name, COALESCE(p.name, ''), s.unit_id, "
            "s.parent_unit_id, s.evidence_points, s.survey_points, s.bonus, s.penalty, s.total, "
            "s.applicable_max, s.percent, s.rank, s.delta, s.class_label FROM scoring_unitscore s "
            "JOIN org_unit u ON u.id = s.unit_id LEFT JOIN org_unit p ON p.id = s.parent_unit_id "
            "WHERE s.criteria_set_id = %s",
            [result_id, cs.pk],
        )
        units = cursor.rowcount
        cursor.execute(
            "INSERT INTO scoring_publishedleaf (result_id, criterion_id, unit_id, auto_points, self_points, "
            "own_points, appraised_points, points, excluded) SELECT %s, criterion_id, unit_id, auto_points, "
            "self_points, own_points, appraised_points, points, excluded FROM scoring_leafscore "
            "WHERE criteria_set_id = %s",
            [result_id, cs.pk],
        )
        return units + cursor.rowcount


# --- digests and undo --------------------------------------------------------------------------------------


def self_assessment_digest(cs) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(string_agg(concat_ws('|', unit_id, state, late), ',' ORDER BY unit_id)) "
            "FROM scoring_selfassessment WHERE criteria_set_id = %s",
            [cs.pk],
        )
        return cursor.fetchone()


def frozen_digest(result_id: int) -> tuple[int, str]:
    units_digest = "concat_ws('|', unit_id, unit_name, total, percent, rank, class_label)"
    leaves_digest = "concat_ws('|', unit_id, criterion_id, points, own_points)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), md5(string_agg({units_digest}, ',' ORDER BY unit_id)) "
            "FROM scoring_publishedscore WHERE result_id = %s",
            [result_id],
        )
        units = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*), md5(string_agg({leaves_digest}, ',' ORDER BY unit_id, criterion_id)) "
            "FROM scoring_publishedleaf WHERE result_id = %s",
            [result_id],
        )
        return (units, cursor.fetchone())


def round_undo(cs) -> None:
    """Back to tracking with no round rows, as before the benchmark (the published versions included)."""
    from scoring.models import PublishedResult, Round, SelfAssessment

    with transaction.atomic():
        PublishedResult.objects.filter(criteria_set=cs).delete()
        SelfAssessment.objects.filter(criteria_set=cs).delete()
        Round.objects.filter(criteria_set=cs).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM scoring_selfassessment, scoring_publishedscore, scoring_publishedleaf")


def _fastest(fn, reset, runs: int = FLOOR_RUNS) -> list[float]:
    """Each run committed, then undone by `reset` (not timed)."""
    timings = []
    for _run in range(runs):
        timings.append(committed(fn))
        reset()
    return timings


def _sheets_deleted(cs) -> None:
    execute("DELETE FROM scoring_selfassessment WHERE criteria_set_id = %s", [cs.pk])


def _drafts_again(cs) -> None:
    execute(
        "UPDATE scoring_selfassessment SET state = 'draft', late = false, submitted_at = NULL "
        "WHERE criteria_set_id = %s",
        [cs.pk],
    )


def _frozen_deleted(result_id: int) -> None:
    execute("DELETE FROM scoring_publishedscore WHERE result_id = %s", [result_id])
    execute("DELETE FROM scoring_publishedleaf WHERE result_id = %s", [result_id])


# --- the real paths -----------------------------------------------------------------------------------


def _step(cs, action: str, now, **fields):
    from scoring.services import StepFields, round_step

    return round_step(actor=None, criteria_set=cs, action=action, fields=StepFields(**fields), now=now)


def bench_round(cs, *, repeat: int) -> dict:
    """Open, auto-submit and publish the round of `cs` `repeat` times each, next to the floors. Leaves the
    set as it found it."""
    from scoring.models import PublishedResult, Round
    from scoring.services import results_freeze, round_cycle

    round_undo(cs)
    now = timezone.now()
    today = timezone.localdate(now)
    until = today + dt.timedelta(days=10)
    after = now + dt.timedelta(days=30)
    out: dict = {"open": {"runs": []}, "close": {"runs": []}, "freeze": {"runs": []}, "publish": {"runs": []}}

    out["open"]["floor_runs"] = _fastest(lambda: floor_open(cs), lambda: _sheets_deleted(cs))
    for _run in range(repeat):
        round_undo(cs)
        out["open"]["runs"].append(
            timed(lambda: _step(cs, "open_self_assessment", now, self_assessment_until=until))
        )
    out["open"]["digest"] = self_assessment_digest(cs)

    out["close"]["floor_runs"] = _fastest(lambda: floor_close(cs, after), lambda: _drafts_again(cs))
    for _run in range(repeat):
        _drafts_again(cs)
        out["close"]["runs"].append(timed(lambda: round_cycle(now=after)))
    out["close"]["digest"] = self_assessment_digest(cs)
    out["close"]["units"] = out["close"]["digest"][0]

    # Up to the final appraisal, then publish: the step recomputes the live rows, then freezes them.
    _step(cs, "start_appraisal", after)
    _step(cs, "open_explanation", after, explanation_until=timezone.localdate(after) + dt.timedelta(days=5))
    _step(cs, "start_final_appraisal", after)
    probe = PublishedResult.objects.create(
        criteria_set=cs, version=999, decision_number="floor", decided_on=today, published_at=now
    )
    undo = lambda: _frozen_deleted(probe.pk)  # noqa: E731
    out["freeze"]["floor_runs"] = _fastest(lambda: floor_freeze(cs, probe.pk), undo)
    out["freeze"]["runs"] = _fastest(lambda: results_freeze(result=probe), undo, runs=repeat)
    probe.delete()
    for i in range(repeat):
        if i:
            _step(cs, "correct", after, reason="benchmark")
        number = f"{i + 1}/QĐ-UBND"
        seconds = timed(lambda n=number: _step(cs, "publish", after, decision_number=n, decided_on=today))
        out["publish"]["runs"].append(seconds)
    latest = PublishedResult.objects.filter(criteria_set=cs).order_by("-version").first()
    out["freeze"]["digest"] = frozen_digest(latest.pk)
    out["freeze"]["rows"] = out["freeze"]["digest"][0][0] + out["freeze"]["digest"][1][0]
    out["published_state"] = Round.objects.get(criteria_set=cs).state
    return _figures(out)


def _figures(out: dict) -> dict:
    """Each measure's figure: the median of its runs; each floor's: its fastest run."""
    for d in out.values():
        if isinstance(d, dict) and "runs" in d:
            d["seconds"] = sorted(d["runs"])[len(d["runs"]) // 2]
            if "floor_runs" in d:
                d["floor"] = min(d["floor_runs"])
    return out


def bench_published_reads(cs, client_for, time_page, *, n: int) -> list[dict]:
    """The published ranking through the API (one page of 500) and the ranking page, with the round
    published (the caller publishes first); query counts taken at two page sizes must be equal."""
    rows = []
    for name, urls in (
        (
            "published ranking API",
            [
                f"/api/criteria-sets/{cs.pk}/scores/?page_size=500",
                f"/api/criteria-sets/{cs.pk}/scores/?page_size=50",
            ],
        ),
        ("published ranking page", [f"/ranking/?set={cs.pk}", f"/ranking/?set={cs.pk}&page=2"]),
    ):
        client = client_for()
        first = time_page(client, urls[0], n=n)
        second = time_page(client, urls[1], n=3, warmup=1)
        first["queries"] = sorted(set(first["queries"]) | set(second["queries"]))
        rows.append({"page": name, "user": "official", "url": urls[0], **first})
    return rows
