"""The append-only audit log of personal-data access and changes."""
