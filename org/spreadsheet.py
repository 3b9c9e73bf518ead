"""Spreadsheet cells written from user text (SPEC §1, exports): text stays text.

openpyxl turns any str starting with "=" into a formula, so a task titled `=HYPERLINK("http://x","Xem")`
would become a live link in the downloaded report. Every export writes user text through `text_cell` (for
`ws.append`, write-only or not) or `set_text` (an existing cell): the cell is an inline string holding
exactly what the user typed. Here because tasks and scoring both export, and `org` is the layer below both.
"""

from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

#: What spreadsheet programs read as the start of a formula in a CSV field.
CSV_FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    # Control characters other than tab and newlines cannot be stored in the file's XML at all (openpyxl
    # raises on them); dropping them is the only way the rest of the text gets out.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def set_text(cell: Cell, value) -> Cell:
    """Put `value` into `cell` as text, never as a formula; None and "" leave the cell empty."""
    if value is None or value == "":
        cell.value = None
        return cell
    cell.value = _text(value)
    cell.data_type = "s"  # after the assignment, which guessed "f" for a leading "="
    return cell


def text_cell(ws, value, **style) -> Cell:
    """A cell holding `value` as text, to pass to `ws.append` (write-only sheets included). `style`:
    attributes to set on it (font, fill, alignment, number_format…)."""
    cell = set_text(WriteOnlyCell(ws), value)
    for name, attr in style.items():
        setattr(cell, name, attr)
    return cell


def text_row(ws, values) -> list:
    """A row for `ws.append` in which every str is a text cell; numbers, dates and cells pass as they are."""
    return [text_cell(ws, v) if isinstance(v, str) else v for v in values]


def csv_text(value) -> str:
    """A CSV field from user text that a spreadsheet program opens as text: a field starting with a formula
    leader gets a leading apostrophe (`csv_untext` takes it off again when the file comes back)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_LEADERS) else text


def csv_untext(text: str) -> str:
    """The inverse of `csv_text`: a field read back from a CSV we wrote."""
    if text.startswith("'") and text[1:].startswith(CSV_FORMULA_LEADERS):
        return text[1:]
    return text
