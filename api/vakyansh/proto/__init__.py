"""The Vakyansh proto and its generated stubs (``make protos`` regenerates them)."""
