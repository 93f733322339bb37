"""Gauss-Legendre rules on [-1, 1] the theory integrates with, as literal numbers.

They are `numpy.polynomial.legendre.leggauss(n)`'s nodes and weights to the last bit (a test compares
them): importing numpy.polynomial to compute them took about 3 ms of every command that runs a net.
"""

from __future__ import annotations

import numpy as np

from initscope.engine.arrays import FloatArray

NODES_8: FloatArray = np.array(
    [
        -0.9602898564975362,
        -0.7966664774136267,
        -0.525532409916329,
        -0.18343464249564978,
        0.18343464249564978,
        0.525532409916329,
        0.7966664774136267,
        0.9602898564975362,
    ]
)

WEIGHTS_8: FloatArray = np.array(
    [
        0.10122853629037706,
        0.22238103445337443,
        0.3137066458778869,
        0.36268378337836166,
        0.36268378337836166,
        0.3137066458778869,
        0.22238103445337443,
        0.10122853629037706,
    ]
)

NODES_12: FloatArray = np.array(
    [
        -0.9815606342467192,
        -0.9041172563704748,
        -0.7699026741943047,
        -0.5873179542866175,
        -0.3678314989981802,
        -0.1252334085114689,
        0.1252334085114689,
        0.3678314989981802,
        0.5873179542866175,
        0.7699026741943047,
        0.9041172563704748,
        0.9815606342467192,
    ]
)

WEIGHTS_12: FloatArray = np.array(
    [
        0.04717533638651141,
        0.10693932599531907,
        0.16007832854334642,
        0.20316742672306573,
        0.2334925365383546,
        0.2491470458134027,
        0.2491470458134027,
        0.2334925365383546,
        0.20316742672306573,
        0.16007832854334642,
        0.10693932599531907,
        0.04717533638651141,
    ]
)


def rule(order: int) -> tuple[FloatArray, FloatArray]:
    """(nodes, weights) of the `order`-point rule (8 or 12)."""
    return {8: (NODES_8, WEIGHTS_8), 12: (NODES_12, WEIGHTS_12)}[order]
