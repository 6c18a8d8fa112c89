"""The 3MF reader: a zip of XML, read as a stream so that neither a zip bomb nor a component bomb costs memory.

The model part is inflated a chunk at a time into a pull parser whose finished
elements are dropped at once; only the numbers are kept. Objects repeated through
components are counted (triangles and placements) before any is expanded.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field

import numpy as np
from lxml import etree

from jewelry.errors import InvalidModelFile
from jewelry.model_files import open_3mf_archive
from mes.corners import gather_corners
from mes.limits import GeometryLimits

_CORE = "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"
_MODEL_RELATIONSHIP = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
_DEFAULT_MODEL_PART = "3D/3dmodel.model"
_UNIT_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}
# Components may nest; a loop or an absurd depth is a broken file.
_MAX_NESTING = 16
_MAX_OTHER_ELEMENTS = 100_000
_CHUNK = 1024 * 1024
_MAX_RELATIONSHIPS_BYTES = 1024 * 1024
_MODEL, _OBJECT, _MESH = f"{_CORE}model", f"{_CORE}object", f"{_CORE}mesh"
_VERTEX, _TRIANGLE, _ITEM = f"{_CORE}vertex", f"{_CORE}triangle", f"{_CORE}item"
_REFERENCES = (f"{_CORE}component", _ITEM)
_IDENTITY = np.vstack([np.eye(3), np.zeros(3)])


@dataclass
class _Object:
    vertices: array = field(default_factory=lambda: array("d"))
    corner_ids: array = field(default_factory=lambda: array("d"))
    has_mesh: bool = False
    components: list[tuple[str | None, str | None]] = field(default_factory=list)


@dataclass
class _Model:
    unit: str = "millimeter"
    objects: dict[str | None, _Object] = field(default_factory=dict)
    items: list[tuple[str | None, str | None]] = field(default_factory=list)
    triangles: int = 0
    vertices: int = 0
    references: int = 0
    other_elements: int = 0


def parse_3mf(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    """Corners (3 corners, 3 axes, n triangles) of the build, float32, in millimetres."""
    try:
        with open_3mf_archive(io.BytesIO(raw)) as archive:
            model = _read_model(archive, _model_part(archive), limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError,
            ValueError, RuntimeError, NotImplementedError):
        raise _unreadable("The 3MF file is not a readable zip archive.") from None
    if model.unit not in _UNIT_MM:
        raise _unreadable("The 3MF model has an unknown unit.")
    counts: dict = {}
    triangles = placements = 0
    for object_id, _ in model.items:
        object_triangles, object_placements = _count(model.objects, object_id, counts, 0)
        triangles, placements = triangles + object_triangles, placements + object_placements
    # Counted before building: components can repeat an object millions of times in a few bytes.
    _check_limit(placements, limits.max_placements, "placed objects")
    _check_limit(triangles, limits.max_triangles, "triangles")
    # Built straight into the one float32 array measured next, a placed piece at a time.
    corners = np.empty((3, 3, triangles), dtype=np.float32)
    in_millimetres = _IDENTITY * _UNIT_MM[model.unit]  # scales, moves nothing
    meshes: dict = {}
    filled = 0
    for object_id, text in model.items:
        filled = _place(model.objects, object_id, _compose(_transform(text), in_millimetres),
                        meshes, corners, filled)
    return corners


def _model_part(archive: zipfile.ZipFile) -> str:
    """The archive member holding the model, as the package relationships name it."""
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        with archive.open("_rels/.rels") as member:
            content = member.read(_MAX_RELATIONSHIPS_BYTES + 1)
        if len(content) > _MAX_RELATIONSHIPS_BYTES:
            raise _unreadable("The 3MF relationships part is too large.")
        try:
            relationships = etree.fromstring(_refuse_declarations(content), _parser())
        except etree.LxmlError:
            raise _unreadable("The 3MF relationships part is not valid XML.") from None
        for relationship in relationships.iter("{*}Relationship"):
            if relationship.get("Type") == _MODEL_RELATIONSHIP:
                target = relationship.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if _DEFAULT_MODEL_PART in names:
        return _DEFAULT_MODEL_PART
    raise _unreadable("The 3MF file contains no 3D model.")


def _parser(**options) -> etree.XMLParser:
    # Entities are never expanded and nothing is fetched: 3MF needs neither. A
    # parser per call, as lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, **options)


def _read_model(archive: zipfile.ZipFile, name: str, limits: GeometryLimits) -> _Model:
    """Stream the model part into ``_ModelBuilder``: at most one chunk of XML is held, never a tree."""
    builder = _ModelBuilder()
    parser = _parser(target=builder)
    unpacked = 0
    tail = b""
    try:
        with archive.open(name) as member:
            while chunk := member.read(_CHUNK):
                unpacked += len(chunk)
                if unpacked > limits.max_unpacked_bytes:
                    raise InvalidModelFile(
                        f"The 3MF model unpacks to more than {limits.max_unpacked_bytes // 2**20} MiB.",
                        code="model_too_complex",
                    )
                _refuse_declarations(tail + chunk)
                tail = chunk[-16:]
                parser.feed(chunk)
                _check_counts(builder.model, limits)  # at most one chunk past a limit
        parser.close()
    except etree.LxmlError:
        raise _unreadable("The 3MF model is not valid XML.") from None
    _check_counts(builder.model, limits)
    return builder.model


def _refuse_declarations(content: bytes) -> bytes:
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise _unreadable("The 3MF file declares XML entities.")
    return content


class _ModelBuilder:
    """A parser target: keeps the numbers and references of the model, and no XML at all."""

    def __init__(self):
        self.model = _Model()
        self.current: _Object | None = None

    def start(self, tag: str, attributes: dict) -> None:
        model, current = self.model, self.current
        try:
            if tag == _VERTEX and current is not None:
                model.vertices += 1
                current.vertices.extend((float(attributes["x"]), float(attributes["y"]),
                                         float(attributes["z"])))
            elif tag == _TRIANGLE and current is not None:
                model.triangles += 1
                current.corner_ids.extend((float(attributes["v1"]), float(attributes["v2"]),
                                           float(attributes["v3"])))
            elif tag in _REFERENCES:
                model.references += 1
                reference = (attributes.get("objectid"), attributes.get("transform"))
                if tag == _ITEM:
                    model.items.append(reference)
                elif current is not None:
                    current.components.append(reference)
            elif tag == _OBJECT:
                object_id = attributes.get("id")
                if object_id in model.objects:
                    raise _unreadable("The 3MF model declares an object id twice.")
                self.current = model.objects[object_id] = _Object()
            elif tag == _MESH and current is not None:
                current.has_mesh = True
            elif tag == _MODEL:
                model.unit = attributes.get("unit", "millimeter")
            else:
                # Metadata and extensions are skipped, but each costs a step: a few bytes each, they add up.
                model.other_elements += 1
        except (KeyError, ValueError):
            raise _unreadable("The 3MF mesh holds something that is not a number.") from None

    def end(self, tag: str) -> None:
        if tag == _OBJECT:
            self.current = None

    def close(self) -> _Model:
        return self.model


def _check_counts(model: _Model, limits: GeometryLimits) -> None:
    # A closed surface has about half as many vertices as triangles.
    _check_limit(model.vertices, limits.max_triangles, "vertices")
    _check_limit(model.triangles, limits.max_triangles, "triangles")
    _check_limit(model.references, limits.max_placements, "components and build items")
    _check_limit(model.other_elements, _MAX_OTHER_ELEMENTS, "elements that are not mesh data")


def _count(objects: dict, object_id: str | None, counts: dict, depth: int) -> tuple[int, int]:
    """(triangles, placed objects) one object puts on the build plate; refuses missing or looping objects.

    Placed objects count every object the expansion visits, empty ones too: each costs a step.
    """
    if object_id in counts:
        return counts[object_id]
    obj = objects.get(object_id)
    if obj is None or depth > _MAX_NESTING:
        raise _unreadable("The 3MF build refers to a missing or looping object.")
    if obj.has_mesh:
        result = (len(obj.corner_ids) // 3, 1)
    else:
        parts = [_count(objects, component_id, counts, depth + 1) for component_id, _ in obj.components]
        result = (sum(part[0] for part in parts), 1 + sum(part[1] for part in parts))
    counts[object_id] = result
    return result


def _place(objects: dict, object_id: str | None, transform: np.ndarray, meshes: dict,
           corners: np.ndarray, filled: int) -> int:
    """Write one object's triangles, its components included, in build space into ``corners``
    from triangle ``filled`` on; return where the next object starts.

    ``_count`` has checked the object graph and its size; ``meshes`` caches read meshes.
    """
    obj = objects[object_id]
    if not obj.has_mesh:
        for component_id, text in obj.components:
            filled = _place(objects, component_id, _compose(_transform(text), transform),
                            meshes, corners, filled)
        return filled
    if object_id not in meshes:
        meshes[object_id] = _mesh(obj)
    points, corner_ids = meshes[object_id]
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32 becomes inf, refused later
        placed = (points @ transform[:3] + transform[3]).astype(np.float32)
    end = filled + len(corner_ids)
    gather_corners(placed, corner_ids, out=corners[:, :, filled:end])
    return end


def _transform(text: str | None) -> np.ndarray:
    """A 3MF ``transform`` as a 4x3 matrix: a point p becomes ``[p, 1] @ matrix``."""
    if text is None:
        return _IDENTITY
    try:
        values = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise _unreadable("A 3MF transform holds something that is not a number.") from None
    if values.size != 12:
        raise _unreadable("A 3MF transform needs 12 numbers.")
    return values.reshape(4, 3)


def _compose(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """The 4x3 transform applying ``inner`` first, then ``outer``."""
    return np.vstack([inner[:3] @ outer[:3], inner[3] @ outer[:3] + outer[3]])


def _mesh(obj: _Object) -> tuple[np.ndarray, np.ndarray]:
    """(points (m, 3) float64, corner ids (n, 3)) of a mesh object."""
    points = np.frombuffer(obj.vertices, dtype=np.float64).reshape(-1, 3)
    corner_ids = np.frombuffer(obj.corner_ids, dtype=np.float64).reshape(-1, 3)
    if corner_ids.size and (
        corner_ids.min() < 0 or corner_ids.max() >= len(points) or (corner_ids % 1).any()
    ):
        raise _unreadable("A 3MF triangle refers to a missing vertex.")
    return points, corner_ids.astype(np.int32)  # at most max_triangles vertices are read


def _check_limit(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise InvalidModelFile(
            f"The 3MF model has more than {limit} {what}; it cannot be priced.",
            code="model_too_complex",
        )


def _unreadable(message: str) -> InvalidModelFile:
    return InvalidModelFile(message, code="model_unreadable")
