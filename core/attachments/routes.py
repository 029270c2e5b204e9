"""Attachments over HTTP: upload at a region (checked by the guard at
``{code}``), download by id (checked by the service at the attachment's
own region, 404 when the caller may not read it)."""
from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from core.attachments import service
from core.attachments.schemas import UploadForm
from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.errors import FieldError, validation_failed
from core.runtime import Runtime


@post("/regions/{code:str}/attachments", opt={"action": service.UPLOAD}, status_code=201,
      request_max_body_size=service.MAX_REQUEST_BYTES,
      summary="Upload a photo or document (JPEG, PNG, PDF, DOCX, XLSX; at most 10 MB) as multipart form data")
async def upload_attachment(code: FromPath[str], db: NamedDependency[AsyncSession],
                            principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                            data: MultipartBody[UploadForm]) -> dict:
    upload = data.file
    if upload is msgspec.UNSET:
        raise validation_failed(FieldError(service.FIELD, "请以 multipart 表单字段 file 上传文件",
                                           "send the file as the multipart form field 'file'"))
    content = await upload.read()
    attachment = await service.store(db, principal, code, content, upload.filename,
                                     upload_dir=runtime.config.upload_dir)
    return service.describe(attachment)


@get("/attachments/{attachment_id:int}", opt={"action": service.READ},
     summary="Download an attachment the caller may read")
async def download_attachment(attachment_id: FromPath[int], db: NamedDependency[AsyncSession],
                              principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> File:
    authorizer = await get_authorizer(runtime)
    attachment, path = await service.load_for_download(db, principal, attachment_id, authorizer=authorizer,
                                                       upload_dir=runtime.config.upload_dir)
    return File(path=path, filename=attachment.filename, media_type=attachment.content_type,
                headers={"X-Content-Type-Options": "nosniff"})


ROUTES = [upload_attachment, download_attachment]
