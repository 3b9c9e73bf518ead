"""The generated data set's declarations: its shape (provinces, departments), metric ranges, the states a
task is in by whether its deadline has passed, and the columns the rows are written in."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATA = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"
PASSWORD = "Load@2026"
PROVINCES = 34
DEPARTMENTS_PER_PROVINCE = 2
MIN_UNITS = PROVINCES * (2 + DEPARTMENTS_PER_PROVINCE)
METRIC_RANGES = {
    "3.2": (90, 100),
    "3.5": (40, 100),
    "3.6": (30, 90),
    "5.2": (80, 100),
    "6.1": (80, 110),
    "7.1": (60, 99),
    "7.3": (10, 70),
    "7.4": (5, 45),
    "8.1": (70, 105),
    "8.2": (75, 99),
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

# A task's state from a uniform draw r: the first state whose bound r is under, else the last word.
# Past its deadline and still open (r rescaled over the open share):
PAST_OPEN_STATES = [(0.41, "in_progress"), (0.59, "assigned"), (0.82, "submitted"), (1.0, "returned")]
# Not yet due:
FUTURE_STATES = [
    (0.35, "assigned"),
    (0.75, "in_progress"),
    (0.83, "submitted"),
    (0.87, "returned"),
    (0.95, "approved"),
    (0.98, "draft"),
]
PRIORITIES = ("normal", "normal", "normal", "high", "urgent")
PROGRESS = [0, 10, 30, 50, 70, 90]

TASK_COLUMNS = [
    "plan_id",
    "parent_id",
    "title",
    "description",
    "assignee_unit_id",
    "lead_id",
    "assigned_by_id",
    "start_date",
    "due_date",
    "effective_due_date",
    "priority",
    "criterion_code",
    "progress",
    "metric_value",
    "state",
    "assigned_at",
    "submitted_at",
    "approved_at",
    "created_at",
    "updated_at",
]
EVIDENCE_COLUMNS = [
    "task_id",
    "file",
    "original_name",
    "content_type",
    "size",
    "sha256",
    "doc_number",
    "doc_date",
    "description",
    "metric_value",
    "uploaded_by_id",
    "uploaded_at",
]
