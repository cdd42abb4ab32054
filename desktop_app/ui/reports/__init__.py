"""The reports part of Duet's window."""
