"""Batch jobs (Vachana's batch API): a persisted job store, file storage, and the worker loop.

Plain Python: the Serve deployment that runs the worker lives in :mod:`deployments.batch`.
"""
