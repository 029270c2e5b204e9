"""The Lianyungang regional plugin."""
