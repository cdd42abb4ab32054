"""Duet: paired SMS and email for small shops, kept on the shop's own PC."""

__version__ = "0.1.0"
