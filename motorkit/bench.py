"""Benchmarks: motorkit's training against MotorNet's own tutorial loop, measured side by side.

* throughput: seconds per training batch (arm26, GRU 64, 1 s episodes) at each batch size (64 and
  256), for MotorNet's loop (``env.reset``/``env.step`` with ``motornet.policy.PolicyGRU``) and for
  motorkit's compiled step, each at its best on this machine (one or two threads for MotorNet's loop,
  one or two processes for motorkit); medians over repeats; the ratio is MotorNet's time over motorkit's.
* ensemble: seconds per batch of N arm networks (batch 64) trained together, as one ensemble per
  process over two processes (:mod:`motorkit.ensemble`), against the same N networks trained
  separately, two side by side; ``speedup`` is the second over the first (N = 1, 4 and 8).
* flop fraction: the GRU's matrix products per second in motorkit's training at the largest batch,
  over the machine's peak on the cores motorkit used (a matmul microbenchmark in the same run).
* time to criterion: wall-clock seconds until the mean endpoint error on the 8-target test set is
  below 1 cm, compile included (a fresh compiler cache), for ``motorkit train``'s default recipe and
  for MotorNet's tutorial recipe (batch 32, Adam 1e-3) on the same task, each in its own process,
  with a time cap."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from typing import Any, Sequence

import motornet as mn
import torch
from tqdm.auto import tqdm

from motorkit.metrics import endpoint_error
from motorkit.parallel import torch_threads
from motorkit.tasks import CentreOutReach, TaskConfig, Trials
from motorkit.training import TrainConfig, train, train_together

CRITERION_CM = 1.0
#: motorkit's recipe for the time-to-criterion run: what ``motorkit train`` does by default, stopping at 1 cm.
RECIPE = TrainConfig(eval_every=25, target_error_cm=CRITERION_CM)
#: Batch sizes of the throughput measurement.
BATCH_SIZES: tuple[int, ...] = (64, 256)
#: Network counts of the ensemble measurement.
ENSEMBLE_SIZES: tuple[int, ...] = (1, 4, 8)
#: MotorNet's tutorial recipe.
TUTORIAL = {"batch_size": 32, "lr": 1e-3, "hidden": 64, "grad_clip": 1.0}


class MotorNetLoop:
    """MotorNet's tutorial training loop on the book's task, with a stock motornet effector."""

    def __init__(self, task: TaskConfig, hidden: int, lr: float, seed: int = 0):
        torch.manual_seed(seed)
        effector = mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle(), timestep=task.dt)
        self.env = CentreOutReach(task, effector=effector)
        n_obs = int(self.env.observation_space.shape[0])  # motornet's own observation (no go signal)
        self.policy = mn.policy.PolicyGRU(n_obs, hidden, self.env.n_muscles, device="cpu")
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(seed + 1)

    def episode(self, trials: Trials) -> torch.Tensor:
        """Hand positions (B, T, 2) over one episode, through env.step."""
        h = self.policy.init_hidden(trials.target.shape[0])
        obs, _ = self.env.reset(options={"trials": trials})
        hand = []
        for _ in range(self.env.config.n_steps):
            action, h = self.policy(obs, h)
            obs, _, _, _, info = self.env.step(action=action)
            hand.append(info["states"]["fingertip"])
        return torch.stack(hand, dim=1)

    def train_batch(self, batch_size: int) -> float:
        trials = self.env.sample_trials(batch_size, self.generator)
        loss = torch.linalg.vector_norm(self.episode(trials) - trials.target[:, None], dim=-1).mean()
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), TUTORIAL["grad_clip"])
        self.optimizer.step()
        return loss.item()

    @torch.no_grad()
    def test_error_cm(self) -> float:
        trials = self.env.test_trials()
        hand = self.episode(trials).numpy()
        return float(100 * endpoint_error(hand, trials.target.numpy(), self.env.config.dt).mean())


def _median_seconds(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def motornet_seconds(batch_size: int, repeats: int, threads: int, duration: float = 1.0) -> float:
    """Median seconds per training batch of MotorNet's tutorial loop with ``threads`` torch threads."""
    with torch_threads(threads):
        loop = MotorNetLoop(TaskConfig(duration=duration), hidden=64, lr=1e-3)
        loop.train_batch(batch_size)  # warm-up
        return _median_seconds(lambda: loop.train_batch(batch_size), repeats)


def motorkit_seconds(batch_size: int, repeats: int, workers: int, duration: float = 1.0,
                     compile: bool = True) -> tuple[float, float]:
    """Median seconds per training batch of motorkit with ``workers`` processes (one thread each),
    read from the training log, and the first batch's seconds (compile included)."""
    config = replace(RECIPE, batch_size=batch_size, batches=repeats + 2, eval_every=10**6,
                     target_error_cm=None, duration=duration, compile=compile, workers=workers)
    with torch_threads(1):
        log = train(config, progress=False).log
    per_batch = [b["wall_s"] - a["wall_s"] for a, b in zip(log[1:-1], log[2:])]
    return statistics.median(per_batch), log[0]["wall_s"]


