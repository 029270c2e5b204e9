"""Tests of the ningbo plugin."""
