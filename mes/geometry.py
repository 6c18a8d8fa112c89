"""Measures a customer's 3D model for pricing: volume, surface, bounding box, watertightness.

``mes.model_readers`` turns each file into one float32 array of triangle corners; it
is measured here with vectorised numpy (docs/pricing.md: why not trimesh's default path).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from jewelry.errors import InvalidModelFile
from mes.limits import DEFAULT_LIMITS, GeometryLimits
from mes.model_readers import READERS


@dataclass(frozen=True)
class ModelGeometry:
    volume_mm3: float
    surface_area_mm2: float
    triangle_count: int
    bbox_mm: tuple[float, float, float]
    is_watertight: bool


def measure_model(
    data: bytes | BinaryIO, file_format: str, *, limits: GeometryLimits = DEFAULT_LIMITS
) -> ModelGeometry:
    """Parse a model file and measure it; refuse it if it cannot be priced.

    Raises ``InvalidModelFile`` (and nothing else) for any file that is broken,
    empty, open, flat, or outside ``limits``.
    """
    parse = READERS.get(file_format.lower())
    if parse is None:
        raise InvalidModelFile(
            f"Unsupported model format {file_format!r}.", code="model_unsupported_format"
        )
    raw = data.read() if hasattr(data, "read") else bytes(data)
    if not raw:
        raise InvalidModelFile("The model file is empty.", code="model_empty")
    corners = parse(raw, limits)
    return _measure_corners(corners, limits)


# -- measuring --


def _measure_corners(corners: np.ndarray, limits: GeometryLimits) -> ModelGeometry:
    triangle_count = corners.shape[2]
    if triangle_count == 0:
        raise InvalidModelFile("The model has no triangles.", code="model_empty")
    low = corners.min(axis=(0, 2))
    high = corners.max(axis=(0, 2))
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        raise InvalidModelFile(
            "The model has coordinates that are not finite numbers.", code="model_unreadable"
        )
    corners += np.float32(0.0)  # -0.0 becomes 0.0: equal positions get equal bits
    # The watertight check dominates; the volume runs beside it on the second core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        volume_and_area = pool.submit(_volume_and_area, corners, (low + high) / 2)
        watertight = _is_watertight(corners, pool)
        volume_mm3, area_mm2 = volume_and_area.result()
    if not watertight:
        raise InvalidModelFile(
            "The model is not a closed surface, so its volume cannot be measured.",
            code="model_not_watertight",
        )
    extent = high.astype(np.float64) - low.astype(np.float64)
    largest_extent = float(extent.max())
    if volume_mm3 <= _ZERO_VOLUME_RATIO * largest_extent**3:
        raise InvalidModelFile("The model encloses no volume.", code="model_zero_volume")
    if largest_extent > limits.max_extent_mm:
        raise InvalidModelFile(
            f"The model is {largest_extent:.1f} mm across; at most "
            f"{limits.max_extent_mm:g} mm can be made.",
            code="model_too_large",
        )
    if volume_mm3 < limits.min_volume_mm3:
        raise InvalidModelFile(
            f"The model's volume is {volume_mm3:.3g} mm3; at least "
            f"{limits.min_volume_mm3:g} mm3 can be made.",
            code="model_too_small",
        )
    return ModelGeometry(
        volume_mm3=volume_mm3,
        surface_area_mm2=area_mm2,
        triangle_count=int(triangle_count),
        bbox_mm=tuple(float(value) for value in extent),
        is_watertight=True,
    )


# A closed mesh whose volume is this small against its bounding cube is flat.
_ZERO_VOLUME_RATIO = 1e-9


def _volume_and_area(corners: np.ndarray, centre: np.ndarray) -> tuple[float, float]:
    """Enclosed volume (divergence theorem) and surface area, summed in float64.

    Coordinates are taken relative to the bounding-box centre so that float32
    products stay accurate for models placed far from the origin.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # absurd sizes are refused later
        return _volume_and_area_unchecked(corners, centre)


