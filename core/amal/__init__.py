"""AMAL — case management for Auto Mutuo Aiuto Lavoro self-help groups.

The app factory is :func:`amal.app.create_app`."""
