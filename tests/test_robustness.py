"""The seeds run's report and the appendix built from it ("How robust are these results?").

The seeds run itself (``python -m motorkit.publish seeds``) is tested on a toy project in
``test_publish.py``; here: the committed report covers seeds 0, 1 and 2 and today's claims, every
claim held for every seed, and the appendix shows the report it found.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motorkit.publish import seeds

ROOT = Path(__file__).resolve().parents[1]


def test_committed_report_covers_three_seeds_and_every_claim_of_today() -> None:
    """book/robustness.json: seeds 0, 1 and 2, every science test that exists now, all held."""
    report = json.loads((ROOT / seeds.COMMITTED_REPORT).read_text())
    assert {0, 1, 2} <= set(report["seeds"])
    tested = {test.split("[")[0] for test in report["claims"]}
    missing = set(seeds.claim_texts(ROOT)) - tested
    assert not missing, f"claims added since the last seeds run (run `make seeds`): {sorted(missing)}"
    failed = [t for t, c in report["claims"].items() if not c["held_for_every_seed"]]
    assert not failed, f"claims that failed for some seed: {failed}"
    assert report["all_claims_hold"]


def test_number_and_claim_rows_have_a_column_per_seed() -> None:
    report = json.loads((ROOT / seeds.COMMITTED_REPORT).read_text())
    n = len(report["seeds"])
    rows = seeds.number_rows(report)
    assert len(rows) == sum(len(keys) for keys in seeds.KEY_NUMBERS.values())
    assert all(len(r) == 2 + n + 2 for r in rows)
    claims = seeds.claim_rows(report)
    assert all(len(r) == 2 + n + 1 for r in claims) and len(claims) == len(report["claims"])
    assert {r[0] for r in claims} <= set(seeds.TEST_CHAPTERS.values())  # every test file is mapped to chapters


@pytest.mark.slow
def test_appendix_shows_the_report_it_found(chapter_metrics) -> None:
    m = chapter_metrics("90_robustness")
    report, source = seeds.load_report(ROOT)
    assert (m["source"], m["commit"], m["date"], m["seeds"]) == (source, report["commit"], report["date"],
                                                                  report["seeds"])
    assert m["n_claims"] == len(report["claims"]) > 0
    assert m["n_held"] == sum(c["held_for_every_seed"] for c in report["claims"].values())
