"""The regional plugin for a county community's 四进访民情、六步促协商 (seed 004)."""
