"""AMAL territory plugin for Lecco: the Valmadrera sportello of the Valoriamo project."""
