"""Providers layer of Duet."""
