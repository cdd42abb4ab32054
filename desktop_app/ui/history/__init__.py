"""The history part of Duet's window."""
