"""Ui layer of Duet."""
