"""Accounts, passwords, login tokens."""
