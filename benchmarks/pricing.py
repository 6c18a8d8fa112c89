"""Times pricing a large binary STL: our numpy path against trimesh's default load.

Run: ``python -m benchmarks.pricing [--triangles N] [--runs R]``. ``run()`` returns
the rows so that a combined benchmark command can reuse them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import trimesh

from jewelry.sample_models import binary_stl
from mes.geometry import measure_model
from mes.pricing import price_for

OURS = "mes.geometry (numpy)"
TRIMESH = "trimesh.load + .volume"


def torus_triangles(triangles: int) -> np.ndarray:
    """A closed torus (major radius 20 mm, minor 5 mm) of about ``triangles`` triangles."""
    minor_steps = max(3, round((triangles / 4) ** 0.5))
    major_steps = max(3, round(triangles / (2 * minor_steps)))
    around = np.linspace(0, 2 * np.pi, major_steps, endpoint=False)[:, None]
    across = np.linspace(0, 2 * np.pi, minor_steps, endpoint=False)[None, :]
    ring = 20.0 + 5.0 * np.cos(across)
    points = np.stack(
        np.broadcast_arrays(ring * np.cos(around), ring * np.sin(around), 5.0 * np.sin(across)),
        axis=-1,
    ).reshape(-1, 3)
    # Grid cell (i, j) is the quad a-b-c-d; indices wrap around both circles.
    i = np.arange(major_steps)[:, None]
    j = np.arange(minor_steps)[None, :]
    a = i * minor_steps + j
    b = (i + 1) % major_steps * minor_steps + j
    c = (i + 1) % major_steps * minor_steps + (j + 1) % minor_steps
    d = i * minor_steps + (j + 1) % minor_steps
    faces = np.concatenate([np.stack([a, b, c], -1), np.stack([a, c, d], -1)]).reshape(-1, 3)
    return points.astype(np.float32)[faces]


def write_binary_stl(path: Path, triangles: np.ndarray) -> None:
    path.write_bytes(binary_stl(triangles, header=b"benchmark torus"))


def price_with_numpy(path: Path) -> Decimal:
    geometry = measure_model(path.read_bytes(), "stl")
    return price_for(
        volume_mm3=geometry.volume_mm3,
        density_g_cm3=Decimal("15.6"),
        price_per_gram=Decimal("61.50"),
        labour_cost=Decimal("120.00"),
    )


def volume_with_trimesh(path: Path) -> float:
    return trimesh.load(path).volume


def run(triangles: int = 1_000_000, runs: int = 5) -> list[dict]:
    """Median, min and max seconds of each implementation over ``runs`` timed runs.

    Each implementation gets one untimed warm-up run first.
    """
    mesh = torus_triangles(triangles)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "torus.stl"
        write_binary_stl(path, mesh)
        return [
            _timed(OURS, lambda: price_with_numpy(path), len(mesh), runs),
            _timed(TRIMESH, lambda: volume_with_trimesh(path), len(mesh), runs),
        ]


def _timed(implementation: str, work: Callable[[], object], triangles: int, runs: int) -> dict:
    # Other processes on a small machine skew timings: record how busy it was.
    load_average = os.getloadavg()[0]
    work()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return {
        "benchmark": "pricing",
        "implementation": implementation,
        "triangles": triangles,
        "runs": runs,
        "cores": os.cpu_count(),
        "load_average_1m": load_average,
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
    }


def format_table(rows: list[dict]) -> str:
    first = rows[0]
    lines = [
        f"Pricing a {first['triangles']:,}-triangle binary STL: "
        f"{first['cores']} cores, {first['runs']} timed runs after 1 warm-up",
        f"{'implementation':<26}{'median s':>10}{'min s':>10}{'max s':>10}{'load avg':>10}",
    ]
    lines += [
        f"{row['implementation']:<26}{row['median_s']:>10.3f}{row['min_s']:>10.3f}"
        f"{row['max_s']:>10.3f}{row['load_average_1m']:>10.2f}"
        for row in rows
    ]
    by_name = {row["implementation"]: row["median_s"] for row in rows}
    lines.append(f"trimesh / ours (median): {by_name[TRIMESH] / by_name[OURS]:.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args(argv)
    print(format_table(run(triangles=options.triangles, runs=options.runs)))


if __name__ == "__main__":
    main()
