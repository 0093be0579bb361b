"""Staff accounts and their roles per territory."""
