#!/usr/bin/env bash
# Every benchmark behind docs/benchmarks.md, one after another on a quiet machine.
#   bash bench/run_all.sh [OUT_DIR] [NAME ...]   (default: bench-results/, ignored by git; names: only those)
# Each writes OUT_DIR/<name>.log, whose last line is its JSON result; at the end bench/report.py renders
# OUT_DIR/benchmarks.md, the file docs/benchmarks.md is a copy of.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
shift || true
ONLY=" $* "
mkdir -p "$OUT"
: > "$OUT/commands.tsv"
PY=.venv/bin/python
export RAY_AUTH_MODE=disabled RAY_USAGE_STATS_ENABLED=0 PYTHONUNBUFFERED=1
git rev-parse HEAD > "$OUT/commit"
date -u +%Y-%m-%d > "$OUT/date"
run() {
  local name=$1; shift
  [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $name "* ]] || return 0
  printf '%s\t%s\n' "$name" "${*/#$PY/.venv/bin/python}" >> "$OUT/commands.tsv"
  echo "== $name: $*"; local t=$SECONDS; "$@" > "$OUT/$name.log" 2>&1; echo "   rc $? in $((SECONDS - t)) s"
}
run engine_latency $PY -m bench.engine_latency --seconds 5 --runs 10
run overhead      $PY -m bench.overhead --lengths 2 5 15 30 --runs 10
run grpc_vs_rest  $PY -m bench.grpc_vs_rest --runs 30
run throughput    $PY -m bench.throughput --clients 1 2 4 8 --seconds 20
run peer          $PY -m bench.peer --setups default --clients 1 8
run stream_latency $PY -m bench.stream_latency --streams 1 2 4
run openai_realtime $PY -m bench.openai_realtime --rounds 6 --long-s 180
run itn_speed     $PY -m bench.itn_speed --sentences 4000
run model_store   $PY -m bench.model_store
run cold_start    $PY -m bench.cold_start
run longform_compare $PY -m bench.longform --minutes 3 --compare --repeats 4
run longform_hour $PY -m bench.longform --minutes 59
run longform_set  $PY -m bench.longform --set "$OUT/longform-set"
run batch_throughput $PY -m bench.batch_throughput --files 8 --minutes 1
run overload     $PY -m bench.overload --clients 200 --seconds 60 --max-concurrent 8
run diarization  $PY -m bench.diarization --rounds 3
run quality      $PY -m bench.quality
run lid_accuracy $PY -m bench.lid_accuracy --sentences 6 --all-ten-sentences 1
$PY -m bench.report "$OUT" > "$OUT/benchmarks.md" && echo "== $OUT/benchmarks.md written"
