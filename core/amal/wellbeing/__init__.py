"""Validated wellbeing instruments (WHO-5, Rosenberg), administrations, change."""
