"""Core layer of Duet."""
