"""Authorization: roles granted at regions, casbin for role → action."""
