"""What every form of the pages does the same way.

* The browser posts ``application/x-www-form-urlencoded`` (or ``multipart/form-data`` with
  photos). :func:`read_form` gives its fields; empty inputs count as not filled in.
* The service is called inside a savepoint (:func:`attempt`): when it refuses the input, its
  bilingual field errors are shown beside the fields, the typed values stay in the form, and
  nothing it may have written survives.
* Each rendered form carries a one-time token (``_once``): the first submission records it
  with where its answer went (:class:`core.models.submission.FormSubmission`); a second
  submission of the same form is sent there too, so a double click makes one record.
* The CSRF field (``_csrf``) is checked by :mod:`core.security.csrf` before the handler runs.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.i18n import Language
from admin_ui.web import see_other
from core.authz.principal import Principal
from core.errors import ApiError
from core.models.submission import FormSubmission
from core.security.csrf import CSRF_FIELD

ONCE_FIELD = "_once"
# Fields of every form that are not the service's input.
_CONTROL_FIELDS = frozenset({CSRF_FIELD, ONCE_FIELD})


def new_once_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Form:
    """The submitted fields: ``text(name)``, ``texts(name)`` (repeated inputs), ``files(name)``."""

    fields: dict[str, list[Any]] = field(default_factory=dict)

    def text(self, name: str) -> str:
        values = [v for v in self.fields.get(name, []) if isinstance(v, str)]
        return values[0].strip() if values else ""

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if isinstance(v, str) and v.strip()]

    def files(self, name: str) -> list[UploadFile]:
        return [v for v in self.fields.get(name, []) if isinstance(v, UploadFile) and v.filename]

    def filled(self, *names: str, lists: Iterable[str] = ()) -> dict[str, Any]:
        """The named fields that were filled in: text for each of ``names``, lists for ``lists``."""
        out: dict[str, Any] = {}
        for name in names:
            if value := self.text(name):
                out[name] = value
        for name in lists:
            if values := self.texts(name):
                out[name] = values
        return out

    @property
    def once(self) -> str:
        return self.text(ONCE_FIELD)

    def values(self) -> dict[str, Any]:
        """What the form shows again after a refusal: the typed values, lists as lists."""
        return {k: (v[0] if len(v) == 1 else v) for k, v in self.fields.items()
                if k not in _CONTROL_FIELDS and all(isinstance(x, str) for x in v)}


async def read_form(request: Request) -> Form:
    form = await request.form()
    fields: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        fields.setdefault(key, []).append(value)
    return Form(fields)


@dataclass
class FormErrors:
    """A refusal as the page shows it: a message on top and one beside each named field."""

    message: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, err: ApiError, lang: Language) -> "FormErrors":
        by_field: dict[str, str] = {}
        for f in err.fields:
            text = f.message_en if lang.english else f.message_zh
            # "participants[0].name" is shown beside "participants".
            name = f.field.split("[", 1)[0].split(".", 1)[0]
            by_field[name] = f"{by_field[name]}；{text}" if name in by_field else text
        return cls(err.message_en if lang.english else err.message_zh, by_field)

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@asynccontextmanager
async def attempt(db: AsyncSession):
    """Run a service call so that, if it refuses, nothing it wrote is kept (the request's
    transaction goes on, e.g. to render the form again)."""
    savepoint = await db.begin_nested()
    try:
        yield
    except BaseException:
        if savepoint.is_active:
            await savepoint.rollback()
        raise
    else:
        if savepoint.is_active:
            await savepoint.commit()


async def earlier_answer(db: AsyncSession, form: Form) -> Redirect | None:
    """Where the first submission of this form went, if this is a second one."""
    if not form.once:
        return None
    location = await db.scalar(select(FormSubmission.location).where(FormSubmission.token == form.once))
    return see_other(location or "/") if location is not None else None


async def accepted(db: AsyncSession, form: Form, principal: Principal | None, location: str,
                   flash: str | None = None) -> Redirect:
    """Record the form's token with where its answer goes, then send the browser there (303).

    Two submissions racing past :func:`earlier_answer` meet here: the token is the table's
    key, so the second's insert fails and its whole transaction (the duplicate record with
    it) is rolled back by the caller's error handler; :class:`DuplicateSubmission` says so.
    """
    if form.once:
        db.add(FormSubmission(token=form.once[:64], user_id=principal.user_id if principal else None,
                              location=location))
        try:
            await db.flush()
        except IntegrityError:
            raise DuplicateSubmission(location) from None
    return see_other(location, flash)


# Refusals that are not about the form's fields: the login page or the error page shows them.
NOT_THE_FORMS_FAULT = (401, 404)


async def submit_form(db: AsyncSession, form: Form, principal: Principal | None, work: Callable[[], Awaitable[str]],
                      refused: Callable[[ApiError], Awaitable[Any]], *, flash: str | None = None,
                      raised: tuple[int, ...] = NOT_THE_FORMS_FAULT) -> Any:
    """What every form's POST does once :func:`earlier_answer` has let it through: ``work()`` (the
    service call; it answers where the browser goes next) inside :func:`attempt`; on a refusal
    whose status is not in ``raised``, the page ``refused(err)`` renders (its errors beside the
    fields); else :func:`accepted`."""
    try:
        async with attempt(db):
            location = await work()
    except ApiError as err:
        if err.status_code in raised:
            raise
        return await refused(err)
    return await accepted(db, form, principal, location, flash)


class DuplicateSubmission(Exception):
    """The same form was accepted by a concurrent request: this one's writes are dropped."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


def duplicate_submission(request: Request, exc: DuplicateSubmission) -> Redirect:
    return see_other(exc.location)
