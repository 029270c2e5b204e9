"""Yishi (议事) core: regions, accounts, authorization, plugins, jobs."""
