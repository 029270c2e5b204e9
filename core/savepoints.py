"""Where a change made in a session belongs when savepoints may roll back alone.

Work that a session keeps aside until commit (the per-region totals, the
audit chain's tip) is tagged with the innermost transaction open when it was
made, its *frame*; when a savepoint rolls back, what was tagged inside it is
forgotten, and what belongs to the enclosing transactions stays.
"""
from __future__ import annotations

from sqlalchemy.orm import Session, SessionTransaction

# Work done outside any savepoint.
ROOT = "root"

Frame = SessionTransaction | str


def frame_of(session: Session) -> Frame:
    """The innermost savepoint (it may still roll back alone), else the transaction itself."""
    return session.get_nested_transaction() or ROOT


def began_within(frame: Frame, outer: SessionTransaction) -> bool:
    """Whether ``frame`` is ``outer`` or was begun inside it."""
    while isinstance(frame, SessionTransaction):
        if frame is outer:
            return True
        frame = frame.parent
    return False
