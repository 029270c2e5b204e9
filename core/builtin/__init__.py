"""The core's own behaviour, registered as plugins (trylast, so regions win)."""
from core.builtin import housekeeping, platform
from core.catalogue import generic as generic_catalogue
from core.consultation import plugin as consultation
from core.councils import default_rules
from core.escalation import plugin as escalation_plugin
from core.implementation import plugin as implementation_plugin
from core.notices import plugin as notices_plugin
from core.procedures import generic as generic_procedure

BUILTIN_PLUGINS = [platform, housekeeping, default_rules, generic_procedure, generic_catalogue,
                   consultation, escalation_plugin, notices_plugin, implementation_plugin]
