"""A route reads its body in the one encoding it declares, and refuses any other with 415.

Litestar decodes a ``data`` body as JSON whatever the request's Content-Type says, so a
plain HTML form (``enctype=text/plain``, which a browser sends cross-site without asking)
could pass for a JSON call. Here the declared media type of ``data`` is compared with the
request's; routes that declare multipart (attachments) keep taking multipart.
"""
from __future__ import annotations

from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import BodyKwarg

from core.errors import ApiError, FieldError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# What each declared encoding accepts on the wire, besides ``application/*+json`` for JSON.
_JSON = RequestEncodingType.JSON.value
_ACCEPTED = {
    _JSON: frozenset({"application/json"}),
    RequestEncodingType.MULTI_PART.value: frozenset({"multipart/form-data"}),
    RequestEncodingType.URL_ENCODED.value: frozenset({"application/x-www-form-urlencoded"}),
    RequestEncodingType.MESSAGEPACK.value: frozenset({"application/x-msgpack", "application/vnd.msgpack"}),
}


def expected_body_type(handler: BaseRouteHandler) -> str | None:
    """The media type the handler's ``data`` parameter is decoded as; None: it reads no body."""
    data = getattr(handler, "parsed_data_field", None)
    if data is None:
        return None
    kwarg = data.kwarg_definition
    media_type = kwarg.media_type if isinstance(kwarg, BodyKwarg) else _JSON
    return media_type.value if isinstance(media_type, RequestEncodingType) else str(media_type)


def _accepts(expected: str, content_type: str) -> bool:
    if content_type in _ACCEPTED.get(expected, frozenset({expected})):
        return True
    return expected == _JSON and content_type.startswith("application/") and content_type.endswith("+json")


def has_body(headers) -> bool:
    length = headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in headers


def media_type_of(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def unsupported_media_type(expected: str) -> ApiError:
    return ApiError(415, "unsupported_media_type",
                    f"请求内容类型不受支持，应为 {expected}", f"unsupported request content type: send {expected}",
                    [FieldError("Content-Type", f"请求头 Content-Type 应为 {expected}",
                                f"the Content-Type header must be {expected}")])


def check_content_type(method: str, headers, handler: BaseRouteHandler) -> None:
    """Raise 415 when an unsafe request carries a body in another encoding than the route reads.

    An empty body passes: routes whose data is optional take "no body" as no input.
    """
    if method not in UNSAFE_METHODS or not has_body(headers):
        return
    expected = expected_body_type(handler)
    if expected is None:
        return
    if not _accepts(expected, media_type_of(headers.get("content-type"))):
        raise unsupported_media_type(expected)
