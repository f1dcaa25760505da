"""Reflection Coach: grounded feedback for managers, from a curated corpus on management and leadership."""

__version__ = "0.1.0"
