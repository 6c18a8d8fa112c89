"""Readers of customers' 3D model files (STL, OBJ, 3MF): each turns a file into triangle corners.

Every reader ends with one float32 array of shape (3 corners, 3 axes, n) and refuses,
with ``InvalidModelFile``, anything broken or beyond ``GeometryLimits`` while it reads.
``mes.geometry`` measures what they return.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import numpy as np
from lxml import etree

from jewelry.errors import InvalidModelFile
from mes.limits import GeometryLimits

# -- parsing: every format ends as `corners`, float32 of shape (3 corners, 3 axes, n) --

_BINARY_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (9,)), ("attr", "<u2")])
_BINARY_STL_HEADER = 84


def _parse_stl(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    # ASCII files start with "solid", but so do the headers of many binary
    # exporters: the exact binary size is the reliable test, and text has no NUL.
    count = _binary_stl_triangle_count(raw)
    if count is not None:
        return _parse_binary_stl(raw, count, limits)
    if raw[:1024].lstrip()[:5].lower() == b"solid" and b"\0" not in raw:
        return _parse_ascii_stl(raw, limits)
    raise InvalidModelFile(
        "The STL file is truncated or is not an STL file.", code="model_unreadable"
    )


def _binary_stl_triangle_count(raw: bytes) -> int | None:
    if len(raw) < _BINARY_STL_HEADER:
        return None
    count = int.from_bytes(raw[80:84], "little")
    if len(raw) != _BINARY_STL_HEADER + _BINARY_STL_RECORD.itemsize * count:
        return None
    return count


def _parse_binary_stl(raw: bytes, count: int, limits: GeometryLimits) -> np.ndarray:
    _check_triangle_count(count, limits)
    records = np.frombuffer(raw, _BINARY_STL_RECORD, count, _BINARY_STL_HEADER)
    # np.array copies: the buffer is read-only, and the corners get normalised in place.
    return np.array(records["corners"].reshape(count, 3, 3).transpose(1, 2, 0), order="C")


_ASCII_VERTEX = re.compile(rb"\bvertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)
_ASCII_FACET_END = re.compile(rb"\bendfacet\b", re.IGNORECASE)


def _parse_ascii_stl(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    vertices = _ASCII_VERTEX.findall(raw)
    if len(vertices) != 3 * len(_ASCII_FACET_END.findall(raw)):
        raise InvalidModelFile(
            "The ASCII STL file has facets without exactly three vertices.",
            code="model_unreadable",
        )
    _check_triangle_count(len(vertices) // 3, limits)
    points = _to_float_array(vertices, "ASCII STL").reshape(-1, 3)
    return _as_corners(points.reshape(-1, 3, 3))


def _parse_obj(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    if b"\0" in raw:
        raise InvalidModelFile("The OBJ file is not text.", code="model_unreadable")
    vertices: list[list[str]] = []
    corner_ids: list[int] = []
    for line_number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            if len(parts) < 4:
                raise _obj_error(line_number, "a vertex needs x, y and z")
            vertices.append(parts[1:4])
        elif parts[0] == "f":
            face = [_obj_vertex_id(token, len(vertices), line_number) for token in parts[1:]]
            if len(face) < 3:
                raise _obj_error(line_number, "a face needs at least three vertices")
            for second, third in zip(face[1:-1], face[2:]):  # polygons as triangle fans
                corner_ids += (face[0], second, third)
    points = _to_float_array(vertices, "OBJ").reshape(-1, 3)
    triangles = np.array(corner_ids, dtype=np.int64).reshape(-1, 3)
    if triangles.size and triangles.max() >= len(points):
        raise InvalidModelFile(
            "The OBJ file has a face that refers to a missing vertex.", code="model_unreadable"
        )
    _check_triangle_count(len(triangles), limits)
    return _as_corners(points[triangles])


def _obj_vertex_id(token: str, vertex_count: int, line_number: int) -> int:
    """0-based vertex id of an OBJ face token such as ``7``, ``7/2/5`` or ``-1//3``."""
    try:
        number = int(token.split("/", 1)[0])
    except ValueError:
        raise _obj_error(line_number, f"{token!r} is not a vertex number") from None
    # Negative numbers count back from the last vertex read so far.
    vertex_id = number - 1 if number > 0 else vertex_count + number
    if number == 0 or vertex_id < 0:
        raise _obj_error(line_number, f"vertex number {number} does not exist")
    return vertex_id


