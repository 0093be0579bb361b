"""Projects: what a funder pays for in a territory (dates, funders, targets)."""
