"""Charts layer of Duet."""
