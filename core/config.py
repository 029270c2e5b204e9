"""Runtime configuration, read once from the environment.

Every knob has an embedded default so that a newcomer needs no server:
SQLite in ``./var`` and an in-process job worker.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / 'yishi.sqlite3').resolve()}"


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    broker_url: str | None
    token_ttl_hours: int = 12
    host: str = "127.0.0.1"
    port: int = 8000
    upload_dir: Path = field(default=Path("var/uploads"))
    # Peers whose X-Forwarded-For is believed (IPs or CIDRs); empty: the socket's address only.
    trusted_proxies: tuple[str, ...] = ()
    # Force the Secure flag on cookies (behind a TLS-terminating proxy the app sees plain http).
    secure_cookies: bool = False
    # HMAC key of the audit chain; None: read from (or generated into) the data directory.
    audit_key: str | None = None
    # How long a claimed outbox row may stay unfinished before another dispatcher takes it again.
    outbox_lease_seconds: int = 900
    # Argon2id cost of new password hashes (core.auth.passwords); our default is argon2-cffi's,
    # the RFC 9106 low-memory profile. A hash keeps its own parameters, so older ones still verify.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    password_hash_parallelism: int = 4
    # How long an idle job worker thread waits for a message before looking again (ms):
    # what stopping an idle worker costs, and how often it polls the broker.
    job_worker_poll_ms: int = 1000
    # How long a process may answer from memory who a session token stands for (core.auth.principal_cache).
    principal_cache_seconds: float = 5.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_broker(self) -> bool:
        return not self.broker_url

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        data_dir = Path(os.environ.get("YISHI_DATA_DIR", "var"))
        values = dict(
            data_dir=data_dir,
            database_url=os.environ.get("YISHI_DATABASE_URL") or _default_database_url(data_dir),
            broker_url=os.environ.get("YISHI_BROKER_URL") or None,
            token_ttl_hours=int(os.environ.get("YISHI_TOKEN_TTL_HOURS", "12")),
            host=os.environ.get("YISHI_HOST", "127.0.0.1"),
            port=int(os.environ.get("YISHI_PORT", "8000")),
            upload_dir=Path(os.environ.get("YISHI_UPLOAD_DIR", str(data_dir / "uploads"))),
            trusted_proxies=_csv(os.environ.get("YISHI_TRUSTED_PROXIES", "")),
            secure_cookies=os.environ.get("YISHI_SECURE_COOKIES", "") in ("1", "true", "yes"),
            audit_key=os.environ.get("YISHI_AUDIT_KEY") or None,
            outbox_lease_seconds=int(os.environ.get("YISHI_OUTBOX_LEASE_SECONDS", "900")),
            password_hash_time_cost=int(os.environ.get("YISHI_PASSWORD_HASH_TIME_COST", "3")),
            password_hash_memory_kib=int(os.environ.get("YISHI_PASSWORD_HASH_MEMORY_KIB", "65536")),
            password_hash_parallelism=int(os.environ.get("YISHI_PASSWORD_HASH_PARALLELISM", "4")),
            job_worker_poll_ms=int(os.environ.get("YISHI_JOB_WORKER_POLL_MS", "1000")),
            principal_cache_seconds=float(os.environ.get("YISHI_PRINCIPAL_CACHE_SECONDS", "5")),
        )
        values.update(overrides)
        return cls(**values)
