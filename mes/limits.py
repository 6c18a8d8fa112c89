"""What the workshop can cast and what MES will read: the bounds every model is held to."""

from dataclasses import dataclass

from jewelry.model_files import MAX_3MF_PART_BYTES


@dataclass(frozen=True)
class GeometryLimits:
    """What the workshop can cast: models outside these bounds are refused."""

    max_extent_mm: float = 300.0
    min_volume_mm3: float = 1.0
    max_triangles: int = 1_500_000
    # A 3MF's components place objects inside objects: each placement is a step of
    # work, however few triangles it adds. A pavé ring or a chain needs hundreds.
    max_placements: int = 100_000
    # A 3MF is a zip: what the model part may inflate to, counted while it streams.
    max_unpacked_bytes: int = MAX_3MF_PART_BYTES


DEFAULT_LIMITS = GeometryLimits()
