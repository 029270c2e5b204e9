"""Tests of the lianyungang plugin."""
