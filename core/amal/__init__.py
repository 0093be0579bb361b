"""AMAL — case management for Auto Mutuo Aiuto Lavoro self-help groups."""

from amal.app import create_app

__all__ = ["create_app"]
