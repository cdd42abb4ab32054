"""The contacts part of Duet's window."""
