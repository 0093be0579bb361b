"""Territories (the unit of isolation) and their partners."""
