"""The audit trail: ``record`` every change, ``verify`` the hash chain."""
from core.audit.service import VerifyReport, record, verify

__all__ = ["VerifyReport", "record", "verify"]
