"""Vachana STT v3: ``POST /stt/v3`` (rest), the realtime WebSocket (stream) and batch jobs (batch)."""
