"""What the workshop can cast and what MES will read: the bounds every model is held to."""

from dataclasses import dataclass


@dataclass(frozen=True)
class GeometryLimits:
    """What the workshop can cast: models outside these bounds are refused."""

    max_extent_mm: float = 300.0
    min_volume_mm3: float = 1.0
    max_triangles: int = 5_000_000
    # A 3MF is a zip: cap what we inflate so a tiny upload cannot fill memory.
    max_unpacked_bytes: int = 512 * 1024 * 1024


DEFAULT_LIMITS = GeometryLimits()
