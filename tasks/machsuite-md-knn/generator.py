"""Inputs of machsuite-md-knn, written by scripts/import-machsuite.py after MachSuite's md/knn/generate.c:
n_atoms atoms at least 1.05 apart (MachSuite rejects atoms closer than 1.049) and, for each, the indices of its
max_neighbors nearest other atoms. The atoms sit at distinct sites of a cubic lattice of spacing 1.5, jittered,
in random order (so a neighbour's index says nothing of where it is)."""

import numpy as np

SPACING = 1.5
JITTER = 0.15  # at most this far from its site along each axis, in spacings: atoms stay >= 0.7 * 1.5 apart


def generate(shape, rng):
    n, m = shape["n_atoms"], shape["max_neighbors"]
    side = max(2, int(np.ceil(round(n ** (1 / 3), 9))))
    sites = rng.permutation(side**3)[:n]
    grid = np.stack(np.unravel_index(sites, (side,) * 3), axis=1)
    position = (grid + rng.uniform(-JITTER, JITTER, (n, 3))) * SPACING
    owner = np.full(side**3, -1)
    owner[sites] = np.arange(n)
    r = np.arange(-2, 3)
    offsets = np.stack(np.meshgrid(r, r, r, indexing="ij"), axis=-1).reshape(-1, 3)
    offsets = offsets[np.abs(offsets).sum(axis=1) > 0]
    offsets = offsets[np.argsort((offsets**2).sum(axis=1), kind="stable")]  # nearest sites first
    nl = np.zeros((n, m), dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    for off in offsets:
        nb = grid + off
        inside = np.all((nb >= 0) & (nb < side), axis=1)
        j = np.full(n, -1)
        j[inside] = owner[np.ravel_multi_index(tuple(nb[inside].T), (side,) * 3)]
        take = np.nonzero((j >= 0) & (count < m))[0]
        nl[take, count[take]] = j[take]
        count[take] += 1
    for i in np.nonzero(count < m)[0]:  # fewer atoms within reach than max_neighbors (small shapes): any others
        nl[i, count[i]:] = (i + 1 + rng.integers(0, n - 1, m - count[i])) % n
    return {"position_x": position[:, 0], "position_y": position[:, 1], "position_z": position[:, 2],
            "NL": nl.reshape(-1)}
