"""Placeholder: the handler of this module's kinds is written next (see kinds/__init__.py)."""
