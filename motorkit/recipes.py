"""The book's training recipes, in one place, so that every chapter names the same cached models.

Chapter 2 trains the null-field policies, chapter 3 adapts them, later chapters analyse them; each
asks for them here with the seed of its parameters cell, and the model cache (keyed on the full
configuration) hands back what an earlier chapter trained.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Hashable, TypeVar

from motorkit.adaptation import adaptation_config
from motorkit.generalization import local_adaptation_config
from motorkit.sweeps import run_sweep
from motorkit.modelcache import cache_dir, is_cached
from motorkit.training import TrainConfig, TrainResult, load_policy

K = TypeVar("K", bound=Hashable)

#: Null-field training: ``TrainConfig``'s defaults (starts over the workspace, batch 64, Adam with a
#: cosine schedule 3e-3 -> 3e-4, the costs of motorkit.loss) with :data:`FEEDBACK`, for this many batches.
NULL_BATCHES: dict[str, int] = {"arm26": TrainConfig.batches, "pointmass": TrainConfig.batches}

#: What the book's recipe changes in ``TrainConfig``'s plain task, so that its networks wait, live
#: with noise and correct (book/conventions.md, "Training trials and the go cue"): a 2 s episode
#: whose go cue comes 0.3-0.6 s after the target (MotorNet's DelayedReach) and is seen through
#: vision, 100 ms later; 20 % no-go trials; holding still before the cue weighs 5 times the position
#: cost at the target; noise on proprioception and vision (1e-3) and the commands (1e-4; MotorNet's
#: research code), signal-dependent command noise (5 % per unit of command) and hidden-state noise
#: (0.01); a push on every trial (:data:`PUSHES`); and a jerk cost three times lighter, which lets
#: the corrections be quick enough to end on the target.
FEEDBACK: dict[str, object] = {
    "duration": 2.0, "delay": (0.3, 0.6), "vision_delay": 0.1, "no_go_fraction": 0.2, "hold_weight": 5.0,
    "proprioception_noise": 1e-3, "vision_noise": 1e-3, "action_noise": 1e-4, "command_noise": 0.05,
    "hidden_noise": 0.01, "push_fraction": 1.0, "smoothness_weight": 1e-5}
#: The pushes of training, scaled to the body: force (N) and duration (s), each uniform over its range.
#: The arm's are brief; the point mass, four times the reach and three times the speed, meets fields
#: that push for most of its 0.7 s reach, and brief pushes did not teach it to correct them.
PUSHES: dict[str, dict[str, tuple[float, float]]] = {
    "arm26": {"push_force": (0.0, 4.0), "push_duration": (0.05, 0.15)},
    "pointmass": {"push_force": (0.0, 8.0), "push_duration": (0.1, 1.0)}}
#: The plain task's values of everything the recipe's feedback-control parts change.
PLAIN: dict[str, object] = {name: getattr(TrainConfig, name) for name in [*FEEDBACK, "push_force", "push_duration"]}
#: Batches of learning in a curl field, from the null-field weights.
ADAPT_BATCHES: int = 200

#: The poster's recipe, for comparison: the plain task (no delay, noise or pushes, 1 s), the test
#: posture only, the distance counted from the first step, no hold trials, a small effort cost and
#: no other; 800 batches (the book's first networks).
POSTER: dict[str, object] = {**PLAIN, "starts": "fixed", "movement_time": 0.0, "hold_fraction": 0.0,
                             "effort_weight": 1e-3, "smoothness_weight": 0.0, "hidden_weight": 0.0, "batches": 800}

#: Chapter 2's ablation of the costs, on the plain task (:data:`PLAIN`: 1 s trials, no delay, noise or
#: pushes), where nothing but the costs shapes the paths: the position term alone, then with the effort
#: cost, then with every cost (smoothness and a small hidden-activity cost added). The last is also the
#: network of Chapter 4's study of learning (:func:`null_networks` with ``**PLAIN``).
COST_ABLATION: dict[str, dict[str, object]] = {
    "position only": {**PLAIN, "effort_weight": 0.0, "smoothness_weight": 0.0, "hidden_weight": 0.0},
    "+ effort": {**PLAIN, "smoothness_weight": 0.0, "hidden_weight": 0.0},
    "+ smoothness": dict(PLAIN),
}
#: Chapter 2's ablation of the feedback-control parts: the recipe without its pushes, or its noise.
FEEDBACK_ABLATION: dict[str, dict[str, object]] = {
    "no pushes": {"push_fraction": 0.0},
    "no noise": {name: 0.0 for name in FEEDBACK if name.endswith("_noise")},
}


def null_config(effector: str, seed: int = 0, batches: int | None = None, **changes: object) -> TrainConfig:
    """The null-field recipe for ``effector`` (the book's and ``motorkit train``'s); ``changes`` alter it
    (e.g. ``**POSTER``)."""
    if effector not in NULL_BATCHES:
        raise ValueError(f"unknown effector {effector!r}; choose from {sorted(NULL_BATCHES)}")
    config = TrainConfig(effector=effector, field="null", seed=seed, eval_every=25, batches=NULL_BATCHES[effector],
                         **FEEDBACK, **PUSHES[effector])
    config = replace(config, **changes)
    return config if batches is None else replace(config, batches=batches)


def train_side_by_side(configs: list[TrainConfig], progress: bool = True) -> list[TrainResult]:
    """Train ``configs`` through the model cache; results in order. Runs of one shape train together,
    one ensemble per core (:func:`motorkit.sweeps.ensembles`), each into its own cache entry.

    What a chapter calls with every run it can start now (e.g. the same block of a protocol on every
    network, and the runs that need nothing else), so that they share compiled steps and both cores stay busy.
    """
    if all(is_cached(c) for c in configs):  # nothing to train: load here, without starting worker processes
        return [load_policy(cache_dir(c)) for c in configs]
    return [load_policy(run.out) for run in run_sweep(configs, n_jobs=min(2, len(configs)), progress=progress)]


def train_groups(groups: dict[str, dict[K, TrainConfig]], progress: bool = True) -> dict[str, dict[K, TrainResult]]:
    """Train every configuration of every group side by side (:func:`train_side_by_side`); the results by
    group and key, e.g. ``{"NF2": {seed: ...}, "CCW after CW": {seed: ...}}``."""
    keys = [(group, key) for group, configs in groups.items() for key in configs]
    results = train_side_by_side([groups[group][key] for group, key in keys], progress)
    trained: dict[str, dict[K, TrainResult]] = {group: {} for group in groups}
    for (group, key), result in zip(keys, results):
        trained[group][key] = result
    return trained


def null_policies(seed: int = 0, effectors: tuple[str, ...] = ("arm26", "pointmass"), progress: bool = True,
                  batches: dict[str, int] | None = None) -> dict[str, TrainResult]:
    """The null-field policies of ``effectors``, trained together or from the cache."""
    configs = [null_config(e, seed, (batches or {}).get(e)) for e in effectors]
    return dict(zip(effectors, train_side_by_side(configs, progress)))


def null_and_variants(variants: dict[str, dict[str, object]], seed: int = 0,
                      effectors: tuple[str, ...] = ("arm26", "pointmass"),
                      progress: bool = True) -> tuple[dict[str, TrainResult], dict[str, TrainResult]]:
    """:func:`null_policies` and the arm trained with each variant of the recipe (by name, changes to
    :func:`null_config`), in one call, so that the networks of one shape among them train together."""
    nulls = [null_config(e, seed) for e in effectors]
    trained = train_side_by_side(nulls + [null_config("arm26", seed, **v) for v in variants.values()], progress)
    return dict(zip(effectors, trained[:len(nulls)])), dict(zip(variants, trained[len(nulls):]))


def null_networks(seeds: tuple[int, ...], effector: str = "arm26", progress: bool = True,
                  **changes: object) -> dict[int, TrainResult]:
    """Independent null-field networks of ``effector``, one per seed (trained together, or from the cache).

    The same networks as :func:`null_policies` of each seed (or, with ``changes``, as the variant of
    :func:`null_and_variants` with those changes): what a chapter needs to state a claim over several
    networks instead of one.
    """
    return dict(zip(seeds, train_side_by_side([null_config(effector, s, **changes) for s in seeds], progress)))


def adapted_networks(nulls: dict[int, TrainResult], fields: tuple[str, ...] = ("cw", "ccw"), strength: float = 8.0,
                     batches: int = ADAPT_BATCHES, progress: bool = True,
                     **overrides: object) -> dict[tuple[str, int], TrainResult]:
    """Each null network of ``nulls`` (by seed) adapted in each field, with training seed = its seed.

    For a network's own seed this is exactly :func:`adapted_policies`, so chapters share the models.
    ``overrides`` change the adaptation recipe (e.g. ``lr``, ``eval_every``, ``batch_size``).
    """
    keys = [(f, s) for s in nulls for f in fields]
    configs = [adaptation_config(nulls[s].config, f, strength, batches, s, init=str(nulls[s].out), **overrides)
               for f, s in keys]
    return dict(zip(keys, train_side_by_side(configs, progress)))


#: Adapting on one or a few directions: Adam at a constant, ten times smaller rate, for 50 batches.
#: Chapter 3's recipe (3e-3, 200 batches) adapts the practised directions and wrecks the others
#: (chapter 7 measures it); this one adapts them and leaves the others to generalization.
FEW_DIRECTIONS: dict[str, object] = {"lr": 3e-4, "lr_final": 3e-4, "batches": 50}
#: Adapting at one start posture, on all eight directions: Adam at a constant 1e-3 for 100 batches.
#: Chapter 3's recipe, at one posture, reaches a lower adaptation index there (chapter 7 measures it).
ONE_POSTURE: dict[str, object] = {"lr": 1e-3, "lr_final": 1e-3, "batches": 100}


def local_adaptations(null: TrainResult, specs: dict[str, dict[str, object]], eval_every: int = 10,
                      progress: bool = True) -> dict[str, TrainResult]:
    """Adaptations of ``null`` narrowed to a posture and directions, by name, trained side by side.

    Each spec holds the arguments of :func:`motorkit.generalization.local_adaptation_config`
    (``directions``, and e.g. ``start``, ``reach``, ``field``, ``viscosity``, ``lr``, ``batches``).
    """
    configs = [local_adaptation_config(null, eval_every=eval_every, **spec) for spec in specs.values()]
    return dict(zip(specs, train_side_by_side(configs, progress)))


def adapted_policies(null: TrainResult, fields: tuple[str, ...] = ("cw", "ccw"), strength: float = 8.0,
                     batches: int = ADAPT_BATCHES, seeds: tuple[int, ...] | None = None,
                     progress: bool = True) -> dict[tuple[str, int], TrainResult]:
    """Policies adapted from ``null`` in each field (and seed), side by side or from the cache."""
    seeds = (null.config.seed,) if seeds is None else seeds
    keys = [(f, s) for f in fields for s in seeds]
    configs = [adaptation_config(null.config, f, strength, batches, s, init=str(null.out)) for f, s in keys]
    return dict(zip(keys, train_side_by_side(configs, progress)))

