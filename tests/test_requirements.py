"""The pins: requirements.txt is exact, torch is the pinned CPU version, environment.yml mirrors it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines: list[str]) -> list[str]:
    """Requirement lines, without comments and blanks."""
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def test_requirements_are_exact_pins() -> None:
    """Every line of requirements.txt is `name==version`; torch is 2.13.0; motorkit is not in it."""
    pins = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+\-]+", p) for p in pins), pins
    assert "torch==2.13.0" in pins
    assert not any(p.lower().startswith("motorkit") for p in pins)
    for name in ("motornet==0.3.0", "jupyter-book==1.0.4.post1", "papermill==2.7.0", "myst-nb==1.4.0"):
        assert name in pins


def test_environment_yml_mirrors_requirements() -> None:
    """environment.yml: Python 3.11, Node.js, and exactly the pins of requirements.txt under pip."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    assert any(str(d).startswith("nodejs") for d in deps)
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert pip == _pins((ROOT / "requirements.txt").read_text().splitlines())
