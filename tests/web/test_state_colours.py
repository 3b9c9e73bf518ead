"""Each state of a task in its own colour, defined once (`tasks.choices.STATE_HUES`), readable at WCAG AA,
with its label always written, on the cards, in the table and on the task page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks.choices import STATE_HUES, TaskState

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_state(world):
    return {state: world.task(state, title=f"Việc {state}") for state in TaskState.values}


CSS = Path(__file__).resolve().parents[2] / "config" / "static" / "css" / "app.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_state_has_its_own_colour_readable_at_wcag_aa():
    assert set(STATE_HUES) == set(TaskState)
    assert len(set(STATE_HUES.values())) == len(TaskState)
    css = CSS.read_text()
    for state, hue in STATE_HUES.items():
        rule = re.search(rf"\.state\.hue-{hue} \{{([^}}]*)\}}", css)
        assert rule, f"no .state.hue-{hue} rule for {state}"
        background = re.search(r"background: (#[0-9a-f]{6})", rule.group(1)).group(1)
        colour = re.search(r"(?<!-)color: (#[0-9a-f]{6})", rule.group(1)).group(1)
        assert _contrast(colour, background) >= 4.5, (state, colour, background)


def test_the_pages_draw_each_state_in_its_colour_with_its_label(world, web, every_state):
    client = web.as_(world.city_leader)
    for query in ("tab=all", "tab=all&view=table"):
        html = client.get(f"/tasks/?{query}&year=all").content.decode()
        assert '<span class="state hue-amber">Chờ duyệt</span>' in html
        assert '<span class="state hue-rose">Bị trả lại</span>' in html
        assert '<span class="state hue-green">Đã duyệt</span>' in html
        assert '<span class="state hue-teal">Đang thực hiện</span>' in html
        assert '<span class="state hue-slate">Đã hủy</span>' in html
        assert '<span class="state hue-grey">Dự thảo</span>' in html
        assert '<span class="state hue-blue">Đã giao</span>' in html
    html = client.get(f"/tasks/{every_state['submitted'].pk}/").content.decode()
    assert '<span class="state hue-amber">Chờ duyệt</span>' in html
