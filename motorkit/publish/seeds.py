"""The seeds run: the whole book executed again with other seeds, and every claim checked on each.

A chapter's claims must hold for the networks, not for one lucky run. ``python -m motorkit.publish
seeds 1 2`` executes every chapter with ``-p seed S`` into its own build folder
(``<build>/seeds/S/``), runs the science tests (``tests/test_science_*.py``) against each build, and
writes ``<build>/seeds/robustness.json``: per seed, which claims held, and the numbers every chapter
wrote. ``<build>`` is the main build (:func:`motorkit.io.build_dir`: ``_build`` unless
``MOTORKIT_BUILD_DIR`` or ``--build-dir`` says otherwise); it is seed 0's build, checked and reported
too when it exists. A copy of
the report goes to ``book/robustness.json`` when the run covers seeds 0, 1 and 2, so that the
book's appendix can show the last committed run when no seeds run is at hand.

Models are shared: each seed build's model cache is a link to the main build's, so a model that two
builds train with the same configuration (the same seed) is trained once; inductor's compiled
graphs are shared through its own on-disk cache. The command exits non-zero when any claim fails
for any seed.
"""

from __future__ import annotations

import ast
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Sequence

from motorkit.io import build_dir, shown_path
from motorkit.publish.chapters import PublishError
from motorkit.publish.gate import execute_all

#: Where the report is written, under the build folder, and the committed copy the appendix falls back on.
REPORT = Path("seeds") / "robustness.json"
COMMITTED_REPORT = Path("book") / "robustness.json"
#: The seeds a report must hold to replace the committed copy (the book's claims are checked on these).
REQUIRED_SEEDS: tuple[int, ...] = (0, 1, 2)


def seed_build(main: Path, seed: int) -> Path:
    """The build folder of one seed: ``<main>/seeds/<seed>``, in the main build folder ``main``."""
    return (main / "seeds" / str(seed)).resolve()


def share_model_cache(main: Path, build: Path) -> None:
    """Make ``build``'s model cache a link to that of the main build ``main``, so identical models are trained once."""
    shared = (main / "cache").resolve()
    shared.mkdir(parents=True, exist_ok=True)
    link = build / "cache"
    build.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or not link.exists():
        if link.is_symlink():
            link.unlink()
        link.symlink_to(shared, target_is_directory=True)


def claim_texts(root: Path) -> dict[str, str]:
    """The claim each science test asserts (its docstring's first sentence, else its name), by ``<stem>::<test>``."""
    claims = {}
    for path in sorted((root / "tests").glob("test_science_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                named = node.name.removeprefix("test_").replace("_", " ").capitalize()
                doc = " ".join((ast.get_docstring(node) or named).split())
                first = re.split(r"(?<!\.)\.\s+(?=[\"'A-Z])", doc)[0]  # an ellipsis ends no sentence
                claims[f"{path.stem}::{node.name}"] = first.rstrip(".") + "."
    return claims


def science_tests(root: Path, build: Path) -> dict[str, str]:
    """Run the science tests against ``build``; the outcome (passed, failed, skipped) of each test id.

    Test ids are ``<file stem>::<test>[<parameters>]``.
    """
    report = build / "science-tests.xml"
    env = dict(os.environ, MOTORKIT_BUILD_DIR=str(build), MOTORKIT_METRICS_DIR=str(build / "metrics"),
               MOTORKIT_REUSE_BUILD="1")
    tests = [str(p) for p in sorted((root / "tests").glob("test_science_*.py"))]
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *tests],
                   cwd=root, env=env, stdout=subprocess.DEVNULL, check=False)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        stem = case.get("classname", "").rsplit(".", 1)[-1]
        tags = {child.tag for child in case}
        outcome = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        outcomes[f"{stem}::{case.get('name')}"] = outcome
    return outcomes


