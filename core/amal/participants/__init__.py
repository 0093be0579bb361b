"""Participants: intake, lifecycle, duplicates, eligibility, transfer."""
