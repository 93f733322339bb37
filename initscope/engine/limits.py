"""Every numeric limit of the product, in one place: the config refuses beyond these, the explorer's fields
stop at them and the CLI's help quotes them, so the three cannot disagree.

Bounds are inclusive unless a name says otherwise. This module imports nothing, so any module may use it.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------------- run shape
MAX_UNITS = 65536
"""fan_in and every layer's width."""
MAX_DEPTH = 10000
"""Weight layers (residual: blocks)."""
MAX_BATCH = 65536
"""Input rows."""
MAX_SEED = 2**63 - 1
"""Seeds are 0..MAX_SEED: the largest int64, so a seed survives JSON readers that parse into int64."""
BRANCH_DEPTHS = (1, 2)
"""Dense layers per residual branch: the smallest and largest allowed."""

# ----------------------------------------------------------------------------------------- memory
DEFAULT_BUDGET = 2 * 1024**3
"""Memory budget of a run (and the most a data file may take) unless the user raises it."""
MAX_BUDGET = 2**62
"""Largest budget written: beyond any machine, and an int64 still (the budget is only an upper bound)."""

# ----------------------------------------------------------------------------------------- commands
MAX_SAMPLE_DRAWS = 10**8
"""`initscope sample -n`: 800 MB of float64 values at most."""
ENSEMBLE_SEEDS = (2, 1000)
"""Seeds of an ensemble (`theory --ensemble K`): fewer than 2 has no spread."""
MAX_JACOBIAN_WIDTH = 1024
"""Widest layer (and fan_in) the input-output Jacobian is computed for: L GEMMs of n^3 and an SVD of n x n."""

# ----------------------------------------------------------------------------------------- parameters
SPARSITY = (0.0, 1.0)
"""sparse: the fraction of each column set to zero."""
LSUV_TOL = (0.0, 1.0)
"""lsuv: accepted |Var(Z) - 1|, above the first (exclusive) and up to the second."""
LSUV_MAX_ITERS = (1, 1000)
"""lsuv: rescaling rounds per layer."""
LEAKY_RELU_SLOPE = (0.0, 1.0)
ELU_ALPHA = (0.0, 10.0)
