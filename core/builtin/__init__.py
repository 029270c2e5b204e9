"""The core's own behaviour, registered as plugins (trylast, so regions win)."""
from core.builtin import housekeeping, platform

BUILTIN_PLUGINS = [platform, housekeeping]