def throughput(batch_size: int, repeats: int, quick: bool = False) -> dict[str, Any]:
    """Both loops at one batch size, each at its best on this machine (threads for MotorNet's loop,
    processes for motorkit's), and the ratio of the bests."""
    duration = 0.2 if quick else 1.0
    cores = min(2, os.cpu_count() or 1)
    motornet = {n: motornet_seconds(batch_size, repeats, n, duration) for n in range(1, cores + 1)}
    motorkit = {n: motorkit_seconds(batch_size, repeats, n, duration, compile=not quick)
                for n in range(1, cores + 1) if batch_size % n == 0}
    threads = min(motornet, key=motornet.get)
    processes = min(motorkit, key=lambda n: motorkit[n][0])
    return {"batch_size": batch_size, "repeats": repeats,
            "motornet_s_per_batch": motornet[threads], "motornet_threads": threads,
            "motorkit_s_per_batch": motorkit[processes][0], "motorkit_processes": processes,
            "motorkit_threads_per_process": 1, "ratio": motornet[threads] / motorkit[processes][0],
            "tried": {"motornet_s_by_threads": motornet,
                      "motorkit_s_by_processes": {n: v[0] for n, v in motorkit.items()},
                      "motorkit_first_batch_s_compile_included": {n: v[1] for n, v in motorkit.items()}}}


def ensemble_seconds(networks: int, repeats: int, batch_size: int = 64, duration: float = 1.0,
                     compile: bool = True) -> float:
    """Median seconds per training batch of ``networks`` arm networks trained together in this process
    (one thread), read from the first network's log, compile left out."""
    config = replace(RECIPE, batch_size=batch_size, batches=repeats + 2, eval_every=10**6, target_error_cm=None,
                     duration=duration, compile=compile, workers=1)
    with torch_threads(1):
        log = train_together([replace(config, seed=s) for s in range(networks)], progress=False)[0].log
    return statistics.median(b["wall_s"] - a["wall_s"] for a, b in zip(log[1:-1], log[2:]))


def _side_by_side(sizes: Sequence[int], repeats: int, quick: bool) -> list[float]:
    """Run ``ensemble_seconds`` for each ensemble size of ``sizes`` at once, each in its own process
    (one thread): the seconds per batch of each, measured while the others run."""
    code = ("import json, sys; from motorkit import bench; "
            "print(json.dumps(bench.ensemble_seconds(int(sys.argv[1]), int(sys.argv[2]), "
            f"duration={0.2 if quick else 1.0}, compile={not quick})))")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(n), str(repeats)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in sizes]
    seconds = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"ensemble run failed: {err.strip().splitlines()[-1:]}")
        seconds.append(json.loads(out.strip().splitlines()[-1]))
    return seconds


