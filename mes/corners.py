"""The one array every model reader returns: corners, float32 of shape (3 corners, 3 axes, n)."""

from __future__ import annotations

import numpy as np


def gather_corners(points: np.ndarray, corner_ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Corners of the triangles ``corner_ids`` (n, 3) over ``points`` (m, 3), written into ``out``.

    One corner and axis at a time: no (n, 3, 3) array of another dtype or layout is ever built.
    """
    if out is None:
        out = np.empty((3, 3, len(corner_ids)), dtype=np.float32)
    for corner in range(3):
        for axis in range(3):
            np.take(points[:, axis], corner_ids[:, corner], out=out[corner, axis])
    return out
