"""Tenant (city) provisioning from declarative files in ``tenants/``."""
