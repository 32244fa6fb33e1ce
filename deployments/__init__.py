"""Thin Ray Serve wrappers around the plain-Python engines and the service."""
