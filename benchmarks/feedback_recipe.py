"""Probe the book's feedback-control recipe and changes to it (issue 24): train one network, measure what the issue asks.

    python benchmarks/feedback_recipe.py NAME '{"effector": "pointmass", "seed": 1, "push_fraction": 0.5}' [--out DIR]

The JSON holds changes to the book's recipe (:func:`motorkit.recipes.null_config`: a delayed reach
with no-go trials, noise and pushes), and the body and seed (default: the arm, seed 0). It prints,
and writes to DIR/NAME.json, on the 8-target test set (noise on, no pushes):
drift before the cue, reaction time, peak speed, endpoint error (last 100 ms) and largest |lateral|
deviation, in the null field and on first exposure to the CW and CCW fields (k = 8); the book's
naturalness criteria after the cue in the null field; the drift on no-go trials; the worst of each
measure over the generalization postures; and the endpoint scatter over 32 repeats of one target.
A finished run in DIR/NAME is measured again, not retrained.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from motorkit import metrics
from motorkit.fields import ForceField
from motorkit.rollouts import Rollout, rollout
from motorkit.recipes import null_config
from motorkit.tasks import GENERALIZATION_STARTS
from motorkit.training import TrainResult, train

#: How often the probe's runs log a test-set evaluation (batches).
EVAL_EVERY = 250


def reach_measures(record: Rollout, go: int) -> dict[str, float]:
    """The issue's measures of one test set, each a mean over its trials (cm, ms, m/s)."""
    cue = np.full(len(record), go)
    moved = record.hand[:, go:]
    return {"pre_cue_cm": 100 * float(metrics.drift_before_cue(record.hand, cue).mean()),
            "rt_ms": 1000 * float(np.nanmean(metrics.reaction_time(record.velocity, cue, record.dt))),
            "peak_speed_m_s": float(metrics.peak_speed(record.velocity).mean()),
            "end_cm": 100 * float(metrics.endpoint_error(record.hand, record.target, record.dt).mean()),
            "abs_lat_cm": 100 * float(np.abs(metrics.lateral_deviation(moved, record.target)).mean())}


def measure(result: TrainResult) -> dict[str, object]:
    """Everything the module docstring lists, for a trained network."""
    go, n_steps = result.config.test_go_step, result.config.n_steps
    records = {f: result.evaluate(ForceField(f, 8.0)) for f in ("null", "cw", "ccw")}
    rows: dict[str, object] = {f: reach_measures(record, go) for f, record in records.items()}
    null = records["null"]
    rows["null_naturalness"] = metrics.naturalness(null.hand[:, go:], null.velocity[:, go:], null.target, null.dt)
    no_go = result.evaluate(ForceField("null"), go=n_steps)
    rows["no_go_drift_cm"] = 100 * float(metrics.drift_before_cue(no_go.hand, np.full(8, n_steps)).mean())
    postures = [reach_measures(result.evaluate(ForceField("null"), start=s), go)
                for s in GENERALIZATION_STARTS[result.config.effector]]
    rows["generalization_worst"] = {k: max(p[k] for p in postures) for k in postures[0]}
    one = result.env.test_trials().take(torch.zeros(32, dtype=torch.long))
    rows["scatter_cm"] = 100 * metrics.endpoint_scatter(rollout(result.simulator, one, ForceField("null")).hand, result.config.dt)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("changes", nargs="?", default="{}", help="JSON: changes to the candidate recipe")
    parser.add_argument("--out", default="feedback-probes", help="folder for checkpoints and results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(args.changes).items()}
    config = replace(null_config(changes.pop("effector", "arm26"), changes.pop("seed", 0)),
                     eval_every=EVAL_EVERY, **changes)
    out = Path(args.out)
    start = time.perf_counter()
    result = train(config, out=out / args.name, progress=True)
    rows = {**measure(result), "train_s": time.perf_counter() - start}
    (out / f"{args.name}.json").write_text(json.dumps(rows, indent=1))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
