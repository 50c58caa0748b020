"""The command line: a real train/evaluate run, and one clear line for every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from motorkit.checkpoints import load_checkpoint
from motorkit.cli import main
from motorkit.recipes import null_config
from motorkit.rollouts import Rollout
from motorkit.training import TrainConfig


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motorkit.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An arm26 policy trained by the CLI with the book's recipe to < 1 cm test-set endpoint error: the
    flags left out are the recipe's."""
    out = tmp_path_factory.mktemp("cli") / "null"
    proc = _run("train", "--effector", "arm26", "--field", "null", "--target-error-cm", "1.0",
                "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["test_endpoint_error_cm"] < 1.0
    saved = TrainConfig.from_dict(load_checkpoint(out)["config"])
    assert saved == replace(null_config("arm26"), target_error_cm=1.0)
    return out


def test_train_reaches_criterion_and_evaluate_writes_the_rollout(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "null.npz"
    proc = _run("evaluate", str(trained), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["endpoint_error_cm"] < 1.0 and len(metrics["per_target"]["endpoint_error_cm"]) == 8
    record = Rollout.load(out)
    assert record.hand.shape == (8, 201, 2) and record.hidden.shape == (8, 201, 64)  # 2 s of 10 ms steps
    assert json.loads(out.with_suffix(".json").read_text())["config"]["field"] == "null"


def test_evaluate_from_another_start_at_another_distance(trained: Path, tmp_path: Path) -> None:
    out = tmp_path / "moved.npz"
    proc = _run("evaluate", str(trained), "--start-deg", "45", "75", "--reach", "0.05", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    record = Rollout.load(out)
    assert record.hand.shape == (8, 201, 2)  # the file's contract is unchanged
    np.testing.assert_allclose(np.rad2deg(record.joint[:, 0, :2]), [[45.0, 75.0]] * 8, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(record.target - record.hand[:, 0], axis=-1), 0.05, rtol=1e-5)


def test_first_exposure_to_cw_hooks_clockwise_and_catch_trials_switch_it_off(trained: Path, tmp_path: Path) -> None:
    proc = _run("evaluate", str(trained), "--field", "cw", "--out", str(tmp_path / "cw.npz"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["lateral_deviation_cm"] < 0  # CW pushes to the right of the movement
    proc = _run("evaluate", str(trained), "--field", "cw", "--catch", "--out", str(tmp_path / "catch.npz"))
    assert proc.returncode == 0, proc.stderr
    assert np.all(Rollout.load(tmp_path / "catch.npz").endpoint_load == 0)


def test_fine_tune_from_checkpoint_in_cw(trained: Path, tmp_path: Path) -> None:
    proc = _run("train", "--effector", "arm26", "--field", "cw", "--init", str(trained), "--batches", "2",
                "--batch-size", "8", "--no-compile", "--quiet", "--out", str(tmp_path / "cw"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "cw" / "config.json").read_text())["config"]["init"] == str(trained.resolve())


def test_channel_trials_report_the_adaptation_index_and_training_narrows_to_a_posture(trained: Path,
                                                                                     tmp_path: Path) -> None:
    proc = _run("evaluate", str(trained), "--field", "channel", "--out", str(tmp_path / "channel.npz"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert abs(summary["adaptation_index_cw"]) < 0.2  # a naive network predicts no field
    assert summary["adaptation_index_ccw"] == pytest.approx(-summary["adaptation_index_cw"])
    assert abs(summary["lateral_deviation_cm"]) < 0.2 and summary["peak_channel_force_n"] > 0  # held on the line
    proc = _run("evaluate", str(trained), "--field", "channel", "--viscosity", "-10.1", "-11.2", "-11.2", "11.1",
                "--out", str(tmp_path / "channel.npz"))
    assert proc.returncode == 0, proc.stderr
    assert abs(json.loads(proc.stdout)["adaptation_index_viscous"]) < 0.2
    proc = _run("train", "--effector", "arm26", "--field", "cw", "--init", str(trained), "--batches", "2",
                "--batch-size", "8", "--no-compile", "--quiet", "--starts", "fixed", "--start-deg", "45", "100",
                "--directions", "90", "--channel-probe", "--out", str(tmp_path / "one"))
    assert proc.returncode == 0, proc.stderr
    config = json.loads((tmp_path / "one" / "config.json").read_text())["config"]
    assert config["start"] == [45.0, 100.0] and config["directions"] == [90.0] and config["channel_probe"]
    log = json.loads((tmp_path / "one" / "log.json").read_text())["log"]
    assert "test_adaptation_index" in log[-1]


def test_protocol_trains_blocks_in_order_from_a_checkpoint(trained: Path, tmp_path: Path) -> None:
    proc = _run("protocol", str(trained), "--blocks", "FF1=cw:2 NF2=null:2@3e-4", "--eval-every", "1",
                "--no-compile", "--quiet", "--out", str(tmp_path / "savings"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert [row["block"] for row in summary] == ["FF1", "NF2"]
    # the washout's adaptation index is measured against the protocol's curl field (it shows the index fading)
    assert all(isinstance(row["test_adaptation_index"], float) for row in summary)
    second = json.loads((tmp_path / "savings" / "NF2" / "config.json").read_text())["config"]
    assert second["init"] == str(tmp_path / "savings" / "FF1") and second["lr"] == 3e-4
    assert second["probe_field"] == "cw"


def test_a_delayed_noisy_network_is_evaluated_at_any_cue_or_none_and_the_seed_fixes_the_noise(tmp_path: Path) -> None:
    out = tmp_path / "delayed"
    proc = _run("train", "--effector", "pointmass", "--field", "null", "--batches", "3", "--duration", "0.6",
                "--delay", "0.1", "0.3", "--no-go-fraction", "0.3", "--hold-weight", "4", "--command-noise", "0.1",
                "--hidden-noise", "0.05", "--vision-noise", "0.001", "--push-fraction", "0.5",
                "--push-force", "0", "3", "--push-duration", "0.05", "0.1", "--no-compile", "--quiet",
                "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["no_go_fraction"] == 0.3 and config["push_force"] == [0.0, 3.0] and config["hidden_noise"] == 0.05
    records = {}
    for name, flags in {"default": [], "again": [], "late": ["--go-ms", "250"], "none": ["--no-go"]}.items():
        proc = _run("evaluate", str(out), "--seed", "7", *flags, "--out", str(tmp_path / f"{name}.npz"))
        assert proc.returncode == 0, proc.stderr
        records[name] = (Rollout.load(tmp_path / f"{name}.npz"),
                         json.loads((tmp_path / f"{name}.json").read_text())["config"])
    assert records["default"][1]["go_step"] == [20] * 8  # the middle of 0.1-0.3 s
    assert records["late"][1]["go_step"] == [25] * 8 and records["none"][1]["no_go"] == [True] * 8
    np.testing.assert_array_equal(records["default"][0].hand, records["again"][0].hand)  # the seed fixes the noise
    # one seed, one noise: the runs differ only from where their flags differ (the cue, seen a vision delay later)
    np.testing.assert_array_equal(records["default"][0].hand[:, :22], records["late"][0].hand[:, :22])
    assert not np.array_equal(records["default"][0].hand, records["late"][0].hand)
    np.testing.assert_array_equal(records["late"][0].hand[:, :27], records["none"][0].hand[:, :27])
    proc = _run("evaluate", str(out), "--go-ms", "900", "--out", str(tmp_path / "x.npz"))
    assert proc.returncode == 1 and "past the 600 ms episode" in proc.stderr


def test_perturbed_evaluations_differ_from_the_plain_one_only_from_the_perturbation(trained: Path,
                                                                                       tmp_path: Path) -> None:
    """--bump, --target-jump and --cursor-jump, timed from the go cue: with one --seed, the records are
    equal up to where the perturbation reaches the loop, and the rollout file says what was applied."""
    flags = {"plain": [], "bump": ["--bump", "100", "80", "4", "90"], "target": ["--target-jump", "0", "3", "0"],
             "cursor": ["--cursor-jump", "150", "0", "2"]}
    records = {}
    for name, extra in flags.items():
        proc = _run("evaluate", str(trained), "--seed", "5", *extra, "--out", str(tmp_path / f"{name}.npz"))
        assert proc.returncode == 0, proc.stderr
        records[name] = (Rollout.load(tmp_path / f"{name}.npz"),
                         json.loads((tmp_path / f"{name}.json").read_text())["config"])
    plain, config = records["plain"]
    go, lag = config["go_step"][0], round(config["vision_delay"] / config["dt"])
    assert config["perturbations"] == []
    bumped, applied = records["bump"]
    assert applied["perturbations"] == [{"kind": "Bump", "steps": {"from": go + 10, "to": go + 18},
                                         "offset": pytest.approx([0.0, 4.0], abs=1e-6)}]
    np.testing.assert_array_equal(bumped.hand[:, :go + 11], plain.hand[:, :go + 11])
    np.testing.assert_allclose((bumped.endpoint_load - plain.endpoint_load)[:, go + 10:go + 18, 1], 4.0, atol=1e-5)
    jumped, applied = records["target"]
    assert applied["perturbations"][0]["steps"] == {"from": go + lag, "to": None}
    np.testing.assert_array_equal(jumped.hidden[:, :go + lag + 1], plain.hidden[:, :go + lag + 1])
    np.testing.assert_allclose(jumped.target - plain.target, np.broadcast_to([0.03, 0.0], (8, 2)), atol=1e-6)
    shifted, applied = records["cursor"]
    assert applied["perturbations"][0]["kind"] == "CursorJump"
    seen = go + 15 + lag  # the shift reaches the eye at 150 ms and the network a visual delay later
    np.testing.assert_array_equal(shifted.hidden[:, :seen + 1], plain.hidden[:, :seen + 1])
    assert not np.array_equal(shifted.hidden[:, seen + 1], plain.hidden[:, seen + 1])
    for name in ("bump", "target", "cursor"):
        assert not np.array_equal(records[name][0].hand, plain.hand)


def _one_line_error(capsys: pytest.CaptureFixture, code: int, expected: str, *argv: str) -> None:
    with pytest.raises(SystemExit) if code == 2 else _nullcontext():
        rc = main(list(argv))
        assert rc == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err and "Traceback" not in err


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


@pytest.mark.parametrize("argv, expected", [
    (["train", "--effector", "leg", "--field", "null", "--out", "x"], "invalid choice: 'leg'"),
    (["train", "--effector", "arm26", "--field", "sideways", "--out", "x"], "invalid choice: 'sideways'"),
    (["train", "--effector", "arm26", "--field", "cw", "--batches", "0", "--out", "x"], "positive count"),
    (["train", "--effector", "arm26", "--field", "cw", "--batch-size", "-4", "--out", "x"], "positive count"),
    (["train", "--effector", "arm26", "--field", "cw", "--strength", "-8", "--out", "x"], ">= 0"),
    (["evaluate"], "the following arguments are required"),
    (["evaluate", "x", "--start-deg", "45", "--out", "r.npz"], "expected 2 arguments"),
    (["evaluate", "x", "--start-deg", "45", "75", "--start-xy", "0", "0", "--out", "r.npz"], "not allowed with"),
    (["evaluate", "x", "--reach", "-0.1", "--out", "r.npz"], ">= 0"),
    (["evaluate", "x", "--go-ms", "100", "--no-go", "--out", "r.npz"], "not allowed with"),
    (["evaluate", "x", "--bump", "100", "50", "4", "--out", "r.npz"], "expected 4 arguments"),
    (["evaluate", "x", "--target-jump", "100", "1", "--out", "r.npz"], "expected 3 arguments"),
    (["evaluate", "x", "--cursor-jump", "100", "1", "nan", "--out", "r.npz"], "expected a finite number"),
    (["train", "--effector", "arm26", "--field", "null", "--push-force", "1", "--out", "x"], "expected 2 arguments"),
    (["protocol", "x", "--out", "d"], "the following arguments are required: --blocks"),
    (["train", "--effector", "arm26", "--field", "cw", "--directions", "--out", "x"], "expected at least one"),
    (["train", "--effector", "arm26", "--field", "null", "--starts", "everywhere", "--out", "x"], "invalid choice"),
])
def test_bad_arguments_get_one_line(capsys: pytest.CaptureFixture, argv: list[str], expected: str) -> None:
    _one_line_error(capsys, 2, expected, *argv)


def test_bad_files_get_one_line_and_nothing_is_written(capsys, tmp_path: Path, trained: Path) -> None:
    out = tmp_path / "r.npz"
    _one_line_error(capsys, 1, "no motorkit checkpoint", "evaluate", str(tmp_path / "nope"), "--out", str(out))
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "checkpoint.pt").write_bytes(b"\x00garbage")
    _one_line_error(capsys, 1, "corrupt checkpoint", "evaluate", str(corrupt), "--out", str(out))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    torch.save({"state_dict": {}}, foreign / "checkpoint.pt")
    _one_line_error(capsys, 1, "not a motorkit checkpoint", "evaluate", str(foreign), "--out", str(out))
    _one_line_error(capsys, 1, "must be a .npz", "evaluate", str(trained), "--out", str(tmp_path / "r.txt"))
    _one_line_error(capsys, 1, "does not exist", "evaluate", str(trained), "--out", str(tmp_path / "no" / "r.npz"))
    _one_line_error(capsys, 1, "outside the arm26's joint limits", "evaluate", str(trained), "--start-deg", "200", "90",
                    "--out", str(out))
    _one_line_error(capsys, 1, "cannot read block", "protocol", str(trained), "--blocks", "FF1=cw",
                    "--out", str(tmp_path / "p"))
    _one_line_error(capsys, 1, "needs its matrix", "train", "--effector", "arm26", "--field", "viscous",
                    "--out", str(tmp_path / "viscous"))
    _one_line_error(capsys, 1, "--start-deg does not apply to the pointmass", "train", "--effector", "pointmass",
                    "--field", "cw", "--start-deg", "45", "90", "--out", str(tmp_path / "pm"))
    _one_line_error(capsys, 1, "outside the arm26's joint limits", "train", "--effector", "arm26", "--field", "cw",
                    "--starts", "fixed", "--start-deg", "45", "190", "--out", str(tmp_path / "limits"))
    _one_line_error(capsys, 1, "does not apply to the arm26", "evaluate", str(trained), "--start-xy", "0", "0",
                    "--out", str(out))
    _one_line_error(capsys, 1, "leaves the arm26's reachable workspace", "evaluate", str(trained), "--reach", "0.5",
                    "--out", str(out))
    _one_line_error(capsys, 1, "reach must be > 0", "evaluate", str(trained), "--reach", "0", "--out", str(out))
    _one_line_error(capsys, 1, "--bump is timed from the go cue, and --no-go has none", "evaluate", str(trained),
                    "--no-go", "--bump", "100", "50", "4", "0", "--out", str(out))
    _one_line_error(capsys, 1, "falls outside the 2000 ms episode", "evaluate", str(trained), "--target-jump", "3000",
                    "1", "0", "--out", str(out))
    _one_line_error(capsys, 1, "a bump needs a duration > 0 ms", "evaluate", str(trained), "--bump", "100", "0", "4",
                    "0", "--out", str(out))
    _one_line_error(capsys, 1, "cannot write", "train", "--effector", "arm26", "--field", "cw", "--out",
                    "/proc/motorkit-cannot-write")
    _one_line_error(capsys, 1, "no motorkit checkpoint", "train", "--effector", "arm26", "--field", "cw",
                    "--init", str(tmp_path / "nope"), "--out", str(tmp_path / "ft"))
    if not torch.cuda.is_available():
        _one_line_error(capsys, 1, "CUDA is not available", "train", "--effector", "arm26", "--field", "cw",
                        "--device", "cuda", "--out", str(tmp_path / "gpu"))
    assert not out.exists() and not (tmp_path / "ft").exists() and not (tmp_path / "gpu").exists()


def test_errors_have_no_traceback_from_the_console_script(tmp_path: Path) -> None:
    proc = _run("evaluate", str(tmp_path / "missing"), "--out", str(tmp_path / "r.npz"))
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_bench_quick_reports_both_loops() -> None:
    proc = _run("bench", "--quick", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [e["batch_size"] for e in report["throughput"]] == [16, 16]  # 64 and 256, made tiny by --quick
    for entry in report["throughput"]:
        assert entry["motornet_s_per_batch"] > 0 and entry["ratio"] > 0
        assert entry["motornet_threads"] in (1, 2) and entry["motorkit_processes"] in (1, 2)
        assert set(entry["tried"]["motorkit_s_by_processes"]) == {"1", "2"}  # one process and two were timed
    assert 0 < report["flop_fraction"]["fraction"] < 1
    assert [e["networks"] for e in report["ensemble"]] == [1, 4]  # 1, 4 and 8, made short by --quick
    four = report["ensemble"][1]
    assert four["networks_per_process"] == [2, 2] and four["ensemble_s_per_batch"] > 0
    assert four["speedup"] == pytest.approx(four["separate_s_per_batch"] / four["ensemble_s_per_batch"])
    for who in ("motorkit", "motornet"):
        assert report["time_to_criterion"][who]["batches"] >= 1
