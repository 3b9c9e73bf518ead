"""One source language for message ids (issue 12): the ids in the code and templates are the Vietnamese
text (the interface's default), the English catalogue translates every one of them, and the catalogues
hold exactly the ids the code has (`makemessages` run on a copy of the tree finds nothing new, nothing gone).
A new string without its English, or an English id, fails here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
APPS = ["config", "org", "criteria", "plans", "tasks", "scoring", "notifications"]


def _catalogue(lang: str, root: Path = ROOT) -> polib.POFile:
    return polib.pofile(str(root / "locale" / lang / "LC_MESSAGES" / "django.po"))


def _ids(po: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural or "") for e in po if not e.obsolete}


def test_the_vietnamese_catalogue_translates_nothing_its_ids_are_the_text():
    translated = [e.msgid for e in _catalogue("vi") if e.msgstr or any(e.msgstr_plural.values())]
    assert translated == [], f"ids not in the source language (Vietnamese): {translated[:10]}"


def test_the_english_catalogue_is_complete_and_has_no_fuzzy_entry():
    po = _catalogue("en")
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert missing == [] and fuzzy == [], {"missing": missing[:10], "fuzzy": fuzzy[:10]}
    assert len(po) > 500  # the catalogue is the real one, not an empty file


def test_placeholders_survive_translation():
    import re

    field = re.compile(r"%\((\w+)\)[sdf]|%\(\w+\)\.\d+f|\{\w+\}")
    wrong = []
    for e in _catalogue("en"):
        if e.msgid_plural:
            continue
        if sorted(field.findall(e.msgid)) != sorted(field.findall(e.msgstr)):
            wrong.append(e.msgid)
    assert wrong == []


def test_the_catalogues_hold_exactly_the_ids_of_the_code(tmp_path):
    for name in [*APPS, "locale"]:
        if (ROOT / name).exists():
            shutil.copytree(
                ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
            )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)  # makemessages needs no database
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted, committed = _ids(_catalogue("en", tmp_path)), _ids(_catalogue("en"))
    assert extracted - committed == set(), "ids in the code but not in the catalogue: run makemessages"
    assert committed - extracted == set(), "ids in the catalogue that the code no longer has"
