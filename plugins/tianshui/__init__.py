"""The Tianshui regional plugin."""
