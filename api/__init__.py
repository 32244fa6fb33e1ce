"""HTTP surfaces (FastAPI), built around a TranscriptionService. No Ray here."""

from sunvai.api.app import create_app

__all__ = ["create_app"]
