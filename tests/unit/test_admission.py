"""Admission control's Retry-After (api/admission.py): sized to the crowd, with jitter, bounded."""

from __future__ import annotations

import random

import pytest

from sunvai.api.admission import MAX_RETRY_S, AdmissionControl
from sunvai.errors import Overloaded


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def refuse(control: AdmissionControl) -> int:
    with pytest.raises(Overloaded) as refused:
        control.admit()
    return refused.value.retry_after_s


def test_limit_and_release():
    control = AdmissionControl(2, Clock(), random.Random(0))
    control.admit()
    control.admit()
    refuse(control)
    control.release()
    control.admit()
    assert control.in_flight == 2


def test_a_lone_client_hears_a_short_wait_and_a_crowd_a_long_one():
    clock = Clock()
    control = AdmissionControl(4, clock, random.Random(0))
    for _ in range(4):
        control.admit()
    for _ in range(40):  # the server finishes 4 requests a second
        control.release()
        control.admit()
        clock.now += 0.25
    lone = refuse(control)
    assert 1 <= lone <= 2  # 4 in flight at 4 a second
    waits = []
    for _ in range(10):  # then 200 clients are refused within a second, then come back as told
        for _ in range(200):
            waits.append(refuse(control))
        clock.now += 1
    assert max(waits) <= MAX_RETRY_S and sorted(waits)[len(waits) // 2] >= 20
    assert len(set(waits[-200:])) > 5  # jittered: they do not all return together


def test_no_completions_yet_is_not_a_division_by_zero():
    control = AdmissionControl(1, Clock(), random.Random(0))
    control.admit()
    assert 1 <= refuse(control) <= 3
