"""The templates part of Duet's window."""
