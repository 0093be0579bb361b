"""AMAL territory plugin for the Provincia di Monza e Brianza pilot."""
