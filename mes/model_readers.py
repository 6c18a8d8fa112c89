"""Readers of customers' 3D model files (STL, OBJ, 3MF): each turns a file into triangle corners.

Every reader ends with one float32 array of shape (3 corners, 3 axes, n) and refuses,
with ``InvalidModelFile``, anything broken or beyond ``GeometryLimits`` while it reads.
``mes.geometry`` measures what they return.
"""

from __future__ import annotations

import re
from array import array

import numpy as np

from jewelry.errors import InvalidModelFile
from mes.corners import gather_corners
from mes.limits import GeometryLimits
from mes.three_mf import parse_3mf

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


# Finds vertices one at a time in the file's bytes; a number is never longer than 64 characters.
_ASCII_VERTEX = re.compile(rb"\bvertex\s+(\S{1,64})\s+(\S{1,64})\s+(\S{1,64})(?!\S)", re.IGNORECASE)
_ASCII_FACET_END = re.compile(rb"\bendfacet\b", re.IGNORECASE)


def _parse_ascii_stl(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    coordinates = array("f")  # float32, as the corners will be: 12 bytes a vertex
    for vertex in _ASCII_VERTEX.finditer(raw):
        try:
            coordinates.extend(map(float, vertex.groups()))
        except ValueError:
            raise InvalidModelFile(
                "The ASCII STL data holds something that is not a number.", code="model_unreadable"
            ) from None
        if len(coordinates) > 9 * limits.max_triangles:
            _check_triangle_count(len(coordinates) // 9 + 1, limits)
    facets = sum(1 for _ in _ASCII_FACET_END.finditer(raw))
    if len(coordinates) != 9 * facets:
        raise InvalidModelFile(
            "The ASCII STL file has facets without exactly three vertices.",
            code="model_unreadable",
        )
    triangles = np.frombuffer(coordinates, dtype=np.float32).reshape(-1, 3, 3)
    return np.array(triangles.transpose(1, 2, 0), order="C")


# A line, with its end (LF, CRLF or a lone CR); found in place, copied only once its length is known.
_OBJ_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# A polygon of thousands of corners is already absurd; a longer line is refused before it is split.
OBJ_MAX_LINE_BYTES = 64 * 1024


def _parse_obj(raw: bytes, limits: GeometryLimits) -> np.ndarray:
    if b"\0" in raw:
        raise InvalidModelFile("The OBJ file is not text.", code="model_unreadable")
    # Numbers, not strings, are kept while reading, and one line at a time is split.
    coordinates = array("f")  # float32, as the corners will be
    corner_ids = array("q")
    for line_number, line in enumerate(_OBJ_LINE.finditer(raw), 1):
        if line.end() - line.start() > OBJ_MAX_LINE_BYTES:
            raise _obj_error(line_number, f"the line is longer than {OBJ_MAX_LINE_BYTES // 1024} KiB")
        parts = line.group().split()
        if not parts:
            continue
        if parts[0] == b"v":
            if len(parts) < 4:
                raise _obj_error(line_number, "a vertex needs x, y and z")
            try:
                coordinates.extend(map(float, parts[1:4]))
            except ValueError:
                raise _obj_error(line_number, "a vertex holds something that is not a number") from None
            if len(coordinates) > 3 * limits.max_triangles:  # closed surfaces: about T/2 vertices
                _check_triangle_count(len(coordinates) // 3, limits)
        elif parts[0] == b"f":
            if len(parts) < 4:
                raise _obj_error(line_number, "a face needs at least three vertices")
            # Counted before the fan is added: the limit is never passed by more than nothing.
            _check_triangle_count(len(corner_ids) // 3 + len(parts) - 3, limits)
            face = [_obj_vertex_id(token, len(coordinates) // 3, line_number) for token in parts[1:]]
            for second, third in zip(face[1:-1], face[2:]):  # polygons as triangle fans
                corner_ids.extend((face[0], second, third))
    points = np.frombuffer(coordinates, dtype=np.float32).reshape(-1, 3)
    triangles = np.frombuffer(corner_ids, dtype=np.int64).reshape(-1, 3)
    if triangles.size and triangles.max() >= len(points):
        raise InvalidModelFile(
            "The OBJ file has a face that refers to a missing vertex.", code="model_unreadable"
        )
    return gather_corners(points, triangles)


_OBJ_MAX_VERTEX_ID = 2**62


def _obj_vertex_id(token: bytes, vertex_count: int, line_number: int) -> int:
    """0-based vertex id of an OBJ face token such as ``7``, ``7/2/5`` or ``-1//3``."""
    try:
        number = int(token.split(b"/", 1)[0])
    except ValueError:
        raise _obj_error(line_number, "a face refers to something that is not a vertex number") from None
    # Negative numbers count back from the last vertex read so far.
    vertex_id = number - 1 if number > 0 else vertex_count + number
    # Python ints have no bound; the ids become int64, and no model has 2**62 vertices.
    if number == 0 or vertex_id < 0 or vertex_id >= _OBJ_MAX_VERTEX_ID:
        raise _obj_error(line_number, "a face refers to a vertex that does not exist")
    return vertex_id


def _obj_error(line_number: int, reason: str) -> InvalidModelFile:
    return InvalidModelFile(f"OBJ line {line_number}: {reason}.", code="model_unreadable")


def _check_triangle_count(count: int, limits: GeometryLimits) -> None:
    if count > limits.max_triangles:
        raise InvalidModelFile(
            f"The model has {count} triangles; at most {limits.max_triangles} can be priced.",
            code="model_too_complex",
        )


READERS = {"stl": _parse_stl, "obj": _parse_obj, "3mf": parse_3mf}
