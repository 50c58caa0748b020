"""Command line: ``motorkit train``, ``motorkit evaluate`` and ``motorkit bench``.

Bad input exits non-zero with one line naming the problem (no traceback) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, Sequence

from motorkit.bodies import EFFECTORS, POSTURE_UNIT
from motorkit.fields import FIELDS, ForceField, ViscousField, make_field
from motorkit.policy import Intervention
from motorkit.tasks import STARTS, TaskConfig


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive count, got {value}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _non_negative_float(text: str) -> float:
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _finite_float(text: str) -> float:
    value = _number(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def _add_start(parser: argparse.ArgumentParser, what: str) -> None:
    """The mutually exclusive ``--start-deg`` (arm) and ``--start-xy`` (point mass) options."""
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--start-deg", type=_finite_float, nargs=2, metavar=("SHOULDER", "ELBOW"),
                       help=f"arm: {what} at these joint angles (deg; default 60 90)")
    start.add_argument("--start-xy", type=_finite_float, nargs=2, metavar=("X", "Y"),
                       help=f"point mass: {what} here (m; default 0 0)")


def _start_of(args: argparse.Namespace, effector: str) -> tuple[float, float] | None:
    """The start given by ``--start-deg`` or ``--start-xy``, refused when it is the other effector's option."""
    arm = POSTURE_UNIT[effector] == "deg"
    if (args.start_deg is not None and not arm) or (args.start_xy is not None and arm):
        flag, other = ("--start-deg", "--start-xy") if args.start_deg is not None else ("--start-xy", "--start-deg")
        raise ValueError(f"{flag} does not apply to the {effector}; use {other}")
    start = args.start_deg if args.start_deg is not None else args.start_xy
    return None if start is None else (float(start[0]), float(start[1]))


