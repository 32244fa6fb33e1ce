"""The batch backlog autoscaling policy, fed the context Serve gives it (a plain data object here)."""

from __future__ import annotations

from types import SimpleNamespace

from sunvai.deployments.batch import SCALE_DOWN_AFTER_S, batch_backlog_policy


def context(reports: dict, current: int, now: float, state: dict | None = None, low: int = 1, high: int = 4):
    return SimpleNamespace(aggregated_metrics={"batch_replicas_wanted": reports}, current_num_replicas=current,
                           capacity_adjusted_min_replicas=low, capacity_adjusted_max_replicas=high,
                           policy_state=state or {}, current_time=now)


def test_scales_up_at_once_to_the_largest_report_within_bounds():
    assert batch_backlog_policy(context({"a": 3.0, "b": 2.0}, 1, 0.0))[0] == 3
    assert batch_backlog_policy(context({"a": 30.0}, 1, 0.0))[0] == 4
    assert batch_backlog_policy(context({}, 1, 0.0))[0] == 1


def test_scales_down_only_after_a_quiet_minute():
    _, state = batch_backlog_policy(context({"a": 4.0}, 4, 100.0))
    assert batch_backlog_policy(context({"a": 0.0}, 4, 100.0 + SCALE_DOWN_AFTER_S / 2, state))[0] == 4
    assert batch_backlog_policy(context({"a": 0.0}, 4, 100.0 + SCALE_DOWN_AFTER_S + 1, state))[0] == 1
