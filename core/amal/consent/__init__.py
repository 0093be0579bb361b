"""GDPR: privacy notices, consent records, right of access and erasure."""
