#!/usr/bin/env python3
"""Do simroute's 95% intervals cover? A benchmark, not a test (issue 9, section 6).

Runs the closed-form scenarios of benches/coverage/ (taken from tests/engine.rs)
over many seeds and reports, for each figure, how often the reported 95% interval
contains the value computed in closed form. The goal is 95% +- 1.4% for each
(about two binomial standard errors of a coverage measured on 1,000 seeds).

    python3 benches/coverage.py                 # 1,000 seeds, one process at a time
    python3 benches/coverage.py --quick         # 100 seeds: a smoke run (SE 2.2%)
    python3 benches/coverage.py --jobs 2        # two simroute processes at once
    python3 benches/coverage.py --markdown      # the table as Markdown (README)
    python3 benches/coverage.py --only latency --requests 20000   # a diagnostic

Each seed runs `simroute run SCENARIO --seed N --format json --threads 1` on every
scenario. The eval scenario (eval-cascade.toml) gets a NEW 40-example eval set for
every seed, drawn from a known population and written as a CSV to a temporary
folder: its bootstrap intervals claim to cover the population's values (what the
policy would do on the population the examples come from), not the eval's own pass
rates, so the eval itself must be redrawn for coverage to mean anything.

The closed forms are computed here, from the scenario parameters restated below
(keep them in step with the .toml files):
  - cascades: the binormal confidence model (scenarios/README.md, section 4.3);
  - lognormal tokens: the exact expectation of the engine's draw, rounded to the
    nearest whole token and floored (output at least 1), summed term by term;
  - latency: ttft + 1000*out/tps with ttft and tps independent lognormals; the
    true quantiles of that sum by numerical integration of the convolution
    (Simpson's rule, checked by halving the step) and bisection, to far better
    than 1e-6 relative;
  - eval: the population's pass rates and the binormal confidence.

Only the Python standard library is used. The simroute binary is built in release
mode first (`cargo build --release`), unless --bin names one.

Why a script and not a cargo bench: it tests what a user gets, the release CLI's
JSON, end to end (parsing, validation, the eval CSV reader, the engine and the
summary), it writes a new eval file per seed as a team would, and its closed
forms need nothing but the standard library; a benchmark target would add a
build and test the library from the inside.
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from statistics import NormalDist

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCEN = os.path.join(HERE, "coverage")
N01 = NormalDist()
PHI, PHI_INV = N01.cdf, N01.inv_cdf
Z95 = PHI_INV(0.95)

# The two prices of benches/coverage/pricing.toml, for 1000 input + 100 output tokens.
SMALL = (1000 * 1.0 + 100 * 2.0) / 1e6  # $0.0012
LARGE = (1000 * 10.0 + 100 * 20.0) / 1e6  # $0.012


def logistic(sharpness, skill, d):
    return 1.0 / (1.0 + math.exp(-sharpness * (skill - d)))


def half_mu(auc):
    """h = mu/2 of the binormal model, mu = sqrt(2)*Phi^-1(auc)."""
    return math.sqrt(2.0) * PHI_INV(auc) / 2.0


def lognormal(median, p95):
    """(mu, sigma) of the lognormal with this median and 95th percentile."""
    return math.log(median), math.log(p95 / median) / Z95


# ---------------------------------------------------------------------------
# Closed forms


def survival(x, mu, sigma):
    """P(X >= x) for X lognormal(mu, sigma)."""
    if x <= 0:
        return 1.0
    return 0.5 * math.erfc((math.log(x) - mu) / (sigma * math.sqrt(2.0)))


def rounded_mean(mu, sigma, floor):
    """E[max(floor, round(X))], X lognormal(mu, sigma), rounding halves up as the
    engine does ((x + 0.5) truncated): round(X) >= k iff X >= k - 0.5, so
    E = floor + sum over k > floor of P(X >= k - 0.5). The sum runs until the
    terms are below 1e-17 of the total; the tail beyond K is bounded by
    E[(X - K + 1)+], which is added (it is below 1e-12 of the mean)."""
    total = float(floor)
    k = floor + 1
    while True:
        s = survival(k - 0.5, mu, sigma)
        total += s
        if s < 1e-17 * total and k > math.exp(mu):
            break
        k += 1
    # Tail: sum_{j > k} P(X >= j - 0.5) <= E[(X - k + 0.5)+] (Black-Scholes form).
    K = k - 0.5
    d = (math.log(K) - mu) / sigma
    tail = math.exp(mu + sigma * sigma / 2) * PHI(sigma - d) - K * PHI(-d)
    return total + max(tail, 0.0)


def simpson(f, a, b, n):
    n += n % 2
    h = (b - a) / n
    s = f(a) + f(b)
    for i in range(1, n):
        s += (4 if i % 2 else 2) * f(a + i * h)
    return s * h / 3


def sum_lognormal_cdf(x, a, b, n=2000):
    """P(A + B <= x), A and B independent lognormals a = (mu, sigma), b likewise:
    the integral over z of phi(z) * P(B <= x - exp(mu_a + sigma_a z)) for
    exp(mu_a + sigma_a z) < x."""
    (ma, sa), (mb, sb) = a, b
    zmax = (math.log(x) - ma) / sa
    zmin = min(-12.0, zmax - 1.0)

    def f(z):
        rest = x - math.exp(ma + sa * z)
        if rest <= 0:
            return 0.0
        return N01.pdf(z) * PHI((math.log(rest) - mb) / sb)

    return simpson(f, zmin, zmax, n)


def sum_lognormal_quantile(q, a, b):
    """The q-quantile of A + B, by bisection on the integrated CDF. The CDF's
    integration error is checked against twice as many points."""
    lo = math.exp(a[0]) + math.exp(b[0]) * 0.1
    hi = lo
    while sum_lognormal_cdf(hi, a, b) < q:
        hi *= 2
    while sum_lognormal_cdf(lo, a, b) > q:
        lo /= 2
    while hi - lo > 1e-10 * hi:
        mid = (lo + hi) / 2
        if sum_lognormal_cdf(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
    x = (lo + hi) / 2
    err = abs(sum_lognormal_cdf(x, a, b, 4000) - sum_lognormal_cdf(x, a, b, 2000))
    assert err < 1e-11, f"CDF integration error {err} at {x}"
    return x


def closed_forms():
    """{scenario: {figure: value}}; figure is (policy, json path)."""
    out = {}

    # cascade-uninformative.toml: AUC 0.5, threshold 0.3, difficulty 0.5,
    # small skill 0.5 (right w.p. 0.5), large skill 0.8.
    t, pl = 0.3, logistic(10, 0.8, 0.5)
    out["cascade-uninformative"] = {
        ("cascade", "escalation_rate"): t,
        ("cascade", "cost_per_request"): SMALL + t * LARGE,
        ("cascade", "quality"): 0.5 * (1 - t) + t * pl,
    }

    # cascade-binormal.toml: AUC 0.85, threshold 0.6.
    t, h = 0.6, half_mu(0.85)
    ps = logistic(10, 0.5, 0.5)
    er, ew = PHI(PHI_INV(t) - h), PHI(PHI_INV(t) + h)
    esc = ps * er + (1 - ps) * ew
    out["cascade-binormal"] = {
        ("cascade", "escalation_rate"): esc,
        ("cascade", "cost_per_request"): SMALL + esc * LARGE,
        ("cascade", "quality"): ps * (1 - er) + esc * pl,
        ("cascade", "escalated_quality"): pl,
    }

    # lognormal-tokens.toml: input {1000, 3000} (floor 0), output {6, 15} (floor 1),
    # on small ($1/M in, $2/M out).
    e_in = rounded_mean(*lognormal(1000, 3000), 0)
    e_out = rounded_mean(*lognormal(6, 15), 1)
    out["lognormal-tokens"] = {
        ("single", "cost_per_request"): (e_in * 1.0 + e_out * 2.0) / 1e6,
    }

    # latency.toml: ttft {900, 2000} ms, speed {75, 100} tok/s, 220 output tokens:
    # 1000*220/tps is lognormal(ln(220000) - mu_tps, sigma_tps).
    ttft = lognormal(900, 2000)
    mu_s, s_s = lognormal(75, 100)
    gen = (math.log(1000 * 220) - mu_s, s_s)
    lat = {}
    for q, name in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")]:
        lat[("single", f"e2e_latency_ms.{name}")] = sum_lognormal_quantile(q, ttft, gen)
    for q, name in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")]:
        lat[("single", f"ttft_ms.{name}")] = math.exp(ttft[0] + ttft[1] * PHI_INV(q))
    out["latency"] = lat

    # eval-cascade.toml: see EVAL below.
    e = EVAL
    h = half_mu(e["auc"])
    zt = PHI_INV(e["threshold"])
    er, ew = PHI(zt - h), PHI(zt + h)
    p, l1, l0 = e["p_small"], e["p_large_if_small"], e["p_large_if_not"]
    esc = p * er + (1 - p) * ew
    out["eval-cascade"] = {
        ("small", "quality"): p,
        ("large", "quality"): p * l1 + (1 - p) * l0,
        ("cascade", "escalation_rate"): esc,
        ("cascade", "quality"): p * (1 - er) + p * er * l1 + (1 - p) * ew * l0,
        ("cascade", "cost_per_request"): SMALL + esc * LARGE,
    }
    return out


# ---------------------------------------------------------------------------
# The eval population: every seed draws a new eval set from it.

EVAL = {
    "examples": 40,
    "p_small": 0.85,  # the small model passes
    "auc": 0.85,  # its confidence: binormal with this AUC
    "p_large_if_small": 0.95,  # the large model passes where the small one did
    "p_large_if_not": 0.6,  # ... and where it did not
    "threshold": 0.5,  # the cascade's threshold (eval-cascade.toml)
}


def draw_eval(seed):
    """The eval CSV of one seed: EVAL["examples"] examples from the population."""
    rng = random.Random(f"coverage-eval-{seed}")
    h = half_mu(EVAL["auc"])
    rows = ["example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms"]
    for i in range(EVAL["examples"]):
        small = rng.random() < EVAL["p_small"]
        conf = PHI(rng.gauss(h if small else -h, 1.0))
        p_large = EVAL["p_large_if_small"] if small else EVAL["p_large_if_not"]
        large = rng.random() < p_large
        rows.append(f"e{i},all,s,{int(small)},,{conf!r},,,")
        rows.append(f"e{i},all,l,{int(large)},,,,,")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------
# Running simroute


def run_one(binary, scenario, seed, tmp, figures, extra):
    """Runs one scenario at one seed: (mean, ci_low, ci_high) of each figure."""
    path = os.path.join(SCEN, scenario + ".toml")
    if scenario == "eval-cascade":
        # A copy that reads this seed's eval and the bench's pricing table.
        d = os.path.join(tmp, f"s{seed}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "eval.csv"), "w") as f:
            f.write(draw_eval(seed))
        with open(path) as f:
            text = f.read()
        text = re.sub(r'(?m)^file = ".*"$', 'file = "eval.csv"', text)
        pricing = json.dumps(os.path.join(SCEN, "pricing.toml"))
        text = re.sub(r'(?m)^pricing = ".*"$', f"pricing = {pricing}", text)
        path = os.path.join(d, "scenario.toml")
        with open(path, "w") as f:
            f.write(text)
    cmd = [binary, "run", path, "--seed", str(seed), "--format", "json", "--threads", "1", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    if scenario == "eval-cascade":
        shutil.rmtree(os.path.dirname(path))
    result = json.loads(out.stdout)
    return [pick(result, policy, path) for policy, path in figures]


def pick(result, policy, path):
    p = next(p for p in result["policies"] if p["name"] == policy)
    for k in path.split("."):
        p = p[k]
    return p["mean"], p["ci_low"], p["ci_high"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1000, help="seeds per scenario (default 1000)")
    ap.add_argument("--quick", action="store_true", help="100 seeds: a smoke run")
    ap.add_argument("--first-seed", type=int, default=1, help="seeds run from here (default 1)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="simroute processes at once, each on one thread (default 1)")
    ap.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    ap.add_argument("--bin", help="simroute binary (default: cargo build --release, then target/release/simroute)")
    ap.add_argument("--requests", type=int,
                    help="override every scenario's requests (a diagnostic: the table is for the files' sizes)")
    ap.add_argument("--replications", type=int, help="override every scenario's replications (likewise)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--save", help="write every seed's estimates to this CSV")
    args = ap.parse_args()
    seeds = 100 if args.quick else args.seeds

    binary = args.bin
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "simroute")

    truth = closed_forms()
    scenarios = [s for s in truth if not args.only or s in args.only]
    sizes = {}
    for s in scenarios:
        with open(os.path.join(SCEN, s + ".toml")) as f:
            text = f.read()
        req = re.search(r"(?m)^requests = (\d+)", text).group(1)
        rep = re.search(r"(?m)^replications = (\d+)", text).group(1)
        req, rep = args.requests or int(req), args.replications or int(rep)
        sizes[s] = f"{req:,} x {rep}"
    extra = []
    if args.requests:
        extra += ["--requests", str(args.requests)]
    if args.replications:
        extra += ["--replications", str(args.replications)]

    jobs = [(s, seed) for seed in range(args.first_seed, args.first_seed + seeds) for s in scenarios]
    records = []  # (scenario, policy, path, seed, truth, mean, lo, hi)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, binary, s, seed, tmp, list(truth[s]), extra): (s, seed)
                   for s, seed in jobs}
        done = 0
        for fut in concurrent.futures.as_completed(futures):
            s, seed = futures.pop(fut)
            for ((policy, path), v), est in zip(truth[s].items(), fut.result()):
                records.append((s, policy, path, seed, v, *est))
            done += 1
            if sys.stderr.isatty() and done % 20 == 0:
                print(f"\r{done}/{len(jobs)} runs, {time.time() - start:.0f} s", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)

    if args.save:
        with open(args.save, "w") as f:
            f.write("scenario,policy,figure,seed,truth,mean,ci_low,ci_high\n")
            for rec in sorted(records, key=lambda r: (r[0], r[1], r[2], r[3])):
                f.write(",".join(map(str, rec)) + "\n")

    rows = []
    for s in scenarios:
        for (policy, path), v in truth[s].items():
            rs = [r for r in records if r[0] == s and r[1] == policy and r[2] == path]
            n = len(rs)
            low = sum(1 for r in rs if r[7] < v)  # the whole interval below the truth
            high = sum(1 for r in rs if r[6] > v)  # above it
            cov = 1 - (low + high) / n
            se = math.sqrt(cov * (1 - cov) / n)
            bias = sum(r[5] for r in rs) / n / v - 1
            half = sum((r[7] - r[6]) / 2 for r in rs) / n / v
            ok = abs(cov - 0.95) <= 0.014
            rows.append([f"{policy} {path}", s, sizes[s], f"{v:.6g}", f"{100 * cov:.1f}%",
                         f"{100 * se:.1f}", f"{low}/{high}", f"{100 * bias:+.3f}%",
                         f"{100 * half:.2f}%", "yes" if ok else "**no**"])
    head = ["figure", "scenario", "requests x reps", "closed form", "coverage", "SE (pts)",
            "misses low/high", "mean bias", "mean half-width", "in 95 ± 1.4"]
    print(f"{seeds} seeds ({args.first_seed}..{args.first_seed + seeds - 1}), "
          f"{time.time() - start:.0f} s; goal: coverage in 95% ± 1.4%")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        plain = [[x.replace("**", "") for x in r] for r in [head] + rows]
        w = [max(len(x) for x in col) for col in zip(*plain)]
        for r in plain:
            print("  ".join(x.ljust(k) for x, k in zip(r, w)).rstrip())


if __name__ == "__main__":
    main()
