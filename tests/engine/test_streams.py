"""Random streams: one number per stream, and the numbers a seed has always meant."""

from __future__ import annotations

import numpy as np

from initscope.engine.streams import Stream, layer_rng

# The numbers snapshots were written with: renumbering a stream changes every result of a seed.
HISTORICAL = {
    "WEIGHTS": 0,
    "BIAS": 1,
    "INPUT": 2,
    "READOUT": 3,
    "RACE_WEIGHTS": 10,
    "RACE_BIAS": 11,
    "DATA": 12,
    "ORDER": 13,
    "TEACHER": 14,
    "SUBSET": 15,
    "PROBE": 16,
}


def test_every_stream_has_its_own_number() -> None:
    values = [int(s) for s in Stream]
    assert len(set(values)) == len(values)


def test_stream_numbers_are_the_historical_ones() -> None:
    assert {s.name: int(s) for s in Stream} == HISTORICAL


def test_layer_rng_draws_what_the_spawn_key_gives() -> None:
    for stream in Stream:
        for seed, index in ((0, 0), (7, 3), (2**40, 12)):
            direct = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(int(stream), index))))
            assert np.array_equal(layer_rng(seed, stream, index).standard_normal(8), direct.standard_normal(8))


def test_streams_are_independent() -> None:
    a = layer_rng(0, Stream.WEIGHTS, 1).standard_normal(64)
    b = layer_rng(0, Stream.BIAS, 1).standard_normal(64)
    c = layer_rng(0, Stream.WEIGHTS, 2).standard_normal(64)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
