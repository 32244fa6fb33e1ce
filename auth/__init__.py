"""API keys: created and revoked by the operator (``sunvai keys``), checked on every surface.

keys.py: the key format, hashing and the store; limits.py: per-key rate limits;
access.py: what every surface calls (``AccessControl``). No Ray here: deployments/limits.py
shares one limiter among the ingress replicas.
"""
