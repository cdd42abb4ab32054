"""Speed and memory measurements, run on demand (see README.md)."""
