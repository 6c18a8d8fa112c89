"""Writes a sample 3D model (a closed cube, binary STL) to try an order with: the README's first run."""

from pathlib import Path

from django.core.management.base import BaseCommand

from jewelry.sample_models import cube_stl


class Command(BaseCommand):
    help = "Write a closed cube as a binary STL (10 mm by default: 1 cm3, 1081.00 in 18k gold)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="where to write the file, e.g. var/ring.stl")
        parser.add_argument("--size-mm", type=float, default=10.0, help="edge length in millimetres")
        parser.add_argument("--open", action="store_true",
                            help="leave one triangle out: MES refuses the model (model_not_watertight)")

    def handle(self, *args, path, size_mm, open, **options):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(cube_stl(size_mm, drop_triangles=1 if open else 0))
        shape = "open cube (not watertight)" if open else "closed cube"
        self.stdout.write(f"wrote {target}: a {size_mm:g} mm {shape}, binary STL")
