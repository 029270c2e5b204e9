"""Tests of the jinchang plugin."""