def _parser() -> argparse.ArgumentParser:
    from motorkit.training import TrainConfig

    defaults = TrainConfig()
    parser = _Parser(prog="motorkit", description="Train, evaluate and benchmark reaching controllers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train a GRU policy (resumes from --out if it holds a checkpoint)",
                           description="Train a GRU policy with the book's recipe (motorkit.recipes.null_config: "
                           "delayed reaches with no-go trials, noise and pushes); each flag given changes it.")
    train.add_argument("--effector", choices=EFFECTORS, required=True)
    train.add_argument("--field", choices=FIELDS, required=True)
    train.add_argument("--strength", type=_non_negative_float, default=8.0, help="curl strength k (N·s/m)")
    train.add_argument("--viscosity", type=_finite_float, nargs=4, default=(), metavar=("B11", "B12", "B21", "B22"),
                       help="--field viscous: the field's matrix, F = B v (N·s/m)")
    train.add_argument("--catch-fraction", type=_non_negative_float, default=0.0, help="fraction of catch trials")
    train.add_argument("--init", metavar="CKPT_DIR", help="fine-tune from this checkpoint")
    train.add_argument("--batches", type=_positive_int, default=defaults.batches)
    train.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
    train.add_argument("--hidden", type=_positive_int, default=defaults.hidden)
    train.add_argument("--lr", type=_non_negative_float, default=defaults.lr)
    train.add_argument("--starts", choices=STARTS, default=defaults.starts,
                       help="start postures: over the workspace region, or the test posture only (the poster's)")
    _add_start(train, "the test posture (and, with --starts fixed, every training trial's start)")
    train.add_argument("--reach", type=_non_negative_float, default=None, metavar="METRES",
                       help="test reach distance; training targets lie within 1.2 times it (default: the effector's)")
    train.add_argument("--directions", type=_finite_float, nargs="+", default=(), metavar="DEG",
                       help="train only on reaches of exactly --reach in these directions (deg from +x)")
    train.add_argument("--delay", type=_non_negative_float, nargs=2, default=None, metavar=("MIN", "MAX"),
                       help="seconds from target to go cue, drawn per trial")
    train.add_argument("--movement-time", type=_non_negative_float, default=defaults.movement_time,
                       help="seconds after the go cue from which the hand must be at the target")
    train.add_argument("--duration", type=_non_negative_float, default=None, help="episode (s)")
    train.add_argument("--no-go-fraction", type=_non_negative_float, default=None,
                       help="fraction of trials whose go cue never comes (hold to the end)")
    train.add_argument("--hold-weight", type=_non_negative_float, default=None,
                       help="position cost before the go cue, relative to the cost at the target")
    for noise, what in (("action", "added to the commands"), ("command", "per unit of command (signal-dependent)"),
                        ("proprioception", "on the muscle feedback"), ("vision", "on the seen hand (m)"),
                        ("hidden", "on the network's hidden state")):
        train.add_argument(f"--{noise}-noise", type=_non_negative_float, default=None,
                           help=f"standard deviation of the noise {what}")
    train.add_argument("--push-fraction", type=_non_negative_float, default=None,
                       help="fraction of trials pushed once at the hand, at a random time and direction")
    train.add_argument("--push-force", type=_non_negative_float, nargs=2, default=None,
                       metavar=("MIN", "MAX"), help="the pushes' force (N), uniform between MIN and MAX")
    train.add_argument("--push-duration", type=_non_negative_float, nargs=2, default=None,
                       metavar=("MIN", "MAX"), help="the pushes' duration (s), uniform between MIN and MAX")
    for term in ("effort", "smoothness", "hidden"):
        train.add_argument(f"--{term}-weight", type=_non_negative_float, default=None,
                           help=f"weight of the {term} cost (motorkit.loss)")
    train.add_argument("--channel-probe", action="store_true",
                       help="log the adaptation index on force-channel test trials at each evaluation")
    train.add_argument("--target-error-cm", type=_non_negative_float, default=None,
                       help="stop once the test-set endpoint error is below this")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="cpu")
    train.add_argument("--no-compile", action="store_true", help="use the eager step")
    train.add_argument("--workers", type=int, default=0, choices=(0, 1, 2),
                       help="processes sharing each batch (0: two for batches of 128 or more on 2+ cores)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--out", required=True, metavar="DIR")

    evaluate = sub.add_parser("evaluate", help="roll a checkpoint out on the 8-target test set")
    evaluate.add_argument("checkpoint", metavar="CKPT_DIR")
    evaluate.add_argument("--field", choices=FIELDS, default=None,
                          help="default: the training field; channel: force-channel trials, which also report "
                               "the adaptation index for CW and CCW fields of --strength (and the viscous field)")
    evaluate.add_argument("--strength", type=_non_negative_float, default=None,
                          help="curl strength k (N·s/m; default: the training strength); with --field channel, "
                               "the k the adaptation indices refer to")
    evaluate.add_argument("--viscosity", type=_finite_float, nargs=4, default=None,
                          metavar=("B11", "B12", "B21", "B22"),
                          help="--field viscous: the field's matrix (default: the training field's)")
    evaluate.add_argument("--catch", action="store_true", help="field off on every trial (after-effects)")
    cue = evaluate.add_mutually_exclusive_group()
    cue.add_argument("--go-ms", type=_non_negative_float, default=None, metavar="MS",
                     help="the go cue at MS ms (default: the middle of the training delay range)")
    cue.add_argument("--no-go", action="store_true", help="no go cue: the network should hold the start")
    evaluate.add_argument("--seed", type=int, default=0,
                          help="seeds the noise: evaluations with one seed differ only in what the flags change")
    _add_start(evaluate, "start the reaches")
    evaluate.add_argument("--reach", type=_non_negative_float, default=None, metavar="METRES",
                          help="distance of the 8 targets from the start (default: the task's)")
    evaluate.add_argument("--bump", type=_finite_float, nargs=4, default=None,
                          metavar=("ONSET_MS", "DURATION_MS", "FORCE_N", "ANGLE_DEG"),
                          help="a force pulse at the hand, ONSET_MS after the go cue, towards ANGLE_DEG "
                               "(from +x, counter-clockwise)")
    evaluate.add_argument("--target-jump", type=_finite_float, nargs=3, default=None,
                          metavar=("ONSET_MS", "DX_CM", "DY_CM"),
                          help="the target moves by (DX, DY) ONSET_MS after the go cue")
    evaluate.add_argument("--cursor-jump", type=_finite_float, nargs=3, default=None,
                          metavar=("ONSET_MS", "DX_CM", "DY_CM"),
                          help="what the network sees of the hand is shifted by (DX, DY) from ONSET_MS "
                               "after the go cue on")
    evaluate.add_argument("--out", required=True, metavar="FILE.npz")

    protocol = sub.add_parser("protocol", help="train a checkpoint through a sequence of blocks (e.g. savings)")
    protocol.add_argument("checkpoint", metavar="CKPT_DIR", help="the network the protocol starts from")
    protocol.add_argument("--blocks", required=True, metavar="SPEC",
                          help="blocks NAME=FIELD:BATCHES[@LR][~CATCH], e.g. 'FF1=cw:200 NF2=null:200 FF2=cw:200'")
    protocol.add_argument("--eval-every", type=_positive_int, default=5,
                          help="batches between test-set evaluations (lateral deviation, adaptation index)")
    protocol.add_argument("--seed", type=int, default=None, help="default: the starting network's")
    protocol.add_argument("--no-compile", action="store_true", help="use the eager step")
    protocol.add_argument("--quiet", action="store_true", help="no progress bars")
    protocol.add_argument("--out", required=True, metavar="DIR", help="one checkpoint folder per block: DIR/NAME")

    bench = sub.add_parser("bench", help="motorkit against MotorNet's own training loop, side by side")
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.add_argument("--batch-sizes", type=_positive_int, nargs="+", default=[64, 256], metavar="N")
    bench.add_argument("--repeats", type=_positive_int, default=10)
    bench.add_argument("--cap", type=_non_negative_float, default=300.0, help="time cap (s) per criterion run")
    bench.add_argument("--threads", type=_positive_int, default=1, help="torch threads of the criterion races")
    bench.add_argument("--quick", action="store_true", help="tiny settings: checks the plumbing only")
    return parser


