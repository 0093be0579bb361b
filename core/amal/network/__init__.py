"""The network coordination group of a project."""
