"""Evidence on S3-compatible storage (MinIO, Ceph, a cloud's S3), when AWS_STORAGE_BUCKET_NAME is set
(settings, "More than one host"); the local file system otherwise.

The bucket stays private: every object is written with the `private` ACL, no public URL is ever handed out,
and downloads keep going through the permission-checked views (tasks.files.evidence_file_response), which
stream the object through Django after the check. Why stream rather than redirect to a presigned URL: the
bucket then need not be reachable from officials' browsers (it sits on the data-centre network, next to the
database), a download link forwarded by mail or chat never works for someone who is not signed in, and the
answer keeps our headers (the original file name, nosniff, a sandboxing CSP). Evidence is at most
EVIDENCE_MAX_BYTES (20 MB), so holding a web worker for the transfer costs little.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from storages.backends.s3 import S3Storage


class EvidenceS3Storage(S3Storage):
    """django-storages' S3 backend with the settings evidence needs: private objects, generated names never
    overwritten, and a missing object reported as FileNotFoundError, as the file system does (the download
    then answers 404 with a message, never a 500)."""

    default_acl = "private"
    file_overwrite = False
    # A read is spooled to a temporary file past 1 MB instead of held in memory (the default 0 keeps it all).
    max_memory_size = 1024 * 1024

    def _open(self, name, mode="rb"):
        try:
            return super()._open(name, mode)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(name) from exc
            raise
