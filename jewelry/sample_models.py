"""Sample 3D models made in memory, in every accepted format: for the demo, the tests and the benchmarks.

A cube of known size is the product's "hello world": 10 mm of 18k gold costs 1081.00.
"""

import io
import struct
import zipfile

import numpy as np

# Unit cube corners and its six faces as quads, counter-clockwise seen from outside.
CUBE_VERTICES = np.array(
    [
        (0, 0, 0),
        (1, 0, 0),
        (1, 1, 0),
        (0, 1, 0),
        (0, 0, 1),
        (1, 0, 1),
        (1, 1, 1),
        (0, 1, 1),
    ],
    dtype=np.float64,
)
CUBE_QUADS = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (3, 7, 6, 2), (0, 4, 7, 3), (1, 2, 6, 5)]
CUBE_FACES = np.array([(a, b, c) for a, b, c, d in CUBE_QUADS] + [(a, c, d) for a, b, c, d in CUBE_QUADS])


def cube_triangles(size: float = 10.0) -> np.ndarray:
    """The (12, 3, 3) triangles of an axis-aligned cube with one corner at the origin."""
    return CUBE_VERTICES[CUBE_FACES] * size


def cube_stl(size_mm: float = 10.0, *, drop_triangles: int = 0) -> bytes:
    """A closed binary STL cube (``drop_triangles`` > 0 opens it: MES refuses an open shell)."""
    return binary_stl(cube_triangles(size_mm)[: 12 - drop_triangles])


def binary_stl(triangles: np.ndarray, header: bytes = b"alexandrite sample model") -> bytes:
    records = np.zeros(
        len(triangles), dtype=[("normal", "<f4", (3,)), ("corners", "<f4", (9,)), ("attr", "<u2")]
    )
    records["corners"] = np.asarray(triangles).reshape(-1, 9)
    return header.ljust(80, b" ")[:80] + struct.pack("<I", len(triangles)) + records.tobytes()


def obj_cube(size: float = 10.0, negative_indices: bool = False) -> bytes:
    """The cube as an OBJ of six quads, with texture/normal references like real exports."""
    lines = ["# cube", "o cube"]
    lines += [f"v {x} {y} {z}" for x, y, z in CUBE_VERTICES * size]
    lines += ["vt 0 0", "vn 0 0 1", "s off"]
    for quad in CUBE_QUADS:
        ids = [vertex_id - 8 if negative_indices else vertex_id + 1 for vertex_id in quad]
        lines.append("f " + " ".join(f"{vertex_id}/1/1" for vertex_id in ids))
    return "\n".join(lines).encode()


CORE_NAMESPACE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"


def mesh_object_xml(object_id: int, vertices: np.ndarray, faces: np.ndarray) -> str:
    vertex_xml = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in vertices)
    triangle_xml = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces)
    return (
        f'<object id="{object_id}" type="model"><mesh><vertices>{vertex_xml}</vertices>'
        f"<triangles>{triangle_xml}</triangles></mesh></object>"
    )


def model_xml(resources: str, build: str, unit: str = "millimeter") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<model unit="{unit}" xml:lang="en-US" xmlns="{CORE_NAMESPACE}">'
        f"<resources>{resources}</resources><build>{build}</build></model>"
    ).encode()


def three_mf_package(model: bytes) -> bytes:
    return zip_package({"3D/3dmodel.model": model, "_rels/.rels": _RELS})


def three_mf_cube(
    size: float = 10.0, unit: str = "millimeter", item_transform: str | None = None
) -> bytes:
    """The cube as a 3MF mesh object placed once on the build plate."""
    transform = f' transform="{item_transform}"' if item_transform else ""
    resources = mesh_object_xml(1, CUBE_VERTICES * size, CUBE_FACES)
    return three_mf_package(model_xml(resources, f'<item objectid="1"{transform}/>', unit))


def zip_package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    b'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
    b"</Relationships>"
)
