"""Official Vietnamese administrative documents as PDF (WeasyPrint), laid out as Nghị định 30/2020/NĐ-CP:
the issuing authority and the document number top left, the national header, the motto and the place and
date top right, then the title and the body. Apps extend `org/documents/official.html` (its blocks and
context are described there) and call `render_pdf`. Here because every app above `org` prints documents
(scoring's published ranking, plans' progress, a unit's breakdown).

WeasyPrint never reaches the network: its URL fetcher (`LocalFetcher`) reads `data:` URLs and `file://`
URLs under the static and font folders, and refuses every other URL (government intranets have no
internet, and a document must not leak who opened it to a third-party server). The fonts are local files.

WeasyPrint is imported when a document is rendered, not when this module is: a machine without Pango
still runs the rest of the application (only the PDF exports need it).
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

PDF_CONTENT_TYPE = "application/pdf"
BASE_TEMPLATE = "org/documents/official.html"
#: Official documents are written in Vietnamese, whatever the reader's interface language.
DOCUMENT_LANGUAGE = "vi"
#: Where fonts may be read from (file:// URLs and the @font-face rules of the base template).
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class FontFamily:
    """A serif family for documents: the decree asks for Times New Roman; Liberation Serif (Debian's
    fonts-liberation2) has its metrics, DejaVu Serif (fonts-dejavu-core, always installed) is the fallback.
    Both render every Vietnamese letter. `italic` and `bold_italic` may be missing (Pango slants then)."""

    name: str
    regular: str
    bold: str
    italic: str = ""
    bold_italic: str = ""


FONT_FAMILIES = (
    FontFamily(
        "Liberation Serif",
        "truetype/liberation2/LiberationSerif-Regular.ttf",
        "truetype/liberation2/LiberationSerif-Bold.ttf",
        "truetype/liberation2/LiberationSerif-Italic.ttf",
        "truetype/liberation2/LiberationSerif-BoldItalic.ttf",
    ),
    FontFamily(
        "DejaVu Serif",
        "truetype/dejavu/DejaVuSerif.ttf",
        "truetype/dejavu/DejaVuSerif-Bold.ttf",
        "truetype/dejavu/DejaVuSerif-Italic.ttf",
        "truetype/dejavu/DejaVuSerif-BoldItalic.ttf",
    ),
)


def font_faces(font_dir: Path = FONT_DIRS[0], families=FONT_FAMILIES) -> list[dict]:
    """The @font-face rules of the first family whose regular and bold files exist under `font_dir`:
    [{"url", "weight", "style"}] (file:// URLs); [] when none does (fontconfig's serif is used then)."""
    for family in families:
        if not all((font_dir / f).is_file() for f in (family.regular, family.bold)):
            continue
        faces = [(family.regular, 400, "normal"), (family.bold, 700, "normal")]
        faces += [(family.italic, 400, "italic"), (family.bold_italic, 700, "italic")]
        return [
            {"url": (font_dir / path).as_uri(), "weight": weight, "style": style}
            for path, weight, style in faces
            if path and (font_dir / path).is_file()
        ]
    return []


# --- Dates and places --------------------------------------------------------------------------------------


def vn_day_month(date: dt.date) -> tuple[str, str]:
    """The day and month as an official document writes them (Nghị định 30/2020, Phụ lục I): a day below
    10 and the months 1 and 2 take a leading zero ("05", "01", "02"), the other months do not ("3", "12"),
    so that no digit can be added in front later."""
    day = f"{date.day:02d}"
    month = f"{date.month:02d}" if date.month <= 2 else str(date.month)
    return day, month


def vn_date_line(place: str, date: dt.date) -> str:
    """The place and date line: "Yên Bái, ngày 05 tháng 01 năm 2021" (no place: "ngày 05 tháng 01 năm
    2021")."""
    day, month = vn_day_month(date)
    when = translation.gettext("ngày %(day)s tháng %(month)s năm %(year)s") % {
        "day": day,
        "month": month,
        "year": date.year,
    }
    place = (place or "").strip()
    return f"{place}, {when}" if place else when


_PLACE_PREFIX = re.compile(
    r"^(?:ủy ban nhân dân|uỷ ban nhân dân|ubnd)?\s*"
    r"(?:tỉnh|thành phố|tp\.?|huyện|thị xã|quận|thị trấn|xã|phường|đặc khu)\s+",
    re.IGNORECASE,
)


def vn_place_name(unit_name: str) -> str:
    """The place a unit's documents are dated at, from its name: "Tỉnh Yên Bái" and "Thành phố Yên Bái" →
    "Yên Bái", "Phường Đồng Tâm" → "Đồng Tâm"; a name without an administrative prefix is kept."""
    name = " ".join((unit_name or "").split())
    return _PLACE_PREFIX.sub("", name, count=1) or name


# --- Fetching ----------------------------------------------------------------------------------------------


class URLRefused(ValueError):
    """WeasyPrint asked for a URL documents may not read (the network, or a file outside the allowed
    folders). A ValueError: WeasyPrint logs it and renders without the resource."""


def allowed_roots() -> list[Path]:
    """The folders documents may read files from: the static files (collected, the project's and every
    app's) and the font folders; resolved, so that a symbolic link cannot lead elsewhere."""
    roots = [*FONT_DIRS, Path(settings.STATIC_ROOT)]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        roots.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    roots += [Path(config.path) / "static" for config in apps.get_app_configs()]
    return [root.resolve() for root in roots]


def local_path(url: str, roots: list[Path]) -> Path | None:
    """The file a file:// URL names when it lies under one of `roots` (resolved, without any host but
    localhost); None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if any(path.is_relative_to(root) for root in roots) and path.is_file():
        return path
    return None


@cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        """WeasyPrint's fetcher limited to data: URLs and local files under `allowed_roots()`."""

        def __init__(self, roots: list[Path] | None = None):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
            self.roots = allowed_roots() if roots is None else roots
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":  # urllib's data handler decodes it in memory
                return super().fetch(url, headers)
            path = local_path(url, self.roots) if scheme == "file" else None
            if path is None:
                self.refused.append(url)
                logger.warning("document: refused to fetch %s", url[:200])
                raise URLRefused(f"documents read no URL but data: and local static or font files: {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            # Read here rather than by urllib's file handler, which looks a host name up.
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    return LocalFetcher


def local_fetcher(roots: list[Path] | None = None):
    """A new `LocalFetcher` (WeasyPrint's URLFetcher that refuses the network); `refused` lists the URLs
    it turned down."""
    return _fetcher_class()(roots)


# --- Rendering ---------------------------------------------------------------------------------------------


def render_html(
    template_name: str, context: dict, *, request=None, language: str | None = DOCUMENT_LANGUAGE
) -> str:
    """The document's HTML: the template rendered with `context`, the fonts (`document_fonts`) and, by
    default, in Vietnamese: an official document is written in Vietnamese whatever the reader's interface
    language (None: the active language). Strings the caller puts in `context` should be made under
    `translation.override(DOCUMENT_LANGUAGE)` too."""
    context = {"document_fonts": font_faces(), **context}
    if language is None:
        return render_to_string(template_name, context, request=request)
    with translation.override(language):
        return render_to_string(template_name, context, request=request)


def render_pdf(
    template_name: str, context: dict, *, request=None, language: str | None = DOCUMENT_LANGUAGE
) -> bytes:
    """Render an official document (a template extending `org/documents/official.html`) to PDF bytes.
    Nothing is fetched from the network (`LocalFetcher`)."""
    from weasyprint import HTML

    html = render_html(template_name, context, request=request, language=language)
    fetcher = local_fetcher()
    # No base URL: a relative URL resolves to nothing; the templates use data: or local file:// URLs.
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
