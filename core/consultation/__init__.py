"""Research before consultation, consultation meetings and their outcomes (议前调研, 协商议事, 协商成果)."""
