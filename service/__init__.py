"""The transcription service: configuration and the request flow shared by every surface.

No Ray here: the flow talks to ASR through :class:`service.backend.AsrBackend`,
which the ingress implements with deployment handles and tests implement with
in-process engines.
"""
