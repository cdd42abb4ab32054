"""The activity part of Duet's window: what customers did (replies, opt-outs...)."""