def _check_device(device: str) -> None:
    import torch

    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available on this machine")


def _check_writable_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to output folder {path}: {exc.strerror or exc}") from None


def _check_writable_file(path: Path) -> None:
    if path.suffix != ".npz":
        raise ValueError(f"output must be a .npz file, got {path.name!r}")
    if path.is_dir():
        raise ValueError(f"output {path} is a folder")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"cannot write to output folder {parent}")


#: ``motorkit train``'s flags whose default is the book's recipe (:func:`motorkit.recipes.null_config`).
_RECIPE_FLAGS: tuple[str, ...] = (
    "delay", "duration", "no_go_fraction", "hold_weight", "action_noise", "command_noise", "proprioception_noise",
    "vision_noise", "hidden_noise", "push_fraction", "push_force", "push_duration", "effort_weight",
    "smoothness_weight", "hidden_weight")


def _train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from motorkit.checkpoints import load_checkpoint
    from motorkit.recipes import null_config
    from motorkit.training import TrainConfig, train

    _check_device(args.device)
    recipe = null_config(args.effector, args.seed)  # the book's recipe; the flags given change it
    given = {name: tuple(value) if isinstance(value, list) else value for name in _RECIPE_FLAGS
             if (value := getattr(args, name)) is not None}
    config = replace(
        recipe, **given, field=args.field, strength=args.strength, catch_fraction=args.catch_fraction,
        viscosity=tuple(args.viscosity), batches=args.batches, batch_size=args.batch_size, hidden=args.hidden,
        lr=args.lr, lr_final=min(args.lr, TrainConfig.lr_final), target_error_cm=args.target_error_cm,
        device=args.device, compile=not args.no_compile, workers=args.workers,
        init=None if args.init is None else str(Path(args.init).resolve()), starts=args.starts,
        movement_time=args.movement_time, start=_start_of(args, args.effector), reach=args.reach,
        directions=tuple(args.directions), channel_probe=args.channel_probe,
    )
    if config.init is not None:
        load_checkpoint(config.init)
    out = Path(args.out)
    _check_writable_dir(out)
    result = train(config, out=out, progress=not args.quiet)
    last = result.log.last_evaluation()
    print(json.dumps({"out": str(out), "batches": result.log[-1]["batch"], "loss": result.log[-1]["loss"],
                      "test_endpoint_error_cm": last["test_endpoint_error_cm"],
                      "wall_s": result.log[-1]["wall_s"]}))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from motorkit.training import load_policy

    result = load_policy(args.checkpoint)
    start = _start_of(args, result.config.effector)  # test_trials checks it and --reach
    config = result.config
    strength = config.strength if args.strength is None else args.strength
    viscosity = config.viscosity if args.viscosity is None else tuple(args.viscosity)
    field = make_field(args.field or config.field, strength, viscosity=viscosity)
    out = Path(args.out)
    _check_writable_file(out)
    go = None
    if args.no_go:
        go = config.n_steps
    elif args.go_ms is not None:
        go = round(args.go_ms / 1000 / config.dt)
        if go >= config.n_steps:
            raise ValueError(f"--go-ms {args.go_ms:g} is past the {1000 * config.duration:g} ms episode")
    task = config.task_config()
    interventions = _perturbations(args, task, task.test_go_step if go is None else go)
    record = result.evaluate(field, catch=args.catch, seed=args.seed, start=start, reach=args.reach, go=go,
                             interventions=interventions)
    record.config["checkpoint"] = str(Path(args.checkpoint).resolve())
    record.save(out)
    summary = record.metrics()
    if field.kind == "channel" and not args.catch:
        summary["peak_channel_force_n"] = float(abs(record.channel_force()).max())
        if strength > 0:  # how much of a CW and of a CCW field of that strength the network's force cancels
            for curl in ("cw", "ccw"):
                summary[f"adaptation_index_{curl}"] = record.adaptation_index(ForceField(curl, strength))
        if viscosity:  # and of the viscous field
            summary["adaptation_index_viscous"] = record.adaptation_index(ViscousField(viscosity))
    print(json.dumps(summary, indent=2))
    return 0


