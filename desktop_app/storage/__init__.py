"""Storage layer of Duet."""
