"""Generic widgets that know nothing about Duet."""
