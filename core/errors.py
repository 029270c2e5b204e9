"""Errors a client can cause, and how they are answered.

Every answer to bad input has the same shape, in Chinese and English, with
one entry per offending field::

    {"error": {"code": "validation_failed", "message": "...",
               "message_zh": "...", "message_en": "...",
               "fields": [{"field": "username", "message_zh": "...", "message_en": "..."}]}}

``message`` is in the language the client asked for (``Accept-Language``),
Chinese by default.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("yishi.errors")


@dataclass
class FieldError:
    field: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass
class ApiError(Exception):
    status_code: int
    code: str
    message_zh: str
    message_en: str
    fields: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


def validation_failed(*fields: FieldError, zh: str = "提交的数据有误", en: str = "the request has invalid fields") -> ApiError:
    return ApiError(400, "validation_failed", zh, en, list(fields))


def not_found(what_zh: str = "资源", what_en: str = "resource") -> ApiError:
    # Same words whether the object is missing or merely out of the caller's
    # reach: existence is not leaked.
    return ApiError(404, "not_found", f"{what_zh}不存在", f"{what_en} not found")


def forbidden(zh: str = "无权执行此操作", en: str = "you may not do this") -> ApiError:
    return ApiError(403, "forbidden", zh, en)


def unauthorized(zh: str = "请先登录", en: str = "login required") -> ApiError:
    return ApiError(401, "unauthorized", zh, en)


def conflict(code: str, zh: str, en: str) -> ApiError:
    return ApiError(409, code, zh, en)


def prefers_english(request: Request) -> bool:
    lang = request.headers.get("accept-language", "")
    first = lang.split(",", 1)[0].strip().lower()
    return first.startswith("en")


def error_body(err: ApiError, english: bool) -> dict:
    return {
        "error": {
            "code": err.code,
            "message": err.message_en if english else err.message_zh,
            "message_zh": err.message_zh,
            "message_en": err.message_en,
            "fields": [f.as_dict() for f in err.fields],
        }
    }


def _respond(request: Request, err: ApiError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if err.status_code == 401 else None
    return Response(error_body(err, prefers_english(request)), status_code=err.status_code,
                    media_type=MediaType.JSON, headers=headers)


def handle_api_error(request: Request, exc: ApiError) -> Response:
    return _respond(request, exc)


_MISSING = re.compile(r"Object missing required field `([^`]+)`(?: - at `\$\.?([^`]*)`)?")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`(?: - at `\$\.?([^`]*)`)?")
_WRONG_TYPE = re.compile(r"Expected `([^`]+)`, got `([^`]+)`(?: - at `\$\.?([^`]*)`)?")
_BAD_TIME = re.compile(r"Invalid RFC3339 encoded (date|datetime|time)")
_TYPE_ZH = {"str": "文本", "int": "整数", "float": "数字", "bool": "布尔值", "array": "列表", "object": "对象",
            "null": "空值"}
_TIME_WORDS = {"date": ("日期", "a date", "2024-06-30"),
               "datetime": ("日期时间", "a date and time", "2024-05-01T19:30:00+08:00"),
               "time": ("时间", "a time", "19:30:00")}
# Litestar names the root of a body after the handler's parameter; errors there are the body's own.
_BODY_PARAM = "data"
# The steps of a path as Litestar writes it: ``present[0].member_id``, ``parties[...]``.
_PATH_STEP = re.compile(r"\[(?:\d+|\.\.\.)\]|[^.\[\]]+")


def unknown_field(name: str, known: Sequence[str] = ()) -> FieldError:
    """A field the form does not have, with the fields it does have when they are known."""
    if not known:
        return FieldError(name, f"未知字段“{name}”", f"unknown field '{name}'")
    return FieldError(name, f"未知字段“{name}”，可用字段：{'、'.join(known)}",
                      f"unknown field '{name}'; the fields are: {', '.join(known)}")


def _form_fields(form: Any, path: str) -> tuple[str, ...]:
    """The fields of the form (a msgspec Struct) at ``path`` of a body decoded as ``form``; () if none is known."""
    def step_into(info: Any, step: str | None) -> Any:
        if isinstance(info, msgspec.inspect.Metadata):
            return step_into(info.type, step)
        if isinstance(info, msgspec.inspect.UnionType):
            return next((found for member in info.types if (found := step_into(member, step)) is not None), None)
        if step is None:
            return info if isinstance(info, msgspec.inspect.StructType) else None
        if step == "[...]":
            return info.value_type if isinstance(info, msgspec.inspect.DictType) else None
        if step.startswith("["):
            return info.item_type if isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.VarTupleType,
                                                       msgspec.inspect.SetType)) else None
        if isinstance(info, msgspec.inspect.StructType):
            return next((f.type for f in info.fields if f.encode_name == step), None)
        return None

    try:
        info = msgspec.inspect.type_info(form)
    except (TypeError, ValueError):  # not a type msgspec describes
        return ()
    for step in [*_PATH_STEP.findall(path), None]:
        if info is None:
            return ()
        info = step_into(info, step)
    return tuple(f.encode_name for f in info.fields) if info is not None else ()


def _field_error(detail: dict, fields_at: Callable[[str], tuple[str, ...]] = lambda path: ()) -> FieldError:
    """Turn a decoder's message into words for the person who filled the form.

    ``fields_at(path)`` lists the fields of the form at that path of the body, for an unknown field's message.
    """
    message = str(detail.get("message", ""))
    key = str(detail.get("key") or "")
    at_root = detail.get("source") == "body" and key == _BODY_PARAM
    at = "" if at_root else key
    fallback = at or str(detail.get("source") or "body")
    if at_root and message == repr(_BODY_PARAM):
        # What Litestar says of a required body that was not sent at all.
        return FieldError("body", "请提交请求内容（JSON 对象）", "the request body is required (a JSON object)")
    if m := _MISSING.search(message):
        name = ".".join(p for p in ((m.group(2) or at), m.group(1)) if p)
        return FieldError(name, f"缺少必填字段“{name}”", f"field '{name}' is required")
    if m := _UNKNOWN.search(message):
        where = m.group(2) or at
        name = ".".join(p for p in (where, m.group(1)) if p)
        return unknown_field(name, fields_at(where))
    if m := _WRONG_TYPE.search(message):
        want, got, path = m.group(1), m.group(2), m.group(3) or fallback
        want_zh = _TYPE_ZH.get(want.split(" ")[0], want)
        return FieldError(path, f"字段“{path}”应为{want_zh}", f"field '{path}' must be {want}, got {got}")
    if m := _BAD_TIME.search(message):
        zh, en, example = _TIME_WORDS[m.group(1)]
        return FieldError(fallback, f"字段“{fallback}”应为{zh}，如 {example}",
                          f"field '{fallback}' must be {en} such as {example}")
    return FieldError(fallback, f"字段“{fallback}”无效：{message}", f"field '{fallback}' is invalid: {message}")


def typed(payload: Any, form: type) -> Any:
    """``payload`` (a mapping of plain values, e.g. a page's form) as the typed ``form``, or a 400
    naming the field in both languages, as a JSON body decoded by a route would be answered."""
    try:
        return msgspec.convert(payload, form, strict=False)
    except msgspec.ValidationError as exc:
        detail = {"message": str(exc), "key": "", "source": "body"}
        raise validation_failed(_field_error(detail, lambda path: _form_fields(form, path))) from None


def handle_validation(request: Request, exc: ValidationException) -> Response:
    handler = request.scope.get("route_handler")
    body = getattr(handler, "parsed_data_field", None)

    def fields_at(path: str) -> tuple[str, ...]:
        return _form_fields(body.annotation, path) if body is not None else ()

    fields = [_field_error(detail, fields_at) for detail in exc.extra or [] if isinstance(detail, dict)]
    if not fields:
        fields.append(FieldError("body", f"请求内容无效：{exc.detail}", f"invalid request: {exc.detail}"))
    return _respond(request, validation_failed(*fields))


def handle_http(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotFoundException):
        err = not_found("页面或资源", "page or resource")
    elif isinstance(exc, NotAuthorizedException):
        err = unauthorized()
    elif exc.status_code == 405:
        err = ApiError(405, "method_not_allowed", "不支持此请求方法", "method not allowed")
    elif exc.status_code == 413:
        err = ApiError(413, "too_large", "请求内容过大", "request body too large")
    elif exc.status_code == 429:
        err = ApiError(429, "rate_limited", "请求过于频繁，请稍后再试", "too many requests, try again later")
    elif exc.status_code < 500:
        err = ApiError(exc.status_code, "bad_request", f"请求无效：{exc.detail}", f"bad request: {exc.detail}")
    else:
        err = ApiError(exc.status_code, "server_error", "服务器内部错误", "internal server error")
    return _respond(request, err)


# Seconds a client is told to wait while the database is unreachable (our default: a
# PostgreSQL restart takes a few seconds).
DATABASE_RETRY_AFTER = 5


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached right now.

    A refused or dropped connection, a server starting up or shutting down,
    SQLite busy past its timeout: the request may succeed if tried again, so it
    is a 503, not a 500. Constraint and programming errors are not among them.
    """
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError)):
            return False
        if isinstance(exc, (OSError, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)):
            return True
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        if type(exc).__module__.startswith("asyncpg") and type(exc).__name__ in (
                "CannotConnectNowError", "ConnectionDoesNotExistError", "ConnectionFailureError",
                "AdminShutdownError", "CrashShutdownError", "TooManyConnectionsError"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def handle_unexpected(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        err = ApiError(503, "database_unavailable", "数据库暂时无法访问，请稍后重试",
                       "the database is unavailable for the moment, try again shortly")
        response = _respond(request, err)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    err = ApiError(HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "服务器内部错误，已记录", "internal server error, logged")
    return _respond(request, err)


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
