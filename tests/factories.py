"""Test data built the way users make it: 3D model files of known geometry."""

from tests.mes.models_fixtures import binary_stl, cube_triangles


def cube_stl(size_mm: float = 10.0, *, drop_triangles: int = 0) -> bytes:
    """A closed binary STL cube (``drop_triangles`` > 0 opens it)."""
    return binary_stl(cube_triangles(size_mm)[: 12 - drop_triangles])
