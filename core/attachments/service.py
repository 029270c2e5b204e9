"""Storing, checking and serving attachments.

A file is accepted only if its first bytes say it is one of the allowed
kinds (JPEG, PNG, PDF, DOCX, XLSX) and its name, if it has an extension,
agrees: a program renamed ``.png`` is refused whatever the client claims
its type is. Every check runs before anything is written, so a refused
upload leaves neither a file nor a row.

Files are stored under their SHA-256 (``<upload_dir>/ab/abcdef…``): the same
photo uploaded twice is kept once, and a name chosen by a client never
reaches the file system.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.models.attachment import Attachment
from core.models.region import subtree_upper_bound

UPLOAD = "attachment.upload"
READ = "attachment.read"

MAX_BYTES = 10 * 1024 * 1024
# Room for the multipart framing around a file of MAX_BYTES, so that the
# service, not the framework, refuses an oversized file with a clear answer.
MAX_REQUEST_BYTES = MAX_BYTES + 1024 * 1024
MAX_FILENAME = 255
FIELD = "file"
# Our default, for uploads without an account (the residents' door): a phone
# photo is 2-4 MB, and a stranger should not fill the disk at 10 MB a file.
ANONYMOUS_MAX_BYTES = 5 * 1024 * 1024
# Who the audit trail names for such an upload.
ANONYMOUS_ACTOR = "public"


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extensions: tuple[str, ...]
    label: str


JPEG = Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG")
PNG = Kind("png", "image/png", (".png",), "PNG")
PDF = Kind("pdf", "application/pdf", (".pdf",), "PDF")
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "DOCX")
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "XLSX")
KINDS = (JPEG, PNG, PDF, DOCX, XLSX)
# What someone without an account may upload: photos, nothing a reader would open in an office program.
IMAGE_KINDS = (JPEG, PNG)
ALLOWED_LABEL = "、".join(k.label for k in KINDS)
ALLOWED_LABEL_EN = ", ".join(k.label for k in KINDS)


def _office_kind(content: bytes) -> Kind | None:
    """DOCX and XLSX are ZIP packages; which one is told by the parts inside."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    # Macro-enabled documents (docm/xlsm renamed) carry a VBA project: not allowed.
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def sniff(content: bytes) -> Kind | None:
    """The allowed kind the content really is, by its magic bytes, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(raw: str | None, kind: Kind) -> str:
    """The name to show and offer on download: no directories, no control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".")
    if not name:
        name = f"attachment{kind.extensions[0]}"
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_FILENAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 else name[:MAX_FILENAME]
    return name


def too_large(size: int, limit: int = MAX_BYTES) -> ApiError:
    limit_mb = limit // (1024 * 1024)
    return ApiError(413, "attachment_too_large", f"附件过大（{size / 1024 / 1024:.1f} MB），不得超过 {limit_mb} MB",
                    f"the attachment is too large ({size / 1024 / 1024:.1f} MB); the limit is {limit_mb} MB",
                    [FieldError(FIELD, f"附件不得超过 {limit_mb} MB", f"at most {limit_mb} MB")])


def unsupported(zh: str, en: str) -> ApiError:
    return ApiError(415, "attachment_type_not_allowed", zh, en, [FieldError(FIELD, zh, en)])


def check(content: bytes, filename: str | None) -> tuple[Kind, str]:
    """The kind and clean name of an acceptable upload; otherwise the 400/413/415 to answer."""
    if len(content) > MAX_BYTES:
        raise too_large(len(content))
    if not content:
        raise validation_failed(FieldError(FIELD, "附件是空文件", "the attachment is empty"))
    kind = sniff(content)
    if kind is None:
        raise unsupported(f"不支持此类文件，仅可上传 {ALLOWED_LABEL}",
                          f"this kind of file is not allowed; allowed: {ALLOWED_LABEL_EN}")
    name = clean_filename(filename, kind)
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in kind.extensions:
        raise unsupported(f"文件名后缀“{suffix}”与文件内容（{kind.label}）不符",
                          f"the file name's extension '{suffix}' does not match its content ({kind.label})")
    if not suffix:
        name += kind.extensions[0]
    return kind, name


def check_image(content: bytes, filename: str | None, *, max_bytes: int = ANONYMOUS_MAX_BYTES) -> tuple[Kind, str]:
    """Like :func:`check`, for a photo sent without an account: JPEG or PNG only, at most ``max_bytes``."""
    if len(content) > max_bytes:
        raise too_large(len(content), max_bytes)
    if content and sniff(content) not in IMAGE_KINDS:
        labels_zh = "、".join(k.label for k in IMAGE_KINDS)
        labels_en = ", ".join(k.label for k in IMAGE_KINDS)
        raise unsupported(f"仅可上传照片（{labels_zh}）", f"only photos may be uploaded ({labels_en})")
    return check(content, filename)


