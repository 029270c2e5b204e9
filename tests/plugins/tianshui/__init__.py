"""Tests of the tianshui plugin."""
