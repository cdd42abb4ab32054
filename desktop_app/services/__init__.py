"""Services layer of Duet."""
