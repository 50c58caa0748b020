"""Benchmarks: motorkit's training against MotorNet's own tutorial loop, measured side by side.

* throughput: seconds per training batch (arm26, GRU 64, 1 s episodes) at the same batch size, for
  MotorNet's loop (``env.reset``/``env.step`` with ``motornet.policy.PolicyGRU``) and for motorkit's
  compiled step; medians over repeats; the ratio is MotorNet's time over motorkit's.
* time to criterion: wall-clock seconds until the mean endpoint error on the 8-target test set is
  below 1 cm, compile included (a fresh compiler cache), for motorkit's recipe and for MotorNet's
  tutorial recipe (batch 32, Adam 1e-3) on the same task, each in its own process, with a time cap.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from typing import Any

import motornet as mn
import torch

from motorkit.metrics import endpoint_error
from motorkit.tasks import CentreOutReach, TaskConfig
from motorkit.training import TrainConfig, train

CRITERION_CM = 1.0
#: motorkit's recipe for the time-to-criterion run (see the README for why these values).
RECIPE = TrainConfig(batch_size=64, batches=1000, lr=3e-3, lr_final=3e-4, eval_every=25, target_error_cm=CRITERION_CM)
#: MotorNet's tutorial recipe.
TUTORIAL = {"batch_size": 32, "lr": 1e-3, "hidden": 64, "grad_clip": 1.0}


class MotorNetLoop:
    """MotorNet's tutorial training loop on the book's task, with a stock motornet effector."""

    def __init__(self, task: TaskConfig, hidden: int, lr: float, seed: int = 0):
        torch.manual_seed(seed)
        effector = mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle(), timestep=task.dt)
        self.env = CentreOutReach(task, effector=effector)
        self.policy = mn.policy.PolicyGRU(self.env.n_inputs, hidden, self.env.n_muscles, device="cpu")
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(seed + 1)

    def episode(self, targets: torch.Tensor) -> torch.Tensor:
        """Hand positions (B, T, 2) over one episode, through env.step."""
        h = self.policy.init_hidden(targets.shape[0])
        obs, _ = self.env.reset(options={"targets": targets})
        hand = []
        for _ in range(self.env.config.n_steps):
            action, h = self.policy(obs, h)
            obs, _, _, _, info = self.env.step(action=action)
            hand.append(info["states"]["fingertip"])
        return torch.stack(hand, dim=1)

    def train_batch(self, batch_size: int) -> float:
        targets = self.env.sample_targets(batch_size, self.generator)
        loss = torch.linalg.vector_norm(self.episode(targets) - targets[:, None], dim=-1).mean()
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), TUTORIAL["grad_clip"])
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def test_error_cm(self) -> float:
        targets = self.env.test_targets()
        hand = self.episode(targets).numpy()
        return float(100 * endpoint_error(hand, targets.numpy(), self.env.config.dt).mean())


def _median_seconds(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def throughput(batch_size: int, repeats: int, quick: bool = False) -> dict[str, Any]:
    """Median seconds per training batch for both loops at the same batch size, and the ratio."""
    task = TaskConfig(duration=0.2 if quick else 1.0)
    loop = MotorNetLoop(task, hidden=64, lr=1e-3)
    loop.train_batch(batch_size)  # warm-up
    motornet_s = _median_seconds(lambda: loop.train_batch(batch_size), repeats)
    config = replace(RECIPE, batch_size=batch_size, batches=repeats + 2, eval_every=10**6, target_error_cm=None,
                     duration=task.duration, compile=not quick)
    log = train(config, progress=False).log
    per_batch = [b["wall_s"] - a["wall_s"] for a, b in zip(log[1:-1], log[2:])]
    motorkit_s = statistics.median(per_batch)
    return {"batch_size": batch_size, "repeats": repeats, "motornet_s_per_batch": motornet_s,
            "motorkit_s_per_batch": motorkit_s, "first_batch_s_compile_included": log[0]["wall_s"],
            "ratio": motornet_s / motorkit_s}


def _criterion_motorkit(cap_s: float, quick: bool) -> dict[str, Any]:
    config = replace(RECIPE, duration=0.2, batches=3, compile=False) if quick else RECIPE
    t0 = time.perf_counter()
    result = train(config, progress=False, deadline_s=cap_s)
    seconds = time.perf_counter() - t0
    last = [row for row in result.log if "test_endpoint_error_cm" in row][-1]
    return {"seconds": seconds, "batches": result.log[-1]["batch"], "error_cm": last["test_endpoint_error_cm"],
            "reached": last["test_endpoint_error_cm"] < CRITERION_CM,
            "recipe": {k: getattr(config, k) for k in ("batch_size", "lr", "lr_final", "hidden", "batches")}}


def _criterion_motornet(cap_s: float, quick: bool) -> dict[str, Any]:
    loop = MotorNetLoop(TaskConfig(duration=0.2 if quick else 1.0), TUTORIAL["hidden"], TUTORIAL["lr"])
    t0, batches, error = time.perf_counter(), 0, float("inf")
    while time.perf_counter() - t0 < cap_s:
        loop.train_batch(TUTORIAL["batch_size"])
        batches += 1
        if batches % RECIPE.eval_every == 0 or quick:
            error = loop.test_error_cm()
            if error < CRITERION_CM:
                break
    return {"seconds": time.perf_counter() - t0, "batches": batches, "error_cm": error,
            "reached": error < CRITERION_CM, "recipe": dict(TUTORIAL)}


def _in_subprocess(which: str, cap_s: float, threads: int, quick: bool) -> dict[str, Any]:
    """Run one criterion race in a fresh process with an empty compiler cache (compile included)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache, OMP_NUM_THREADS=str(threads))
        code = (f"import json, torch; torch.set_num_threads({threads}); from motorkit import bench; "
                f"print(json.dumps(bench._criterion_{which}({cap_s!r}, {quick!r})))")
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"criterion run '{which}' failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_benchmarks(batch_size: int = 256, repeats: int = 10, cap_s: float = 300.0, threads: int = 1,
                   quick: bool = False) -> dict[str, Any]:
    """Both measurements, with thread counts set deliberately; returns a JSON-able report."""
    if quick:
        batch_size, repeats, cap_s = min(batch_size, 16), min(repeats, 2), min(cap_s, 5.0)
    torch.set_num_threads(threads)
    report: dict[str, Any] = {"threads": threads, "quick": quick, "torch": torch.__version__,
                              "throughput": throughput(batch_size, repeats, quick)}
    motorkit_run = _in_subprocess("motorkit", cap_s, threads, quick)
    motornet_run = _in_subprocess("motornet", cap_s, threads, quick)
    report["time_to_criterion"] = {
        "criterion_cm": CRITERION_CM, "cap_s": cap_s, "motorkit": motorkit_run, "motornet": motornet_run,
        "speedup_at_least": motornet_run["seconds"] / motorkit_run["seconds"] if motorkit_run["reached"] else None,
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A few readable lines of the report."""
    tp, tc = report["throughput"], report["time_to_criterion"]

    def race(run: dict[str, Any]) -> str:
        state = "reached" if run["reached"] else "NOT reached"
        return f"{state} in {run['seconds']:.1f} s ({run['batches']} batches, error {run['error_cm']:.2f} cm)"

    lines = [
        f"threads: {report['threads']}  torch {report['torch']}{'  (quick: plumbing only)' if report['quick'] else ''}",
        f"throughput at batch {tp['batch_size']} (median of {tp['repeats']}): MotorNet loop "
        f"{tp['motornet_s_per_batch']:.3f} s/batch, motorkit {tp['motorkit_s_per_batch']:.3f} s/batch "
        f"-> {tp['ratio']:.1f}x (motorkit's first batch, compile included: {tp['first_batch_s_compile_included']:.1f} s)",
        f"time to < {tc['criterion_cm']} cm (cap {tc['cap_s']:.0f} s): motorkit {race(tc['motorkit'])}; "
        f"MotorNet tutorial recipe {race(tc['motornet'])}",
    ]
    return "\n".join(lines)
