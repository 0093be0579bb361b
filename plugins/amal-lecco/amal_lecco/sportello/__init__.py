"""The Valmadrera help desk (sportello): where people first come in, by
appointment or walk-in. The worked example of a plugin with its own pages,
tables and migration branch (docs/plugins.md, section 7).

Strings are Italian in the code: the help desk exists only in Lecco.
"""
