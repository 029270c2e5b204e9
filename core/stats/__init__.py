"""Figures for a region's subtree, each computed by the database."""
