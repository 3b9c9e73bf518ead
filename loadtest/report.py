"""Print locust's CSV results as the Markdown table of docs/reliability.md; exit 1 if a request failed."""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def rows_of(path: str) -> list[dict]:
    if not Path(path).exists():
        return []
    with Path(path).open() as f:
        return list(csv.DictReader(f))


def main(stats_path: str, failures_path: str) -> int:
    rows = rows_of(stats_path)
    print("| endpoint | requests | failures | req/s | median ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    failed = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        failed += int(row["Failure Count"]) if row["Name"] == "Aggregated" else 0
        print(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['Median Response Time']} | {row['95%']} | {row['99%']} "
            f"| {float(row['Max Response Time']):.0f} |"
        )
    failures = rows_of(failures_path)
    for row in failures:
        print(f"FAILED {row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}")
    return 1 if failed or failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