def chapter_numbers(build: Path) -> dict[str, dict[str, float]]:
    """Every scalar number each chapter wrote to its metrics file, by chapter stem."""
    numbers = {}
    for path in sorted((build / "metrics").glob("*.json")):
        data = json.loads(path.read_text())
        numbers[path.stem] = {k: float(v) for k, v in data.items()
                              if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return numbers


def _seed_of(build: Path) -> int | None:
    """The seed a build was executed with (from its timings; 0 when no chapter got another seed)."""
    timings = build / "executed" / "timings.json"
    if not timings.exists():
        return None
    seeds = {c.get("parameters", {}).get("seed", 0) for c in json.loads(timings.read_text())["chapters"].values()}
    return seeds.pop() if len(seeds) == 1 else None


def _commit(root: Path) -> str:
    """The commit the run was made at, ``+changes`` when the working tree differed from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    if not head.stdout.strip():
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            f":!{COMMITTED_REPORT}"], cwd=root, capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("+changes" if dirty else "")


def _summary(seed_reports: dict[str, dict[str, Any]], claims: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each test id: its claim, its outcome per seed, and whether it held on every seed."""
    ids = sorted({test for r in seed_reports.values() for test in r["tests"]})
    table = {}
    for test in ids:
        outcomes = {seed: r["tests"].get(test, "missing") for seed, r in seed_reports.items()}
        table[test] = {"claim": claims.get(test.split("[")[0], test), "outcomes": outcomes,
                       "held_for_every_seed": all(o in ("passed", "skipped") for o in outcomes.values())}
    return table


def run_seeds(root: Path, seeds: Sequence[int], parameters: dict[str, Any] | None = None,
              timeout: float | None = None, build: Path | None = None, execute: bool = True) -> dict[str, Any]:
    """Execute the book with each of ``seeds``, check every claim on each build, write the report.

    ``build`` is the main build folder (default :func:`motorkit.io.build_dir`): the seed builds go
    into its ``seeds/`` folder and share its model cache, and it holds the report. ``execute=False``
    checks the seed builds already there (after claims were restated and the chapters they touch
    re-executed per seed) without executing every chapter again.
    """
    root = root.resolve()
    main = (build_dir(root) if build is None else build).resolve()
    start = time.perf_counter()
    builds = {}
    for seed in seeds:
        build = seed_build(main, seed)
        if not execute:
            if not (build / "executed" / "timings.json").is_file():
                raise PublishError(f"no executed build of seed {seed} in {shown_path(build, root)} to check: "
                                   "run the seeds without --check-only first")
            builds[str(seed)] = build
            continue
        share_model_cache(main, build)
        print(f"[seeds] seed {seed}: executing every chapter into {shown_path(build, root)}", flush=True)
        execute_all(root, {**(parameters or {}), "seed": seed}, build=build, timeout=timeout)
        builds[str(seed)] = build
    if "0" not in builds and _seed_of(main) == 0:
        builds = {"0": main, **builds}  # the main build is seed 0: check it too
    elif "0" not in builds:
        print(f"[seeds] no seed-0 build in {shown_path(main, root)} to check (run `make execute` first, "
              "or add seed 0)", flush=True)
    reports = {}
    for seed, build in builds.items():
        print(f"[seeds] seed {seed}: science tests against {shown_path(build, root)}", flush=True)
        timings = json.loads((build / "executed" / "timings.json").read_text())
        reports[seed] = {"build": shown_path(build, root), "execute_seconds": timings["total_seconds"],
                         "chapters_ok": {k: v["ok"] for k, v in timings["chapters"].items()},
                         "tests": science_tests(root, build), "numbers": chapter_numbers(build)}
    claims = _summary(reports, claim_texts(root))
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(root),
        "seeds": sorted(int(s) for s in reports),
        "seconds": round(time.perf_counter() - start, 1),
        "all_claims_hold": all(c["held_for_every_seed"] for c in claims.values()),
        "claims": claims,
        "by_seed": reports,
    }
    path = main / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    if set(REQUIRED_SEEDS) <= set(report["seeds"]):
        shutil.copyfile(path, root / COMMITTED_REPORT)
    else:
        print(f"[seeds] {COMMITTED_REPORT} left as it is: it keeps a run with seeds "
              f"{', '.join(map(str, REQUIRED_SEEDS))} (add them to this run to replace it)", flush=True)
    failed = [(test, c["outcomes"]) for test, c in claims.items() if not c["held_for_every_seed"]]
    print(f"[seeds] {len(claims) - len(failed)} of {len(claims)} claims held for seeds "
          f"{', '.join(map(str, report['seeds']))} ({report['seconds'] / 60:.1f} min); report: {shown_path(path, root)}")
    for test, outcomes in failed:
        bad = [s for s, o in outcomes.items() if o not in ("passed", "skipped")]
        print(f"[seeds]   FAILED for seed {', '.join(bad)}: {test}")
    return report


