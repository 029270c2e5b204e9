"""How ``record`` and ``verify`` reach the key: through the session's ``info``.

Services call ``record(session, …)`` with nothing but a session, so the
runtime puts the key and the checkpoint file's path into every session it
makes (``core.runtime.Runtime.build``), as it does for the plugin host.
A session made any other way has neither, and auditing through it fails
loudly instead of writing entries nobody could verify.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.checkpoint import checkpoint_path
from core.audit.key import AuditKey, load_audit_key
from core.config import Config

AUDIT_KEY_INFO_KEY = "yishi.audit_key"
CHECKPOINTS_INFO_KEY = "yishi.audit_checkpoints"


def audit_session_info(config: Config) -> dict:
    """The ``info`` entries every session needs; loads (or first generates) the key."""
    return {AUDIT_KEY_INFO_KEY: load_audit_key(config), CHECKPOINTS_INFO_KEY: checkpoint_path(config.data_dir)}


def session_key(session: AsyncSession) -> AuditKey:
    key = session.info.get(AUDIT_KEY_INFO_KEY)
    if not isinstance(key, AuditKey):
        raise RuntimeError("this session carries no audit key; make sessions with core.runtime.Runtime "
                           "(Runtime.build puts the key into session.info)")
    return key


def session_checkpoints(session: AsyncSession) -> Path:
    path = session.info.get(CHECKPOINTS_INFO_KEY)
    if path is None:
        raise RuntimeError("this session carries no checkpoint file; make sessions with core.runtime.Runtime")
    return path
