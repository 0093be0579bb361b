"""Funding reports: periods, indicators, rule checks and the files funders receive."""
