"""Tests of the four_visits_six_steps plugin (seed 004)."""
