"""Inputs of machsuite-md-grid, written by scripts/import-machsuite.py after MachSuite's md/grid/generate.c:
block_side^3 blocks of edge 5 (MachSuite's 20 / 4) with 0 to min(density, 27) atoms inside each, at least 1.17
apart (MachSuite rejects atoms closer than 1.049): a block's atoms sit at distinct sites of a 3 x 3 x 3 lattice
of spacing 5/3, jittered. Unused slots are zero."""

import numpy as np

EDGE = 5.0
JITTER = 0.15  # at most this far from its site along each axis, in spacings


def generate(shape, rng):
    b, d = shape["block_side"], shape["density"]
    blocks, slots = b**3, min(d, 27)
    n_points = rng.integers(0, slots + 1, blocks)
    sites = np.argsort(rng.random((blocks, 27)), axis=1)[:, :slots]
    sub = np.stack(np.unravel_index(sites, (3, 3, 3)), axis=-1)
    origin = np.stack(np.unravel_index(np.arange(blocks), (b, b, b)), axis=-1)[:, None, :] * EDGE
    points = origin + (sub + 0.5 + rng.uniform(-JITTER, JITTER, sub.shape)) * (EDGE / 3)
    points[np.arange(slots)[None, :] >= n_points[:, None]] = 0.0
    position = np.zeros((blocks, d, 3))
    position[:, :slots] = points
    return {"n_points_flat": n_points.astype(np.int32), "position_flat": position.reshape(-1)}
