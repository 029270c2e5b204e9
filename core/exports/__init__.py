"""The 台账 (ledger) export: a region's records for a period as Excel and CSV."""
