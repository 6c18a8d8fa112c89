"""Model files for the geometry tests: the product's sample models, and broken or hostile ones."""

import io
import struct
import zipfile
import zlib

import numpy as np

from jewelry.sample_models import (  # noqa: F401  (the tests read every sample through this module)
    CORE_NAMESPACE,
    CUBE_FACES,
    CUBE_QUADS,
    CUBE_VERTICES,
    binary_stl,
    cube_stl,
    cube_triangles,
    mesh_object_xml,
    model_xml,
    obj_cube,
    three_mf_cube,
    three_mf_package,
    zip_package,
)


def ascii_stl(triangles: np.ndarray) -> bytes:
    """Triangles as an ASCII STL (the product's samples are binary; uploads may be either)."""
    lines = ["solid cube"]
    for triangle in triangles:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:.6e} {y:.6e} {z:.6e}" for x, y, z in triangle]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid cube")
    return "\n".join(lines).encode()


def xml_bomb_model() -> bytes:
    """A "billion laughs" model: expanding it would take gigabytes."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE model [{entities}]>'
        '<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        "&lol9;</model>"
    ).encode()


def garbage(size: int = 4096, seed: int = 7) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


# -- hostile files: small uploads that would cost a reader gigabytes or minutes --


def component_bomb_3mf(fan_out: int = 2236) -> bytes:
    """A one-triangle mesh placed ``fan_out`` x ``fan_out`` times through two levels of components.

    2236 x 2236 = 4,999,696 triangles: just under ``max_triangles``, in about 700 bytes of zip.
    """
    triangle = mesh_object_xml(1, np.array([(0, 0, 0), (1, 0, 0), (0, 1, 0)]), [(0, 1, 2)])
    level_1 = '<object id="2"><components>' + '<component objectid="1"/>' * fan_out + "</components></object>"
    level_2 = '<object id="3"><components>' + '<component objectid="2"/>' * fan_out + "</components></object>"
    return zip_package_compressed({"3D/3dmodel.model": model_xml(triangle + level_1 + level_2,
                                                                 '<item objectid="3"/>')})


def zip_bomb_3mf(unpacked_bytes: int = 1100 * 1024 * 1024, declared_bytes: int | None = None) -> bytes:
    """A model part that inflates ~1000:1 to ``unpacked_bytes`` of XML whitespace (1.1 GB in ~1.1 MB).

    ``declared_bytes`` is the size its zip headers claim (the true size unless given).
    """
    head = model_xml("", "").split(b"<resources>")[0] + b"<resources>"
    block = b" " * (1024 * 1024)
    blocks, rest = divmod(unpacked_bytes - len(head), len(block))
    # Each piece ends in a full flush, so the block's deflated bytes can be repeated as they are.
    deflated = [_deflate_piece(head), _deflate_piece(block) * blocks, _deflate_piece(block[:rest]),
                b"\x03\x00"]  # an empty final block ends the stream
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(block[:rest], crc)
    return _raw_deflated_zip("3D/3dmodel.model", b"".join(deflated),
                             declared_bytes or unpacked_bytes, crc)


def _deflate_piece(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def zip_package_compressed(members: dict[str, bytes]) -> bytes:
    """As ``zip_package``, at the strongest compression and without the content types part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _raw_deflated_zip(name: str, deflated: bytes, size: int, crc: int) -> bytes:
    """A one-member zip written by hand, so the deflated stream is built without holding ``size`` bytes."""
    encoded = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(deflated), size,
                        len(encoded), 0) + encoded
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(deflated), size,
                          len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(deflated), 0)
    return local + deflated + central + end


def two_vertex_facet_stl() -> bytes:
    """An ASCII STL that looks right at upload (text, ``solid``, vertices) but a facet has two corners."""
    return (b"solid ring\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n"
            b"  endloop\n endfacet\nendsolid ring\n")


# -- the largest each reader must take: an upload's worth of text, or just under max_triangles --

UPLOAD_BYTES = 50 * 1024 * 1024  # MODEL_UPLOAD_MAX_BYTES
_TRIANGLE = np.array([(0, 0, 0), (1, 0, 0), (0, 1, 0)])


def obj_polygon_fan(size: int = UPLOAD_BYTES) -> bytes:
    """12 vertices and one face line of ``size`` bytes: millions of corners, a fan of as many triangles."""
    vertices = "".join(f"v {x} {y} {z}\n" for x in (0, 1) for y in (0, 1) for z in (0, 1, 2))
    corners = b" ".join(str(1 + i % 12).encode() for i in range(12)) + b" "
    return vertices.encode() + b"f " + corners * (size // len(corners)) + b"\n"


def obj_of_flat_triangles(count: int) -> bytes:
    """One triangle ``count`` times: every face read and measured, then refused as open."""
    return b"v 0 0 0\nv 1 0 0\nv 0 1 0\n" + b"f 1 2 3\n" * count


def ascii_stl_of_flat_facets(size: int = UPLOAD_BYTES) -> bytes:
    """As many facets as ``size`` bytes of ASCII STL hold, in the fewest words the format allows."""
    facet = b"vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endfacet\n"
    return b"solid flat\n" + facet * ((size - 64) // len(facet)) + b"endsolid flat\n"


def binary_stl_of_cubes(size: int = UPLOAD_BYTES) -> bytes:
    """As many 1 mm cubes, side by side, as ``size`` bytes of binary STL hold (a sound model)."""
    count = (size - 84) // 50 // 12
    offsets = np.stack(np.unravel_index(np.arange(count), (64, 64, 64)), axis=1) * 2.0
    return binary_stl((cube_triangles(1.0)[None] + offsets[:, None, None, :]).reshape(-1, 3, 3))


def three_mf_mesh_of_flat_triangles(count: int) -> bytes:
    """One mesh of ``count`` vertices and ``count`` triangles: the most a 3MF mesh may hold."""
    mesh = ('<object id="1" type="model"><mesh><vertices>'
            + '<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/>' * (count // 2)
            + "</vertices><triangles>" + '<triangle v1="0" v2="1" v3="2"/>' * count
            + "</triangles></mesh></object>")
    return zip_package_compressed({"3D/3dmodel.model": model_xml(mesh, '<item objectid="1"/>')})


def three_mf_placed_meshes(mesh_triangles: int, placements: int) -> bytes:
    """A mesh of ``mesh_triangles`` placed ``placements`` times through components, in a few KB."""
    mesh = mesh_object_xml(1, _TRIANGLE, [(0, 1, 2)] * mesh_triangles)
    components = "".join(f'<component objectid="1" transform="1 0 0 0 1 0 0 0 1 {i % 50} {i // 50} 0"/>'
                         for i in range(placements))
    assembly = f'<object id="2"><components>{components}</components></object>'
    return zip_package_compressed({"3D/3dmodel.model": model_xml(mesh + assembly, '<item objectid="2"/>')})
