"""The ``sunvai`` command line: a client of a running server (plus ``sunvai serve`` to run one)."""
