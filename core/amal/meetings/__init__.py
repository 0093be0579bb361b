"""Meetings, plan generation around holidays, attendance registers."""
