"""Figures for a region's subtree, read from per-region totals kept as topics change."""
