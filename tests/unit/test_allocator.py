"""The ASR replica's allocator check (deployments/allocator.py), in child processes with and without the preload.

The real graph's replica is checked in tests/serve/test_serve.py (test_asr_replica_reuses_its_memory)."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = ("import logging; logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s'); "
         "from sunvai.deployments.allocator import check_preloaded_allocator; print(check_preloaded_allocator())")


def run_check(preload: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LD_PRELOAD": preload}
    return subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=60)


def test_preloaded_tcmalloc_is_reported():
    result = run_check("libtcmalloc_minimal.so.4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tcmalloc"
    assert "INFO memory allocator: tcmalloc" in result.stderr


def test_a_preload_that_did_not_load_warns_with_the_fix():
    """The dynamic loader skips a library it cannot find (one line on stderr); the replica's log says what to do."""
    result = run_check("libtcmalloc_minimal.so.0-not-installed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"
    assert "WARNING LD_PRELOAD names tcmalloc but it is not loaded" in result.stderr
    assert "apt-get install libtcmalloc-minimal4" in result.stderr


def test_no_preload_is_the_c_library_and_quiet():
    result = run_check("")
    assert result.stdout.strip() == "None" and "WARNING" not in result.stderr and "allocator" not in result.stderr
