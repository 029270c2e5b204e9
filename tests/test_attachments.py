"""Attachments on both backends: upload by content type and size, download
only where the attachment's region is readable, and nothing kept from a
refused upload."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.attachments import service
from core.errors import ApiError
from core.models import AuditEntry
from core.models.attachment import Attachment
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"
SIBLING = "330203001002"
STREET = "330203001"
OTHER_STREET_COMMUNITY = "330203002001"
OTHER_CITY_COMMUNITY = "620502001001"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(300)


def office(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            package.writestr(part, "<x/>")
    return buffer.getvalue()


DOCX = office("word/document.xml")
XLSX = office("xl/workbook.xml")


@pytest.fixture
async def people(db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "secretary", ("council_secretary", COMMUNITY))
    await make_user(db, "street", ("street_staff", STREET))
    await make_user(db, "neighbour", ("resident", SIBLING))
    await make_user(db, "tianshui", ("city_admin", "6205"))


@pytest.fixture
async def client(runtime, people):
    async with app_client(runtime) as test_client:
        yield test_client


def files_on_disk(upload_dir: Path) -> list[Path]:
    return [p for p in Path(upload_dir).rglob("*") if p.is_file()] if Path(upload_dir).exists() else []


async def upload(client, who_headers, content, name, region=COMMUNITY, content_type="application/octet-stream"):
    return await client.post(f"/api/v1/regions/{region}/attachments", headers=who_headers,
                             files={"file": (name, content, content_type)})


async def test_upload_then_download_where_readable_and_404_elsewhere(db, client, config):
    secretary = bearer(await login(client, "secretary"))
    uploaded = await upload(client, secretary, PNG, "路灯 照片.png", content_type="image/png")
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["content_type"] == "image/png" and meta["size"] == len(PNG)
    assert meta["filename"] == "路灯 照片.png" and meta["region_code"] == COMMUNITY
    row = await db.get(Attachment, meta["id"])
    assert row.sha256 == meta["sha256"] and row.uploader_user_id is not None
    [stored] = files_on_disk(config.upload_dir)
    assert stored.name == meta["sha256"] and stored.read_bytes() == PNG
    assert await db.scalar(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.action == "attachment.upload")) == 1

    for who in ("secretary", "street"):
        got = await client.get(meta["download_path"], headers=bearer(await login(client, who)))
        assert got.status_code == 200, (who, got.text)
        assert got.content == PNG and got.headers["content-type"].startswith("image/png")
        assert "attachment" in got.headers["content-disposition"]
        assert got.headers["x-content-type-options"] == "nosniff"

    for who in ("tianshui", "neighbour"):
        refused = await client.get(meta["download_path"], headers=bearer(await login(client, who)))
        assert refused.status_code == 404 and CONTAINS_NO(refused.text, meta["sha256"])
    assert (await client.get("/api/v1/attachments/999999", headers=secretary)).status_code == 404
    assert (await client.get(meta["download_path"])).status_code == 401


def CONTAINS_NO(text: str, secret: str) -> bool:
    return secret not in text


async def test_every_allowed_kind_is_accepted_and_the_same_content_is_kept_once(db, client, config):
    secretary = bearer(await login(client, "secretary"))
    for content, name, kind in ((JPEG, "a.JPG", "image/jpeg"), (PDF, "议事方案.pdf", "application/pdf"),
                                (DOCX, "纪要.docx", service.DOCX.content_type),
                                (XLSX, "表决.xlsx", service.XLSX.content_type), (PNG, "noext", "image/png")):
        response = await upload(client, secretary, content, name)
        assert response.status_code == 201, (name, response.text)
        assert response.json()["content_type"] == kind
    assert (await db.get(Attachment, response.json()["id"])).filename == "noext.png"
    again = await upload(client, secretary, PNG, "copy.png")
    assert again.status_code == 201
    assert len(files_on_disk(config.upload_dir)) == 5
    assert await db.scalar(select(func.count()).select_from(Attachment)) == 6


@pytest.mark.parametrize("content, name, status, word", [
    (EXE, "photo.png", 415, "not allowed"),                     # a program renamed .png
    (PNG, "report.pdf", 415, "does not match"),                 # the name lies about the content
    (office("word/document.xml", "word/vbaProject.bin"), "macro.docx", 415, "not allowed"),
    (office("other.xml"), "plain.docx", 415, "not allowed"),    # a ZIP that is no Office document
    (b"", "empty.png", 400, "empty"),
    (PNG + bytes(service.MAX_BYTES), "huge.png", 413, "too large"),
])
async def test_refused_uploads_leave_nothing(db, client, config, content, name, status, word):
    secretary = bearer(await login(client, "secretary"))
    response = await upload(client, secretary, content, name, content_type="image/png")
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message_zh"] and error["fields"][0]["field"] == "file"
    assert word in error["message_en"] + " " + error["fields"][0]["message_en"]
    assert files_on_disk(config.upload_dir) == []
    assert await db.scalar(select(func.count()).select_from(Attachment)) == 0


async def test_a_body_far_over_the_limit_is_413_before_parsing(db, client, config):
    secretary = bearer(await login(client, "secretary"))
    response = await upload(client, secretary, PNG + bytes(service.MAX_REQUEST_BYTES), "huge.png")
    assert response.status_code == 413
    assert response.json()["error"]["message_zh"]
    assert files_on_disk(config.upload_dir) == []


async def test_upload_needs_access_at_the_region(db, client, config):
    neighbour = bearer(await login(client, "neighbour"))
    tianshui = bearer(await login(client, "tianshui"))
    assert (await upload(client, neighbour, PNG, "a.png", region=COMMUNITY)).status_code == 404
    assert (await upload(client, tianshui, PNG, "a.png", region=COMMUNITY)).status_code == 404
    assert (await upload(client, neighbour, PNG, "a.png", region=SIBLING)).status_code == 201
    missing = await client.post(f"/api/v1/regions/{SIBLING}/attachments", headers=neighbour,
                                files={"other": ("", b"", "text/plain")}, data={"x": "1"})
    assert missing.status_code == 400
    assert len(files_on_disk(config.upload_dir)) == 1


async def test_attachments_exist_checks_ids_in_the_region_subtree(db, people, config):
    from core.auth.service import principal_of
    from core.models import User

    user = await db.scalar(select(User).where(User.username == "secretary"))
    principal = principal_of(await db.scalar(select(User).where(User.id == user.id)
                                             .execution_options(populate_existing=True)))
    here = await service.store(db, principal, COMMUNITY, PNG, "a.png", upload_dir=config.upload_dir)
    there = await service.store(db, principal, OTHER_STREET_COMMUNITY, PDF, "b.pdf", upload_dir=config.upload_dir)
    await db.commit()
    await service.attachments_exist(db, [here.id, here.id], COMMUNITY)
    await service.attachments_exist(db, [here.id], STREET)
    await service.attachments_exist(db, [], COMMUNITY)
    for ids, region, words in (([here.id, there.id, 987654], STREET, f"{there.id}, 987654"),
                               ([here.id], SIBLING, str(here.id)),
                               (["1"], COMMUNITY, "integers"), ("12", COMMUNITY, "list")):
        with pytest.raises(ApiError) as err:
            await service.attachments_exist(db, ids, region, field="research.attachments")
        assert err.value.status_code == 400
        assert err.value.fields[0].field == "research.attachments"
        assert words in err.value.fields[0].message_en
