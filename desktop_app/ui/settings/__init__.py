"""The settings part of Duet's window."""