def stored_path(upload_dir: Path, sha256: str) -> Path:
    return Path(upload_dir) / sha256[:2] / sha256


def _write_once(upload_dir: Path, sha256: str, content: bytes) -> None:
    target = stored_path(upload_dir, sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so a reader never sees half a file and two
    # writers of the same content both end with the whole of it.
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


async def store(session: AsyncSession, principal: Principal, region_code: str, content: bytes,
                filename: str | None, *, upload_dir: Path) -> Attachment:
    """Check and keep an upload for ``region_code`` (the caller's access there is the route's to check)."""
    kind, name = check(content, filename)
    return await _keep(session, region_code, content, kind, name, upload_dir, actor=principal,
                       uploader_user_id=principal.user_id)


async def store_anonymous_image(session: AsyncSession, region_code: str, content: bytes, filename: str | None, *,
                                upload_dir: Path, max_bytes: int = ANONYMOUS_MAX_BYTES) -> Attachment:
    """Check (:func:`check_image`) and keep a photo sent without an account, uploaded by nobody.

    Only those who may read attachments at ``region_code`` can download it;
    the caller (the residents' door) counts it against its own rate limit.
    """
    kind, name = check_image(content, filename, max_bytes=max_bytes)
    return await _keep(session, region_code, content, kind, name, upload_dir, actor=ANONYMOUS_ACTOR,
                       uploader_user_id=None)


async def _keep(session: AsyncSession, region_code: str, content: bytes, kind: Kind, name: str, upload_dir: Path,
                *, actor: Any, uploader_user_id: int | None) -> Attachment:
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(region_code=region_code, uploader_user_id=uploader_user_id, filename=name,
                            content_type=kind.content_type, size=len(content), sha256=digest,
                            created_at=clock.now())
    session.add(attachment)
    await session.flush()
    _write_once(upload_dir, digest, content)
    await record(session, actor=actor, action=UPLOAD, object_type="attachment", object_id=attachment.id,
                 region_code=region_code, before=None, after=describe(attachment))
    return attachment


def describe(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "region_code": attachment.region_code, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
            "uploader_user_id": attachment.uploader_user_id, "created_at": attachment.created_at.isoformat(),
            "download_path": f"/api/v1/attachments/{attachment.id}"}


def attachment_not_found() -> ApiError:
    return not_found("附件", "attachment")


async def load_for_download(session: AsyncSession, principal: Principal, attachment_id: int, *,
                            authorizer: Authorizer, upload_dir: Path) -> tuple[Attachment, Path]:
    """The attachment and its file if the caller may read it at its region (or uploaded it); else 404."""
    readable = [authorizer.scope(principal, READ).where(Attachment.region_code)]
    if principal.user_id is not None:
        readable.append(Attachment.uploader_user_id == principal.user_id)
    attachment = await session.scalar(select(Attachment).where(Attachment.id == attachment_id, or_(*readable)))
    if attachment is None:
        raise attachment_not_found()
    path = stored_path(upload_dir, attachment.sha256)
    if not path.is_file():
        # The row outlived its file (a disk restored from an older backup).
        raise ApiError(410, "attachment_file_missing", "附件文件已丢失，请联系管理员",
                       "the attachment's file is missing; contact the administrator")
    return attachment, path


async def attachments_exist(session: AsyncSession, ids: Iterable[Any], region_code: str, *,
                            field: str = "attachments") -> None:
    """Refuse (400, on ``field``) any id that is not an attachment of ``region_code`` or its subtree.

    For other modules (research records, progress updates) to check the
    attachment ids they are given before linking them.
    """
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise validation_failed(FieldError(field, "附件应为附件编号列表", "attachments must be a list of ids"))
    wanted = list(ids)
    bad_type = [i for i in wanted if not isinstance(i, int) or isinstance(i, bool)]
    if bad_type:
        raise validation_failed(FieldError(field, "附件编号应为整数", "attachment ids must be integers"))
    unique = sorted(set(wanted))
    if not unique:
        return
    found = set(await session.scalars(
        select(Attachment.id).where(Attachment.id.in_(unique), Attachment.region_code >= region_code,
                                    Attachment.region_code < subtree_upper_bound(region_code))))
    missing = [i for i in unique if i not in found]
    if missing:
        listed = ", ".join(str(i) for i in missing)
        raise validation_failed(FieldError(field, f"附件不存在：{listed}", f"unknown attachments: {listed}"))
