"""A small, strict iCalendar (RFC 5545) writer for the deadline feed: all-day events only. Pure: plain
values in, text out (CRLF line ends, TEXT values escaped per §3.3.11, content lines folded at 75 octets per
§3.1 without splitting a UTF-8 character).

Written here rather than taken from a package: the feed needs one component type and five properties, and
the tests parse what it writes back (unfolding and unescaping) to check every event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

CRLF = "\r\n"
_FOLD_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value (§3.3.11): backslash, semicolon and comma escaped, line breaks as `\\n`; other control
    characters (not allowed in TEXT) dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == ";":
            out.append("\\;")
        elif ch == ",":
            out.append("\\,")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            if ch == "\t":
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def fold(line: str) -> str:
    """One content line folded (§3.1): no line longer than 75 octets, continued lines start with a space;
    never inside a multi-octet UTF-8 character."""
    if len(line.encode("utf-8")) <= _FOLD_OCTETS:
        return line
    parts, current, size = [], [], 0
    limit = _FOLD_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = _FOLD_OCTETS - 1  # the leading space of a continuation line counts
        current.append(ch)
        size += n
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


@dataclass(frozen=True)
class AllDayEvent:
    uid: str
    day: dt.date
    summary: str
    description: str
    url: str
    stamp: dt.datetime  # when the event's information last changed (DTSTAMP, LAST-MODIFIED)


def _event_lines(event: AllDayEvent) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{_utc(event.stamp)}",
        f"LAST-MODIFIED:{_utc(event.stamp)}",
        f"DTSTART;VALUE=DATE:{_date(event.day)}",
        f"DTEND;VALUE=DATE:{_date(event.day + dt.timedelta(days=1))}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        # A URI value, not TEXT: no escaping (our URLs hold no control characters).
        f"URL;VALUE=URI:{event.url}",
        "TRANSP:TRANSPARENT",  # a deadline does not make the day busy
        "END:VEVENT",
    ]


def calendar(events: Iterable[AllDayEvent], *, name: str, prodid: str, refresh_minutes: int = 60) -> str:
    """A VCALENDAR of all-day events. No METHOD: a subscribed feed, so each DTSTAMP is when the event last
    changed (§3.8.7.2), and the text is the same on every fetch until a task changes."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Ho_Chi_Minh",
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh_minutes}M",
        f"X-PUBLISHED-TTL:PT{refresh_minutes}M",
    ]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