# --------------------------------------------------------------------------------------------------
# Reading a report, for the appendix page "How robust are these results?"

#: The numbers the appendix tabulates per chapter: (metrics key, what it is).
KEY_NUMBERS: dict[str, list[tuple[str, str]]] = {
    "02_null_field": [
        ("null_endpoint_error_cm", "arm: endpoint error (cm)"),
        ("pointmass_null_endpoint_error_cm", "point mass: endpoint error (cm)"),
        ("null_abs_lateral_cm", "arm: mean |lateral deviation| (cm)"),
        ("null_abs_lateral_max_cm", "arm: largest |lateral deviation| (cm)"),
        ("speed_bell_r2_min", "arm: lowest bell fit R²"),
        ("peak_speed_m_s", "arm: peak speed (m/s)"),
        ("movement_time_max_s", "arm: longest movement time (s)"),
        ("gen_book_max_cm", "arm, generalization set: worst endpoint error (cm)"),
        ("gen_poster_other_min_cm", "poster-style arm, other postures: smallest endpoint error (cm)"),
        ("pre_cue_drift_cm", "arm: drift before the go cue (cm)"),
        ("no_go_drift_cm", "arm: drift on no-go trials (cm)"),
        ("rt_ms", "arm: reaction time from the cue (ms)"),
        ("scatter_cm", "arm: endpoint scatter over noisy repeats (cm)"),
        ("parts_recipe_cw_end_cm", "arm, first CW exposure: endpoint error (cm)"),
        ("parts_no_pushes_cw_end_cm", "arm trained without pushes, first CW exposure: endpoint error (cm)"),
    ],
    "03_adaptation": [
        ("cw_first_exposure_lateral_cm", "arm, CW: first exposure (cm)"),
        ("ccw_first_exposure_lateral_cm", "arm, CCW: first exposure (cm)"),
        ("cw_adapted_fraction", "arm, CW: deviation left after learning"),
        ("ccw_adapted_fraction", "arm, CCW: deviation left after learning"),
        ("cw_aftereffect_ratio", "arm, CW: after-effect / first exposure"),
        ("ccw_aftereffect_ratio", "arm, CCW: after-effect / first exposure"),
        ("cw_first_exposure_peak_force_N", "arm, CW: peak field force (N)"),
        ("aftereffect_size_ratio", "arm: smaller over larger after-effect, CW vs CCW"),
    ],
    "04_loss_analysis": [
        ("cw_final_loss", "CW adaptation: final distance term of the loss (cm)"),
        ("ccw_final_loss", "CCW adaptation: final distance term of the loss (cm)"),
        ("batch_gain_mean_cm", "batch-size study: final loss, smallest minus largest batch (cm)"),
    ],
    "05_pca": [
        ("rotation_fraction", "rotational fraction of the dynamics"),
        ("pca_end_decoding_r2_pc2", "end states: decoding R² from 2 PCs"),
        ("potent_delay", "delay: output-potent share of the activity"),
        ("potent_movement", "movement: output-potent share of the activity"),
        ("align_movement_in_delay", "movement activity in the delay's subspace (alignment index)"),
    ],
    "06_interventions": [
        ("perturb_pc_vs_random_ratio", "pulses: top-PC over random effect"),
        ("shift_transplant_cw_lateral_cm", "transplanted CW shift: lateral deviation (cm)"),
        ("perturb_recovered_fraction", "pulses: fraction of trials that recover"),
        ("ablate_top3_units_endpoint_error_cm", "3 most variable units silenced: endpoint error (cm)"),
        ("ablate_random3_units_endpoint_error_cm", "3 random units silenced: endpoint error (cm, median)"),
    ],
    "07_generalization": [
        ("adaptation_index_naive", "null-field network: adaptation index on channel trials"),
        ("adaptation_index_cw", "CW network: adaptation index on channel trials"),
        ("direction_half_width_deg", "one practised direction: half-width of generalization (deg)"),
        ("workspace_aftereffect_error_extrinsic_cm", "after-effects at B, from the extrinsic prediction (cm)"),
        ("workspace_aftereffect_error_intrinsic_cm", "after-effects at B, from the intrinsic prediction (cm)"),
        ("workspace_index_at_a", "adaptation index at posture A (one-posture recipe)"),
        ("late_go_endpoint_error_cm", "go cue later than any trained: endpoint error (cm)"),
        ("direction_catch_unpractised_ch3_cm", "chapter 3's recipe on one direction: after-effects elsewhere (cm)"),
        ("direction_catch_unpractised_gentle_cm", "gentle recipe on one direction: after-effects elsewhere (cm)"),
    ],
    "08_savings": [
        ("savings_ratio", "savings: FF1 over FF2 batches to criterion"),
        ("savings_ratio_long_washout", "savings after the longer washout"),
        ("nf2_shift_fraction_remaining", "fraction of FF1's preparatory shift left after washout"),
        ("savings_ratio_shift_removed", "savings with the shift removed"),
        ("interference_ratio", "CCW after CW over CCW alone, batches to criterion"),
        ("ff1_early_rate_mean", "FF1: early rate (share of the excess error per batch)"),
        ("ff2_early_rate_mean", "FF2: early rate (share of the excess error per batch)"),
        ("two_state_slow_share_ff1", "two-state model: slow share at the end of FF1"),
        ("two_state_a_fast", "two-state model: fast retention a_f"),
        ("two_state_a_slow", "two-state model: slow retention a_s"),
    ],
}


