"""The residents' door (社会征): topics submitted without an account,
rate-limited, each answered with a receipt the resident follows it by."""
