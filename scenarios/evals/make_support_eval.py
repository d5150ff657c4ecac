"""Writes support.csv: a synthetic eval set shaped like a real one.

It stands in for what a team gets by running its candidate models on ~40 real
support requests and grading the answers: a row per (example, model) with the
verdict, the model's self-rated confidence, token counts and latency. The
outcomes are drawn, not measured: each example gets a hidden difficulty, each
model passes with a logistic chance in (skill - difficulty), and the small models'
confidence is a binormal score (AUC about 0.85) turned into [0, 1]. The same
hidden difficulty drives every model, so the outcomes are correlated across
models on an example, as real ones are.

Run: python3 scenarios/evals/make_support_eval.py > scenarios/evals/support.csv
"""

import math
import random

rng = random.Random(20261125)
SKILL = {"micro": 0.55, "haiku": 0.72, "sonnet": 0.85}
AUC_MU = {"micro": math.sqrt(2) * 1.0364, "haiku": math.sqrt(2) * 1.2816}  # AUC .85, .90
CLASSES = [  # name, examples, Beta(a, b) difficulty, input tokens, output tokens
    ("classify", 14, (1.5, 10), 450, 6),
    ("chat", 16, (2, 6), 1800, 220),
    ("summarize", 12, (2, 5), 3000, 250),
]
SPEED = {"micro": (300, 250), "haiku": (600, 120), "sonnet": (1100, 60)}  # ttft ms, tok/s


def phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


print("example_id,class,model,pass,score,confidence,input_tokens,output_tokens,latency_ms")
n = 0
for name, count, (a, b), tin, tout in CLASSES:
    for _ in range(count):
        n += 1
        d = rng.betavariate(a, b)
        tokens_in = int(tin * math.exp(rng.gauss(0, 0.5)))
        for model, skill in SKILL.items():
            p = 1 / (1 + math.exp(-10 * (skill - d)))
            ok = rng.random() < p
            conf = ""
            if model in AUC_MU:
                z = rng.gauss(0, 1) + (AUC_MU[model] / 2 if ok else -AUC_MU[model] / 2)
                conf = f"{phi(z):.2f}"
            out = max(1, int(tout * math.exp(rng.gauss(0, 0.4))))
            ttft, tps = SPEED[model]
            latency = int(ttft * math.exp(rng.gauss(0, 0.3)) + 1000 * out / tps)
            print(f"s{n:03d},{name},{model},{int(ok)},,{conf},{tokens_in},{out},{latency}")
