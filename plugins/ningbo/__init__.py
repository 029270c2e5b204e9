"""The Ningbo regional plugin."""
