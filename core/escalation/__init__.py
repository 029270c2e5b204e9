"""Escalation upward (上移), joint meetings' invitees, upward reports and
similar topics of sibling communities. See ``service`` and ``similarity``."""
