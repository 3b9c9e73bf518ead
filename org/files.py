"""Checks on uploaded files that every app shares (evidence, task imports, survey imports)."""

from __future__ import annotations

import zipfile

# A zip container whose members inflate beyond this is a zip bomb, whatever it claims to be.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 5000


def zip_is_implausible(
    fileobj, *, size: int, max_members: int = MAX_MEMBERS, max_inflated: int = MAX_INFLATED_BYTES
) -> bool:
    """Is this zip container (an Office Open XML or ODF file) bigger inside than any real office file: too
    many parts, or expanding to more than `max_inflated` bytes or MAX_RATIO times its `size` (a zip bomb)?
    Reads only the central directory. Raises zipfile.BadZipFile when it is no zip at all. Every upload and
    import of an office file asks this before opening it."""
    with zipfile.ZipFile(fileobj) as zf:
        infos = zf.infolist()
        inflated = sum(i.file_size for i in infos)
    return len(infos) > max_members or inflated > max_inflated or inflated > MAX_RATIO * max(size, 1)
