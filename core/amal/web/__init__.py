"""The staff web app's shared plumbing (setup, request context, labels, error
messages) and its core pages (:mod:`amal.web.pages`, :mod:`amal.web.dashboard`).
Kept empty so importing any of them does not import the others."""
