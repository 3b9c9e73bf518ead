"""What the scoring tests share: a small 2026 criteria set with every rule type, a 2025 set holding only a
manual leaf, a fixed clock and a helper that makes a task in a given state at given moments."""

import datetime as dt
from zoneinfo import ZoneInfo

from tasks import services as task_services
from tests.factories import drive

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TZ)  # a Monday
PAST = dt.date(2026, 5, 29)  # a Friday: due before NOW
FUTURE = dt.date(2026, 9, 30)  # a Wednesday: not yet due
ASSIGNED_AT = dt.datetime(2026, 5, 4, 9, 0, tzinfo=TZ)
ON_TIME_AT = dt.datetime(2026, 5, 20, 9, 0, tzinfo=TZ)  # before PAST
LATE_AT = dt.datetime(2026, 6, 5, 9, 0, tzinfo=TZ)  # after PAST

SET_2026 = """
code: T-2026
name: Bộ tiêu chí thử nghiệm năm 2026
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 40
    part: evidence
    children:
      - {code: "1.1", title: Kế hoạch đúng hạn, max: 10, rule: {type: task_on_time, late_points: 4}}
      - code: "1.2"
        title: Thực hiện kế hoạch
        max: 10
        rule: {type: task_ratio_bands, scope: plan, bands: [[1.0, 10], [0.75, 6], [0.5, 3]]}
      - code: "1.3"
        title: Nhiệm vụ cấp trên giao
        max: 5
        rule:
          {type: task_ratio_bands, scope: assigned_by_higher, count: approved, bands: [[1.0, 5], [0.5, 2]]}
      - {code: "1.4", title: Báo cáo định kỳ, max: 10, rule: {type: deduction, per_item: 2.5}}
      - {code: "1.5", title: Chất lượng báo cáo, max: 5, rule: {type: manual}}
  - code: "2"
    title: Kết quả
    max: 30
    part: evidence
    children:
      - code: "2.1"
        title: Hồ sơ đúng hạn (%)
        max: 10
        rule: {type: metric_bands, bands: [[100, 10], [95, 6], [90, 3]]}
      - {code: "2.2", title: Số hóa hồ sơ (%), max: 10, rule: {type: metric_proportional, target: 80}}
      - code: "2.3"
        title: Xử lý văn bản trái luật
        max: 10
        rule: {type: task_on_time, when_no_tasks: exclude}
      - {code: "2.4", title: Không để xảy ra vi phạm, max: 5, rule: {type: task_on_time, when_no_tasks: full}}
  - code: "3"
    title: Điều tra xã hội học
    max: 30
    part: survey
    children:
      - {code: "3.1", title: Hài lòng về thủ tục, max: 20, rule: {type: survey}}
      - {code: "3.2", title: Hài lòng về công chức, max: 10, rule: {type: survey}}
"""

SET_2025 = """
code: T-2025
name: Bộ tiêu chí thử nghiệm năm 2025
year: 2025
unit_kind: commune
period: {start: 2024-12-15, end: 2025-12-14}
criteria:
  - code: "1"
    title: Đánh giá của Hội đồng
    max: 100
    children:
      - {code: "1.1", title: Điểm thẩm định, max: 100, rule: {type: manual}}
"""


def make_task(plan, assignee, code, due, steps, *, leader, member, metric=None, at=ON_TIME_AT, title=None):
    """A task of `plan` for `assignee`, driven through `steps`: assigned at ASSIGNED_AT, evidence,
    submission and approval at `at`."""
    task = task_services.task_create(
        actor=leader,
        plan=plan,
        title=title or f"{assignee.code} {code or 'khác'} {due}",
        assignee_unit=assignee,
        due_date=due,
        criterion_code=code,
        now=ASSIGNED_AT,
    )
    for step in steps:
        when = ASSIGNED_AT if step in ("assign", "start") else at
        task = drive(task, [step], leader=leader, member=member, at=when, metric_value=metric)
    return task
