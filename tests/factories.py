"""Test data built the way users make it: 3D model files of known geometry."""

import struct

import numpy as np

_CUBE_FACES = np.array([
    [0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
    [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7],
])


def cube_triangles(size_mm: float) -> np.ndarray:
    corners = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
                        [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.float32) * size_mm
    return corners[_CUBE_FACES]


def cube_stl(size_mm: float = 10.0, *, drop_triangles: int = 0) -> bytes:
    """A closed binary STL cube (``drop_triangles`` > 0 opens it)."""
    triangles = cube_triangles(size_mm)[: 12 - drop_triangles]
    out = [b"alexandrite test cube".ljust(80, b" "), struct.pack("<I", len(triangles))]
    for triangle in triangles:
        out.append(struct.pack("<3f", 0, 0, 0) + triangle.astype("<f4").tobytes() + b"\0\0")
    return b"".join(out)
