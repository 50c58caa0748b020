"""Publish the book: execute every chapter with papermill, then build the HTML book from the executed copies.

The command line of :mod:`motorkit.publish` (``python -m motorkit.publish``, the Makefile's targets)::

    python -m motorkit.publish                    # execute every chapter, then build the HTML
    python -m motorkit.publish execute -p seed 1  # only execute (parameters go to every chapter)
    python -m motorkit.publish execute --only 01_effectors
    python -m motorkit.publish build              # only render <build>/executed into <build>/html
    python -m motorkit.publish check              # every chapter has exactly one `parameters` cell
    python -m motorkit.publish vendor             # npm ci, then copy the widget manager and MathJax
    python -m motorkit.publish seeds 1 2          # every chapter with other seeds, claims checked
    python -m motorkit.publish student            # the student edition into <build>/student (no solutions)
    python -m motorkit.publish course             # this build's run times into book/course_times.json
    python -m motorkit.publish lab --no-browser   # JupyterLab on a working copy (motorkit.publish.lab)

``<build>`` is the build folder, one for every command but ``lab``: ``--build-dir DIR``, else
``$MOTORKIT_BUILD_DIR``, else ``_build`` in the project root (:func:`motorkit.io.build_dir`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from motorkit.io import build_dir, shown_path
from motorkit.publish import lab
from motorkit.publish.chapters import PARAMETERS_TAG, PublishError, check
from motorkit.publish.course import write_snapshot
from motorkit.publish.gate import build, execute_all, raise_for_failures, vendor
from motorkit.publish.seeds import run_seeds
from motorkit.publish.student import write_student


def _value(text: str) -> Any:
    """Read a ``-p`` value the way papermill's command line does: int, float, bool, None, else string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None, "null": None}.get(text.lower(), text)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``python -m motorkit.publish``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["lab"]:  # its own options, and jupyter lab's passed through
        return lab.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m motorkit.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="all",
                        choices=("all", "execute", "build", "check", "vendor", "seeds", "student", "course", "lab"))
    parser.add_argument("seeds", nargs="*", type=int, metavar="SEED",
                        help="with 'seeds': the seeds to execute the book with (e.g. 1 2)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a parameters-cell value in every executed chapter")
    parser.add_argument("--only", action="append", default=[], metavar="STEM",
                        help="execute only this chapter (repeatable), e.g. --only 01_effectors")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per cell (default: none)")
    parser.add_argument("--no-strict", action="store_true", help="do not fail the build on Sphinx warnings")
    parser.add_argument("--check-only", action="store_true",
                        help="with 'seeds': check the seed builds already executed, without executing them "
                             "again (after restating claims and re-executing the chapters they touch)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    parser.add_argument("--build-dir", type=Path, default=None, metavar="DIR",
                        help="the build folder, as MOTORKIT_BUILD_DIR=DIR (default: $MOTORKIT_BUILD_DIR, "
                             "else <root>/_build)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = build_dir(root) if args.build_dir is None else args.build_dir.resolve()
    parameters = {name: _value(value) for name, value in args.parameter}
    if args.command == "lab":
        parser.error("'lab' comes first: python -m motorkit.publish lab [options]")
    if args.seeds and args.command != "seeds":
        parser.error("seed numbers go with the 'seeds' command only")
    if args.check_only and args.command != "seeds":
        parser.error("--check-only goes with the 'seeds' command only")
    try:
        if args.command == "seeds":
            if not args.seeds:
                parser.error("'seeds' needs at least one seed, e.g. python -m motorkit.publish seeds 1 2")
            report = run_seeds(root, args.seeds, parameters, args.timeout, build=out, execute=not args.check_only)
            return 0 if report["all_claims_hold"] else 1
        if args.command == "check":
            print(f"[publish] {len(check(root))} chapter notebook(s), each with one '{PARAMETERS_TAG}' cell")
        if args.command == "vendor":
            print(f"[publish] vendored into {vendor(root, out)}")
        if args.command == "course":
            print(f"[publish] run times of this build merged into {write_snapshot(root, out)} (commit it)")
        if args.command == "student":
            written = write_student(root, out / "student")
            print(f"[publish] student edition: {len(written)} chapter(s) in {written[0].parent if written else '-'}")
        if args.command in ("all", "execute"):
            raise_for_failures(execute_all(root, parameters, args.only, args.timeout, build=out))
        if args.command in ("all", "build"):
            index = build(root, strict=not args.no_strict, build=out)
            print(f"[publish] the book is ready: open {shown_path(index, root)}")
    except PublishError as exc:
        print(f"[publish] ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0