def load_report(root: Path, build: Path | None = None) -> tuple[dict[str, Any] | None, str]:
    """The latest seeds report and where it came from: the run in ``build``, else the committed copy.

    ``build`` defaults to :func:`motorkit.io.build_dir` (in a chapter kernel, the build executing it).
    ``(None, "none")`` when there is neither (run ``make seeds``).
    """
    for path, source in (((build_dir(root) if build is None else build) / REPORT, "the seeds run in this build"),
                         (root / COMMITTED_REPORT, "the last committed seeds run")):
        if path.exists():
            return json.loads(path.read_text()), source
    return None, "none"


def number_rows(report: dict[str, Any]) -> list[list[Any]]:
    """One row per key number: chapter number, what it is, its value for each seed, mean and sd over seeds."""
    import numpy as np

    seeds = [str(s) for s in report["seeds"]]
    rows = []
    for stem, keys in KEY_NUMBERS.items():
        for key, label in keys:
            values = [report["by_seed"][s]["numbers"].get(stem, {}).get(key, float("nan")) for s in seeds]
            finite = np.array([v for v in values if np.isfinite(v)])
            sd = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
            chapter = str(int(stem.split("_", 1)[0]))
            rows.append([chapter, label, *values, float(finite.mean()) if finite.size else float("nan"), sd])
    return rows


#: The chapters whose claims each science test file asserts.
TEST_CHAPTERS: dict[str, str] = {"test_science_null_field": "2", "test_science_adaptation": "3",
                                 "test_science_loss": "4", "test_science_hidden": "5-6",
                                 "test_science_generalization": "7", "test_science_savings": "8"}


def claim_rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per tested claim: chapters, the claim (and its case), yes/no per seed, yes/no for all."""
    seeds = [str(s) for s in report["seeds"]]
    rows = []
    for test, claim in sorted(report["claims"].items()):
        stem, name = test.split("::", 1)
        case = f" [{name.split('[', 1)[1]}" if "[" in name else ""
        marks = ["yes" if claim["outcomes"].get(s) in ("passed", "skipped") else "NO" for s in seeds]
        rows.append([TEST_CHAPTERS.get(stem, stem), claim["claim"] + case, *marks,
                     "yes" if claim["held_for_every_seed"] else "NO"])
    return sorted(rows, key=lambda row: row[0])  # by chapter (stable: tests in name order within)
