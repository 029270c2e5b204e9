"""Tests of the regional plugins, one folder per plugin."""
