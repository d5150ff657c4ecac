#!/usr/bin/env bash
# Issue 13's measurements of `simroute aggregate` (not a timed test; figures in
# README.md, "Logs at scale"): a 10,000,000-record Bedrock invocation log written
# by generate-log (support.toml's cascade policy, gzip, ~605 MB), aggregated with
# wall time and peak memory from GNU time; then support.toml simulated from the
# raw log (bootstrap) and from the aggregate, the figures compared field by field.
#
#   benches/aggregate_10m.sh [WORK_DIR] [THREADS]
#
# Needs GNU time (/usr/bin/time) and python3. The log is kept in WORK_DIR
# (default target/bench-aggregate) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/bench-aggregate}
threads=${2:-$(nproc)}
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/simroute
log=$work/log10m.jsonl.gz
if [ ! -s "$log" ]; then
    "$bin" generate-log scenarios/support.toml --records 10000000 --policy cascade \
        --gzip --force --out "$log"
fi
measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user, %M KB peak" "$@"
}
measure "aggregate ($threads threads)" "$bin" aggregate "$log" --threads "$threads" \
    --class-field requestMetadata.feature --force --out "$work/agg10m.csv"
measure "run on the raw log" "$bin" run scenarios/support.toml --traffic-log "$log" \
    --class-field requestMetadata.feature --replay bootstrap --threads "$threads" \
    --format json > "$work/raw.json"
measure "run on the aggregate" "$bin" run scenarios/support.toml \
    --traffic-log "$work/agg10m.csv" --threads "$threads" --format json > "$work/agg.json"
python3 - "$work/raw.json" "$work/agg.json" <<'PY'
import json, sys
raw, agg = (json.load(open(p)) for p in sys.argv[1:3])
assert raw["as_logged"]["cost_per_request"] == agg["as_logged"]["cost_per_request"]
print(f"as logged: ${raw['as_logged']['cost_per_request']:.9f} a request, both")
def overlap(a, b):
    return a["ci_low"] <= b["ci_high"] and b["ci_low"] <= a["ci_high"]
for r, a in zip(raw["policies"], agg["policies"]):
    for name, x, y in [
        ("cost/request", r["cost_per_request"], a["cost_per_request"]),
        ("quality", r["quality"], a["quality"]),
        ("p95 e2e ms", r["e2e_latency_ms"]["p95"], a["e2e_latency_ms"]["p95"]),
    ]:
        ok = "CIs overlap" if overlap(x, y) else "CIs DISJOINT"
        print(f"{r['name']:20} {name:13} raw {x['mean']:.6g} [{x['ci_low']:.6g}, {x['ci_high']:.6g}]"
              f"  aggregate {y['mean']:.6g} [{y['ci_low']:.6g}, {y['ci_high']:.6g}]  {ok}")
PY