def _volume_and_area_unchecked(corners: np.ndarray, centre: np.ndarray) -> tuple[float, float]:
    (x0, y0, z0), (x1, y1, z1), (x2, y2, z2) = corners
    ux, uy, uz = x1 - x0, y1 - y0, z1 - z0
    wx, wy, wz = x2 - x0, y2 - y0, z2 - z0
    # cross(u, w) is twice the triangle's area vector.
    cx = uy * wz - uz * wy
    cy = uz * wx - ux * wz
    cz = ux * wy - uy * wx
    area = np.sqrt(cx * cx + cy * cy + cz * cz).sum(dtype=np.float64) / 2
    # The signed volume of the tetrahedron (centre, triangle) is dot(p0, cross(u, w)) / 6.
    triple = (x0 - centre[0]) * cx + (y0 - centre[1]) * cy + (z0 - centre[2]) * cz
    volume = triple.sum(dtype=np.float64) / 6
    return abs(float(volume)), float(area)


_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_FMIX_A = _U64(0xFF51AFD7ED558CCD)
_FMIX_B = _U64(0xC4CEB9FE1A85EC53)


def _is_watertight(corners: np.ndarray, pool: ThreadPoolExecutor) -> bool:
    """True when every edge is shared by exactly two triangles of opposite orientation.

    Vertices are the same when their coordinates are bit-for-bit equal, with no
    tolerance. Each position is named by a 64-bit hash of its exact bits rather
    than merged by ``np.unique`` on rows, which takes seconds at a million
    triangles; a collision (about 1e-8 likely for a million vertices) could only
    misjudge that one model.

    An edge a->b is "forward" when hash(a) < hash(b), and its key names the pair
    {a, b}. The mesh is closed and consistently oriented exactly when each key is
    used once forward and once backward: the forward keys are all different
    (checked by sorting them) and both directions hold the same pairs (checked
    by a sum over the edges, see ``_forward_edges``, which a mismatch leaves at
    zero with a chance below 2**-58). So only half of the edges are sorted.
    """
    hashes = list(pool.map(_position_hash, corners.view(np.uint32)))
    # A triangle with a repeated corner adds edges a->a and a->b->a: it opens nothing.
    proper = (hashes[0] != hashes[1]) & (hashes[1] != hashes[2]) & (hashes[2] != hashes[0])
    if not proper.all():
        hashes = [corner_hashes[proper] for corner_hashes in hashes]
    edges = list(pool.map(_forward_edges, hashes, hashes[1:] + hashes[:1]))
    forward = np.concatenate([keys for keys, _ in edges])
    imbalance = sum(imbalance for _, imbalance in edges) % 2**64
    if imbalance or 2 * forward.size != 3 * hashes[0].size:
        return False
    # Sort the halves on both cores, then timsort merges the two sorted runs in one pass.
    half = forward.size // 2
    for _ in pool.map(np.ndarray.sort, (forward[:half], forward[half:])):
        pass
    forward.sort(kind="stable")
    return bool((forward[1:] != forward[:-1]).all())


def _position_hash(positions: np.ndarray) -> np.ndarray:
    """A 64-bit name for each position, given as float32 bits of shape (3 axes, n)."""
    x, y, z = positions
    key = (x.astype(_U64) << _U64(32)) | y
    key ^= z.astype(_U64) * _GOLDEN
    return _scramble(key)


def _forward_edges(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, int]:
    """Keys of the forward edges start->end, and the edges' imbalance.

    The imbalance sums hash(a) * hash(b) over the forward edges minus over the
    backward ones, modulo 2**64. The product names the pair {a, b} and, the
    hashes being scrambled, sums of different pairs do not cancel: it is zero
    when every pair is used as often in each direction.
    """
    forward = start < end
    products = start * end
    imbalance = 2 * int(products[forward].sum()) - int(products.sum())
    # Forward means start < end, so (start, end) is already the ordered pair.
    keys = start[forward]
    keys *= _GOLDEN
    keys += end[forward]
    return keys, imbalance


def _scramble(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place: every input bit moves every output bit."""
    values ^= values >> _U64(33)
    values *= _FMIX_A
    values ^= values >> _U64(33)
    values *= _FMIX_B
    values ^= values >> _U64(33)
    return values
