"""The Jinchang regional plugin."""