def ensemble(networks: int, repeats: int, quick: bool = False) -> dict[str, Any]:
    """N networks (arm, batch 64) trained together, split over the cores as one ensemble per process,
    against the same N trained separately, two side by side; seconds per batch of all N, and the ratio."""
    cores = min(2, os.cpu_count() or 1, networks)
    halves = [len(part) for part in (range(networks)[i::cores] for i in range(cores))]
    together = max(_side_by_side(halves, repeats, quick))  # the slower process sets the pace
    alone = _side_by_side([1] * cores, repeats, quick)
    separate = statistics.mean(alone) * -(-networks // cores)  # each process trains its networks in turn
    return {"networks": networks, "batch_size": 64, "processes": cores, "networks_per_process": halves,
            "ensemble_s_per_batch": together, "separate_s_per_batch": separate,
            "separate_one_network_s_per_batch": statistics.mean(alone), "speedup": separate / together}


def gru_flops_per_batch(batch_size: int, config: TrainConfig = RECIPE) -> float:
    """Floating-point operations of the GRU's matrix products in one training batch, forward and backward.

    Per trial and step the forward pass multiplies the input and the hidden state into three gates and
    reads out the muscles (2 FLOPs per multiply-add); the backward pass costs twice the forward.
    """
    env = CentreOutReach(config.task_config())
    h, n_in, m = config.hidden, env.n_inputs, env.n_muscles
    forward = 2 * (n_in * 3 * h + h * 3 * h + h * m)
    return 3.0 * forward * batch_size * env.config.n_steps


def peak_flops(threads: int, size: int = 1024, repeats: int = 10) -> float:
    """The machine's float32 matrix-product rate (FLOP/s) with ``threads`` threads: a matmul microbenchmark."""
    with torch_threads(threads):
        a, b = torch.randn(size, size), torch.randn(size, size)
        a @ b  # warm-up
        return 2.0 * size**3 / _median_seconds(lambda: a @ b, repeats)


def flop_fraction(entry: dict[str, Any], quick: bool = False) -> dict[str, Any]:
    """The GRU's FLOPs per second in motorkit's training (a ``throughput`` entry) over the peak of the
    cores it used."""
    cores = entry["motorkit_processes"] * entry["motorkit_threads_per_process"]
    config = replace(RECIPE, duration=0.2) if quick else RECIPE
    achieved = gru_flops_per_batch(entry["batch_size"], config) / entry["motorkit_s_per_batch"]
    peak = peak_flops(cores, size=256 if quick else 1024)
    return {"batch_size": entry["batch_size"], "achieved_gflops": achieved / 1e9, "peak_gflops": peak / 1e9,
            "peak_cores": cores, "fraction": achieved / peak}


def _criterion_motorkit(cap_s: float, quick: bool) -> dict[str, Any]:
    config = replace(RECIPE, duration=0.2, batches=3, compile=False) if quick else RECIPE
    t0 = time.perf_counter()
    result = train(config, progress=False, deadline_s=cap_s)
    seconds = time.perf_counter() - t0
    last = result.log.last_evaluation()
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


def run_benchmarks(batch_sizes: Sequence[int] = BATCH_SIZES, repeats: int = 10, cap_s: float = 300.0,
                   threads: int = 1, quick: bool = False) -> dict[str, Any]:
    """Throughput at each batch size, the GRU's share of the machine's peak at the largest, and the time
    to criterion (``threads`` torch threads for both criterion races); returns a JSON-able report."""
    if quick:
        batch_sizes, repeats, cap_s = [min(b, 16) for b in batch_sizes], min(repeats, 2), min(cap_s, 5.0)
    entries = [throughput(b, repeats, quick) for b in tqdm(batch_sizes, desc="throughput", unit="batch size")]
    largest = max(entries, key=lambda e: e["batch_size"])
    report: dict[str, Any] = {"quick": quick, "torch": torch.__version__, "cores": os.cpu_count(),
                              "throughput": entries, "flop_fraction": flop_fraction(largest, quick)}
    sizes = ENSEMBLE_SIZES[:2] if quick else ENSEMBLE_SIZES
    report["ensemble"] = [ensemble(n, repeats, quick) for n in tqdm(sizes, desc="ensemble", unit="size")]
    torch.set_num_threads(threads)
    motorkit_run = _in_subprocess("motorkit", cap_s, threads, quick)
    motornet_run = _in_subprocess("motornet", cap_s, threads, quick)
    report["time_to_criterion"] = {
        "criterion_cm": CRITERION_CM, "cap_s": cap_s, "threads": threads,
        "motorkit": motorkit_run, "motornet": motornet_run,
        "speedup_at_least": motornet_run["seconds"] / motorkit_run["seconds"] if motorkit_run["reached"] else None,
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A few readable lines of the report."""
    tc, ff = report["time_to_criterion"], report["flop_fraction"]

    def race(run: dict[str, Any]) -> str:
        state = "reached" if run["reached"] else "NOT reached"
        return f"{state} in {run['seconds']:.1f} s ({run['batches']} batches, error {run['error_cm']:.2f} cm)"

    lines = [f"torch {report['torch']}, {report['cores']} cores{'  (quick: plumbing only)' if report['quick'] else ''}"]
    for tp in report["throughput"]:
        lines.append(
            f"throughput at batch {tp['batch_size']} (median of {tp['repeats']}): MotorNet loop "
            f"{tp['motornet_s_per_batch']:.3f} s/batch ({tp['motornet_threads']} thread(s)), motorkit "
            f"{tp['motorkit_s_per_batch']:.3f} s/batch ({tp['motorkit_processes']} process(es)) -> {tp['ratio']:.1f}x")
    for en in report.get("ensemble", []):
        lines.append(
            f"{en['networks']} networks (batch {en['batch_size']}): together {en['ensemble_s_per_batch']:.3f} s/batch "
            f"({'+'.join(map(str, en['networks_per_process']))} per process), separately two side by side "
            f"{en['separate_s_per_batch']:.3f} s/batch -> speedup {en['speedup']:.2f}x")
    lines += [
        f"GRU at batch {ff['batch_size']}: {ff['achieved_gflops']:.1f} GFLOP/s of a {ff['peak_gflops']:.1f} GFLOP/s "
        f"matmul peak on {ff['peak_cores']} core(s): flop_fraction {ff['fraction']:.2f}",
        f"time to < {tc['criterion_cm']} cm (cap {tc['cap_s']:.0f} s): motorkit {race(tc['motorkit'])}; "
        f"MotorNet tutorial recipe {race(tc['motornet'])}",
    ]
    return "\n".join(lines)
