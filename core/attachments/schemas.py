"""The upload form of the attachment route (multipart): the ``file``, and the
CSRF token a page sends with it (core.security.csrf). Any other field is
refused by name. ``file`` is optional here so that a form without it gets
the route's own answer, not the framework's.
"""
from __future__ import annotations

import msgspec
from litestar.datastructures import UploadFile
from msgspec import UNSET, UnsetType

from core.security.csrf import CSRF_FIELD


class UploadForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    file: UploadFile | UnsetType = UNSET
    # Checked before the handler runs, by the CSRF middleware.
    csrf_token: str | UnsetType = msgspec.field(name=CSRF_FIELD, default=UNSET)
