"""Writes a sample 3D model (a closed cube) to try an order with: the README's first run."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jewelry.model_files import MODEL_FORMATS
from jewelry.sample_models import cube_stl, obj_cube, three_mf_cube

# The cube in each accepted format, by the file's suffix.
WRITERS = {"stl": cube_stl, "obj": obj_cube, "3mf": three_mf_cube}
FORMAT_NAMES = {"stl": "binary STL", "obj": "OBJ", "3mf": "3MF"}


class Command(BaseCommand):
    help = ("Write a closed cube in the format its suffix names: .stl (binary), .obj or .3mf "
            "(10 mm by default: 1 cm3, 1081.00 in 18k gold).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="where to write the file, e.g. var/ring.stl (.stl, .obj or .3mf)")
        parser.add_argument("--size-mm", type=float, default=10.0, help="edge length in millimetres, over 0")
        parser.add_argument("--open", action="store_true",
                            help="STL only: leave one triangle out: MES refuses the model "
                                 "(model_not_watertight)")

    def handle(self, *args, path, size_mm, open, **options):
        target = Path(path)
        file_format = target.suffix.lower().lstrip(".")
        if file_format not in WRITERS:
            raise CommandError(f"{target.name}: name a file ending in one of "
                               f"{', '.join('.' + name for name in MODEL_FORMATS)}.")
        if not size_mm > 0:  # also refuses nan
            raise CommandError(f"--size-mm must be over 0, not {size_mm:g}.")
        if open and file_format != "stl":
            raise CommandError("--open writes STL only: name a .stl file.")
        content = cube_stl(size_mm, drop_triangles=1) if open else WRITERS[file_format](size_mm)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {target}: {error.strerror}; pick a writable path.") from error
        shape = "open cube (not watertight)" if open else "closed cube"
        self.stdout.write(f"wrote {target}: a {size_mm:g} mm {shape}, {FORMAT_NAMES[file_format]}")
