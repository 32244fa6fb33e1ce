"""Errors the ASR layer raises; the API layer maps them to statuses."""


class ModelUnavailableError(RuntimeError):
    """A model reference cannot be resolved to usable weights on this machine."""


class ModelIntegrityError(ModelUnavailableError):
    """Model files exist but do not match their recorded checksum."""
