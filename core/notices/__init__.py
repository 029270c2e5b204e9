"""Public notices (公示) of consultation results and residents' objections (异议)."""
