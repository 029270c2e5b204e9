"""Councils (协商议事会): terms, members and the composition rules plugins impose."""