def _perturbations(args: argparse.Namespace, task: TaskConfig, go: int) -> list[Intervention]:
    """The perturbations ``--bump``, ``--target-jump`` and ``--cursor-jump`` ask for (times from the go cue)."""
    from motorkit import perturbations

    asked = [flag for flag in ("bump", "target_jump", "cursor_jump") if getattr(args, flag) is not None]
    if asked and go >= task.n_steps:
        raise ValueError(f"--{asked[0].replace('_', '-')} is timed from the go cue, and --no-go has none")
    out: list[Intervention] = []
    if args.bump is not None:
        out.append(perturbations.bump(task, go, *args.bump))
    for flag, make in (("target_jump", perturbations.target_jump), ("cursor_jump", perturbations.cursor_jump)):
        if getattr(args, flag) is not None:
            onset, dx, dy = getattr(args, flag)
            out.append(make(task, go, onset, dx / 100, dy / 100))
    return out


def _protocol(args: argparse.Namespace) -> int:
    from motorkit.protocols import parse_blocks, run_protocol
    from motorkit.training import load_policy

    blocks = parse_blocks(args.blocks)
    start = load_policy(args.checkpoint)
    if args.no_compile:
        start = replace(start, config=replace(start.config, compile=False))
    out = Path(args.out)
    _check_writable_dir(out)
    result = run_protocol(start, blocks, args.eval_every, args.seed, progress=not args.quiet, out=out)
    summary = []
    for block, trained in zip(blocks, result.results):
        last = trained.log.last_evaluation()
        summary.append({"block": block.name, "field": block.field, "batches": block.batches,
                         "out": str(out / block.name), "test_lateral_cm": last["test_lateral_cm"],
                         "test_adaptation_index": last.get("test_adaptation_index")})
    print(json.dumps(summary, indent=2))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from motorkit.bench import format_report, run_benchmarks

    report = run_benchmarks(batch_sizes=args.batch_sizes, repeats=args.repeats, cap_s=args.cap,
                            threads=args.threads, quick=args.quick)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``motorkit`` console script."""
    from motorkit.errors import MotorkitError

    args = _parser().parse_args(argv)
    handler = {"train": _train, "evaluate": _evaluate, "protocol": _protocol, "bench": _bench}[args.command]
    try:
        return handler(args)
    except (MotorkitError, ValueError) as exc:
        print(f"motorkit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"motorkit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
