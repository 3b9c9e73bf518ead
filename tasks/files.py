"""Inspecting uploaded evidence files: the type comes from the bytes, never from the name."""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from org.files import zip_is_implausible

# MIME type detected from the content → the extensions a name may carry for it.
ALLOWED = {
    "application/pdf": ("pdf",),
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class InspectedFile:
    name: str
    content_type: str
    size: int
    sha256: str


def clean_file_name(name: str) -> str:
    """The last path component of a client-supplied name, without control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        # Long Vietnamese titles are common: shorten the stem, never the extension that names the type.
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: 200 - len(suffix)].rstrip(" .") + suffix
    return name


def _check_zip(fileobj, size: int) -> None:
    try:
        if zip_is_implausible(fileobj, size=size):
            raise ValidationError(_("Tài liệu bung ra dung lượng bất thường (bom zip?)."))
    except zipfile.BadZipFile as exc:
        raise ValidationError(_("Tài liệu bị hỏng (không phải tệp Office Open XML/ODF hợp lệ).")) from exc
    finally:
        fileobj.seek(0)


def _detect_ole(head: bytes, fileobj) -> str | None:
    """Word 97-2003 and Excel 97-2003 are both OLE compound files; tell them apart by their streams."""
    if not head.startswith(OLE_MAGIC):
        return None
    fileobj.seek(0)
    data = fileobj.read(4 * 1024 * 1024)
    fileobj.seek(0)
    ucs2 = lambda s: s.encode("utf-16-le")  # noqa: E731
    if ucs2("WordDocument") in data:
        return "application/msword"
    if ucs2("Workbook") in data or ucs2("Book") in data:
        return "application/vnd.ms-excel"
    return None


def inspect_upload(uploaded, *, max_bytes: int | None = None) -> InspectedFile:
    """Check an uploaded file and describe it; raise ValidationError({"file": …}) when it is refused."""
    max_bytes = max_bytes or settings.EVIDENCE_MAX_BYTES
    name = clean_file_name(getattr(uploaded, "name", "") or "")
    size = uploaded.size
    if not name:
        raise ValidationError({"file": [_("Tên tệp không dùng được.")]})
    if size == 0:
        raise ValidationError({"file": [_("Tệp rỗng.")]})
    if size > max_bytes:
        raise ValidationError(
            {
                "file": [
                    _("Tệp có %(size).1f MB; giới hạn là %(limit).0f MB.")
                    % {"size": size / 1048576, "limit": max_bytes / 1048576}
                ]
            }
        )
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    content_type = _detect_ole(head, uploaded)
    if content_type is None:
        kind = filetype.guess(
            head if not head.startswith(b"PK") else uploaded.read(min(size, 8 * 1024 * 1024))
        )
        uploaded.seek(0)
        content_type = kind.mime if kind else None
    if content_type not in ALLOWED:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Loại tệp này không được chấp nhận (nhận dạng: %(type)s). Chấp "
                        "nhận: PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, JPEG, PNG."
                    )
                    % {"type": content_type or _("không rõ")}
                ]
            }
        )
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    if ext not in ALLOWED[content_type]:
        raise ValidationError(
            {
                "file": [
                    _("Tệp có đuôi .%(ext)s nhưng nội dung là %(type)s.")
                    % {"ext": ext or "?", "type": ALLOWED[content_type][0].upper()}
                ]
            }
        )
    if head.startswith(b"PK"):
        try:
            _check_zip(uploaded, size)
        except ValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return InspectedFile(name=name, content_type=content_type, size=size, sha256=digest.hexdigest())


class EvidenceFileMissing(Http404):
    """404 whose message is meant for the user (plain lookups' 404s stay generic)."""

    user_message = True


def evidence_file_response(evidence):
    """The download of an evidence file, for views that have already checked visibility. A file missing
    from storage (lost disk, restored database) answers 404 and is logged, never a 500."""
    import logging

    from django.http import FileResponse

    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        logging.getLogger(__name__).error(
            "evidence %s: file %r missing from storage", evidence.pk, evidence.file.name
        )
        raise EvidenceFileMissing(
            _("Tệp của tài liệu kiểm chứng này không còn trong kho lưu trữ; hãy báo quản trị hệ thống.")
        ) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
