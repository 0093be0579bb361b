"""Employment outcomes at the end of the path and at follow-up."""
