"""The region tree: import, lookup, subtree queries."""
