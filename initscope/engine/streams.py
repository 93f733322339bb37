"""Every random stream initscope draws from, in one place.

A draw is made from the Generator of (seed, stream, index): PCG64 seeded by SeedSequence(seed,
spawn_key=(stream, index)). Streams are independent, so changing how one is used (a deeper net, another
input, a longer race) never shifts the numbers of another: layer 3's weights are the same at depth 3 and
at depth 300, and every contender of a race sees the same data and mini-batch order.

The numbers are part of what a seed means: changing one changes every result of that seed (snapshots
record the seed, not the draws), so a new stream takes a new number and the existing ones stay.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """What a stream draws; `index` says which draw of it (the layer, the epoch, ...)."""

    # The explorer and `initscope run` (engine/propagate.py, network.py, jacobian.py, ensemble.py).
    WEIGHTS = 0
    """Layer (or dense layer) k's weights, index k from 1."""
    BIAS = 1
    """Layer k's bias, index k."""
    INPUT = 2
    """The generated input batch, index 0 (rows in order, so row 0 does not depend on the batch size)."""
    READOUT = 3
    """The unit-Gaussian gradient sent down from the top, index 0."""
    # The training race (engine/training/): 10 and up.
    RACE_WEIGHTS = 10
    """A contender's layer k's weights (the readout included), index k: the same for every contender."""
    RACE_BIAS = 11
    """A contender's layer k's bias, index k."""
    DATA = 12
    """Generated data sets, index 0 spirals, 1 circles, 2 the teacher's inputs."""
    ORDER = 13
    """The mini-batch order of epoch e, index e."""
    TEACHER = 14
    """The teacher network's layer k, index k (its readout is index 3)."""
    SUBSET = 15
    """The rows kept when `samples` is below a file's row count, index 0."""
    PROBE = 16
    """The fixed random projection that sorts hidden units in `distinct_units`, seed 0, index = its size."""


def layer_rng(seed: int, stream: Stream, index: int) -> np.random.Generator:
    """The Generator for one (stream, index): PCG64 from SeedSequence(seed, spawn_key=(stream, index))."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(int(stream), index))))


def sampling_rng(seed: int) -> np.random.Generator:
    """A Generator for subsampling a measured tensor (the weight audit): np.random.default_rng(seed)."""
    return np.random.default_rng(seed)
