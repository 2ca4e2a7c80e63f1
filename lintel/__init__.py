"""Shared foundations every layer may use: the declarative base and the clock."""