def _obj_error(line_number: int, reason: str) -> InvalidModelFile:
    return InvalidModelFile(f"OBJ line {line_number}: {reason}.", code="model_unreadable")


_3MF_CORE = "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"
_3MF_MODEL_RELATIONSHIP = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
_3MF_DEFAULT_MODEL_PART = "3D/3dmodel.model"
_3MF_UNIT_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}
# Components may nest; a loop or an absurd depth is a broken file.
_3MF_MAX_NESTING = 16


def _parse_3mf(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            model = _read_xml(archive, _3mf_model_part(archive, limits), limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError,
            ValueError, RuntimeError, NotImplementedError) as error:
        raise InvalidModelFile(
            f"The 3MF file is not a readable zip archive ({error}).", code="model_unreadable"
        ) from None
    unit = model.get("unit", "millimeter")
    if unit not in _3MF_UNIT_MM:
        raise InvalidModelFile(f"Unknown 3MF unit {unit!r}.", code="model_unreadable")
    objects = {obj.get("id"): obj for obj in model.iter(f"{_3MF_CORE}object")}
    items = [(item.get("objectid"), _3mf_transform(item)) for item in model.iter(f"{_3MF_CORE}item")]
    # Count before building: components can repeat an object a million times in a few bytes.
    counts: dict[str, int] = {}
    _check_triangle_count(
        sum(_3mf_triangle_count(objects, object_id, counts, 0) for object_id, _ in items), limits
    )
    meshes: dict[str, np.ndarray] = {}
    pieces = [
        _3mf_object_triangles(objects, object_id, transform, meshes) for object_id, transform in items
    ]
    triangles = np.concatenate(pieces) if pieces else np.empty((0, 3, 3))
    return _as_corners(triangles * _3MF_UNIT_MM[unit])


def _3mf_model_part(archive: zipfile.ZipFile, limits: GeometryLimits) -> str:
    """The archive member holding the model, as the package relationships name it."""
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        relationships = _read_xml(archive, "_rels/.rels", limits)
        for relationship in relationships.iter("{*}Relationship"):
            if relationship.get("Type") == _3MF_MODEL_RELATIONSHIP:
                target = relationship.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if _3MF_DEFAULT_MODEL_PART in names:
        return _3MF_DEFAULT_MODEL_PART
    raise InvalidModelFile("The 3MF file contains no 3D model.", code="model_unreadable")


def _read_xml(archive: zipfile.ZipFile, name: str, limits: GeometryLimits) -> etree._Element:
    with archive.open(name) as member:
        content = member.read(limits.max_unpacked_bytes + 1)
    if len(content) > limits.max_unpacked_bytes:
        raise InvalidModelFile("The 3MF model is too large to read.", code="model_too_complex")
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise InvalidModelFile("The 3MF file declares XML entities.", code="model_unreadable")
    # Entities are never expanded and nothing is fetched: 3MF needs neither. A
    # parser per call, as lxml parsers must not be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        return etree.fromstring(content, parser)
    except etree.LxmlError as error:
        raise InvalidModelFile(
            f"The 3MF model is not valid XML ({error}).", code="model_unreadable"
        ) from None


def _3mf_transform(element: etree._Element) -> np.ndarray:
    """A 3MF ``transform`` as a 4x3 matrix: a point p becomes ``[p, 1] @ matrix``."""
    text = element.get("transform")
    if text is None:
        return np.vstack([np.eye(3), np.zeros(3)])
    values = _to_float_array(text.split(), "3MF transform")
    if values.size != 12:
        raise InvalidModelFile("A 3MF transform needs 12 numbers.", code="model_unreadable")
    return values.reshape(4, 3)


def _3mf_triangle_count(objects: dict, object_id: str | None, counts: dict, depth: int) -> int:
    """Triangles one object puts on the build plate; refuses missing or looping objects."""
    if object_id in counts:
        return counts[object_id]
    obj = objects.get(object_id)
    if obj is None or depth > _3MF_MAX_NESTING:
        raise InvalidModelFile(
            f"The 3MF build refers to a missing or looping object {object_id!r}.",
            code="model_unreadable",
        )
    mesh = obj.find(f"{_3MF_CORE}mesh")
    if mesh is not None:
        count = sum(1 for _ in mesh.iter(f"{_3MF_CORE}triangle"))
    else:
        count = sum(
            _3mf_triangle_count(objects, component.get("objectid"), counts, depth + 1)
            for component in obj.iter(f"{_3MF_CORE}component")
        )
    counts[object_id] = count
    return count


def _3mf_object_triangles(
    objects: dict, object_id: str, transform: np.ndarray, meshes: dict
) -> np.ndarray:
    """Triangles (n, 3, 3) of one object, its components included, in build space.

    ``_3mf_triangle_count`` has checked the object graph; ``meshes`` caches parsed meshes.
    """
    obj = objects[object_id]
    mesh = obj.find(f"{_3MF_CORE}mesh")
    if mesh is not None:
        if object_id not in meshes:
            meshes[object_id] = _3mf_mesh_triangles(mesh)
        return meshes[object_id] @ transform[:3] + transform[3]
    pieces = [
        _3mf_object_triangles(
            objects,
            component.get("objectid"),
            _compose(_3mf_transform(component), transform),
            meshes,
        )
        for component in obj.iter(f"{_3MF_CORE}component")
    ]
    return np.concatenate(pieces) if pieces else np.empty((0, 3, 3))


def _compose(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """The 4x3 transform applying ``inner`` first, then ``outer``."""
    return np.vstack([inner[:3] @ outer[:3], inner[3] @ outer[:3] + outer[3]])


def _3mf_mesh_triangles(mesh: etree._Element) -> np.ndarray:
    vertices = [
        (vertex.get("x"), vertex.get("y"), vertex.get("z"))
        for vertex in mesh.iter(f"{_3MF_CORE}vertex")
    ]
    corner_ids = [
        (triangle.get("v1"), triangle.get("v2"), triangle.get("v3"))
        for triangle in mesh.iter(f"{_3MF_CORE}triangle")
    ]
    points = _to_float_array(vertices, "3MF vertex").reshape(-1, 3)
    triangles = _to_float_array(corner_ids, "3MF triangle").reshape(-1, 3)
    if triangles.size and (
        triangles.min() < 0 or triangles.max() >= len(points) or (triangles % 1).any()
    ):
        raise InvalidModelFile(
            "A 3MF triangle refers to a missing vertex.", code="model_unreadable"
        )
    return points[triangles.astype(np.int64)]


def _to_float_array(values: list, what: str) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InvalidModelFile(
            f"The {what} data holds something that is not a number.", code="model_unreadable"
        ) from None


def _as_corners(triangles: np.ndarray) -> np.ndarray:
    """Corners array from triangles (n, 3 corners, 3 axes) in millimetres."""
    with np.errstate(over="ignore"):  # beyond float32 becomes inf, refused as not finite
        return np.array(triangles.transpose(1, 2, 0), dtype=np.float32, order="C")


def _check_triangle_count(count: int, limits: GeometryLimits) -> None:
    if count > limits.max_triangles:
        raise InvalidModelFile(
            f"The model has {count} triangles; at most {limits.max_triangles} can be priced.",
            code="model_too_complex",
        )


READERS = {"stl": _parse_stl, "obj": _parse_obj, "3mf": _parse_3mf}
