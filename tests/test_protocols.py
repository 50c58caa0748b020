"""Block protocols: specs are read or refused in one line; blocks chain through the model cache."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from motorkit.protocols import Block, block_configs, parse_blocks, run_protocol
from motorkit.modelcache import cache_dir, train_cached
from motorkit.training import TrainConfig

SMALL = TrainConfig(batch_size=16, batches=2, duration=0.2, eval_every=1, compile=False)


def test_parse_blocks_reads_names_fields_batches_rates_and_catch_trials() -> None:
    blocks = parse_blocks("FF1=cw:200, NF2=null:150@3e-4  FF2=cw:200~0.1 EC=channel:20")
    assert [b.name for b in blocks] == ["FF1", "NF2", "FF2", "EC"]
    assert blocks[0] == Block("FF1", "cw", 200)
    assert blocks[1].lr == 3e-4 and blocks[1].field == "null" and blocks[1].batches == 150
    assert blocks[2].catch_fraction == 0.1 and blocks[3].field == "channel"


@pytest.mark.parametrize("spec, message", [
    ("", "at least one block"),
    ("FF1=cw", "cannot read block"),
    ("FF1=sideways:10", "unknown field"),
    ("FF1=cw:0", "positive count"),
    ("FF1=cw:10 FF1=null:10", "must differ"),
    ("NF=null:10~0.2", "catch trials"),
    ("FF1=cw:10@1e-3e", "cannot read the numbers"),
])
def test_bad_specs_are_refused_with_the_faulty_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_blocks(spec)


def test_blocks_chain_through_the_cache_and_log_learning_curves(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MOTORKIT_BUILD_DIR", str(tmp_path))
    start = train_cached(SMALL, progress=False)
    blocks = parse_blocks("FF1=cw:2 NF2=null:3@3e-4")
    configs = block_configs(start, blocks)
    assert configs[0].init == str(start.out) and configs[1].init == str(cache_dir(configs[0]))
    assert configs[1].lr == configs[1].lr_final == 3e-4 and configs[0].field == "cw"
    first = run_protocol(start, blocks, progress=False)
    batches, lateral, which = first.curve()
    assert batches.tolist() == [1, 2, 3, 4, 5] and which.tolist() == [0, 0, 1, 1, 1]
    assert all(math.isfinite(v) for v in lateral)
    index_batches, _, _ = first.curve("test_adaptation_index")
    # the channel probe: against FF1's own field, and in the washout against the protocol's curl field
    assert index_batches.tolist() == [1, 2, 3, 4, 5]
    assert configs[0].probe_field == "" and configs[1].probe_field == "cw"
    again = run_protocol(start, blocks, progress=False)  # from the cache: the same networks
    assert again.result("NF2").log == first.result("NF2").log
    with pytest.raises(KeyError, match="no block"):
        first.result("FF9")
    with pytest.raises(ValueError, match="checkpoint folder"):
        block_configs(replace(start, out=None), blocks)
