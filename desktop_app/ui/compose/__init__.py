"""The compose part of Duet's window."""
