"""Hostile model files: each is refused with its code, no exception text, and before it costs the reader much.

Memory is measured in a child process (its peak RSS from ``getrusage``), so the bound
holds for what the reader did, not for what this test process did before.
"""

import io
import multiprocessing
import resource
import zipfile

import numpy as np
import pytest

from jewelry.errors import InvalidModelFile
from jewelry.model_files import MAX_3MF_MEMBERS, open_3mf_archive
from mes.geometry import GeometryLimits, measure_model
from mes.limits import DEFAULT_LIMITS
from tests.mes import models_fixtures as fixtures

MEMORY_GROWTH_BOUND_MB = 200
# What one pricing may add to a worker for the worst file of each format (docs/threat-model.md).
READER_MEMORY_BOUND_MB = 256
MAX_TRIANGLES = DEFAULT_LIMITS.max_triangles
EXCEPTION_WORDS = ("Error", "Exception", "Traceback", "int too large", "zlib", "lxml", "line 1, column")


def refusal(data: bytes, file_format: str, **options) -> InvalidModelFile:
    with pytest.raises(InvalidModelFile) as refused:
        measure_model(data, file_format, **options)
    assert not any(word in refused.value.message for word in EXCEPTION_WORDS), refused.value.message
    return refused.value


def _measure_in_child(data: bytes, file_format: str, answer) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        measure_model(data, file_format)
        code = "accepted"
    except InvalidModelFile as refused:
        code = refused.code
    answer.send((code, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024))


def code_and_memory_growth_mb(data: bytes, file_format: str) -> tuple[str, float]:
    """Measure ``data`` in a forked child: its refusal code and how far its peak RSS grew."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_measure_in_child,
                                                       args=(data, file_format, sending))
    child.start()
    answer = receiving.recv()
    child.join()
    return answer


# --- row 5: components repeating an object millions of times -------------------------------

def test_component_bomb_just_under_the_triangle_limit_is_too_complex_before_expanding():
    bomb = fixtures.component_bomb_3mf(2236)  # 4,999,696 triangles: under max_triangles

    code, growth_mb = code_and_memory_growth_mb(bomb, "3mf")

    assert len(bomb) < 1024
    assert code == "model_too_complex"
    assert growth_mb < MEMORY_GROWTH_BOUND_MB


def test_placements_are_counted_even_when_the_objects_are_empty():
    empty = '<object id="1"><components></components></object>'
    level_1 = '<object id="2"><components>' + '<component objectid="1"/>' * 500 + "</components></object>"
    level_2 = '<object id="3"><components>' + '<component objectid="2"/>' * 500 + "</components></object>"
    model = fixtures.model_xml(empty + level_1 + level_2, '<item objectid="3"/>')

    assert refusal(fixtures.three_mf_package(model), "3mf").code == "model_too_complex"


def test_a_few_hundred_placed_parts_are_priced():
    cube = fixtures.mesh_object_xml(1, fixtures.CUBE_VERTICES * 2, fixtures.CUBE_FACES)
    row = "".join(f'<component objectid="1" transform="1 0 0 0 1 0 0 0 1 {3 * i} 0 0"/>' for i in range(20))
    rows = "".join(f'<component objectid="2" transform="1 0 0 0 1 0 0 0 1 0 {3 * i} 0"/>' for i in range(20))
    model = fixtures.model_xml(cube + f'<object id="2"><components>{row}</components></object>'
                               + f'<object id="3"><components>{rows}</components></object>',
                               '<item objectid="3"/>')

    geometry = measure_model(fixtures.three_mf_package(model), "3mf")

    assert geometry.volume_mm3 == pytest.approx(400 * 8)
    assert geometry.triangle_count == 400 * 12


def test_lower_placement_limit_refuses_earlier():
    cube = fixtures.mesh_object_xml(1, fixtures.CUBE_VERTICES * 2, fixtures.CUBE_FACES)
    pair = '<object id="2"><components><component objectid="1"/><component objectid="1" ' \
           'transform="1 0 0 0 1 0 0 0 1 5 0 0"/></components></object>'
    data = fixtures.three_mf_package(fixtures.model_xml(cube + pair, '<item objectid="2"/>'))

    assert measure_model(data, "3mf", limits=GeometryLimits(max_placements=3)).triangle_count == 24
    assert refusal(data, "3mf", limits=GeometryLimits(max_placements=2)).code == "model_too_complex"


# --- the worst file of each format: an upload's worth of text, or just under max_triangles -----

WORST_CASES = {
    # Before: +2,104 MB of strings and ints from one split line, then model_too_complex.
    "obj_polygon_fan": (fixtures.obj_polygon_fan, "obj", "model_unreadable"),
    "obj_at_the_triangle_limit": (lambda: fixtures.obj_of_flat_triangles(MAX_TRIANGLES), "obj",
                                  "model_not_watertight"),
    "ascii_stl_of_an_upload": (fixtures.ascii_stl_of_flat_facets, "stl", "model_not_watertight"),
    "binary_stl_of_an_upload": (fixtures.binary_stl_of_cubes, "stl", "accepted"),
    "3mf_mesh_at_the_triangle_limit": (lambda: fixtures.three_mf_mesh_of_flat_triangles(MAX_TRIANGLES),
                                       "3mf", "model_zero_volume"),
    "3mf_placements_at_the_triangle_limit": (lambda: fixtures.three_mf_placed_meshes(500, MAX_TRIANGLES // 500),
                                             "3mf", "model_not_watertight"),
}


@pytest.mark.parametrize("case", WORST_CASES)
def test_worst_file_of_each_format_is_read_in_bounded_memory(case):
    make, file_format, expected_code = WORST_CASES[case]
    data = make()

    code, growth_mb = code_and_memory_growth_mb(data, file_format)

    assert code == expected_code
    assert growth_mb < READER_MEMORY_BOUND_MB, f"{case}: +{growth_mb:.0f} MB"


def test_obj_face_past_the_triangle_limit_is_too_complex_before_it_is_added():
    data = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf " + b"1 2 3 " * 5 + b"\n"

    assert refusal(data, "obj", limits=GeometryLimits(max_triangles=12)).code == "model_too_complex"
    assert refusal(data, "obj", limits=GeometryLimits(max_triangles=13)).code != "model_too_complex"


def test_ascii_stl_past_the_triangle_limit_is_too_complex_while_reading():
    data = fixtures.ascii_stl_of_flat_facets(10_000)

    assert refusal(data, "stl", limits=GeometryLimits(max_triangles=10)).code == "model_too_complex"


def test_obj_with_old_mac_line_ends_is_read_line_by_line():
    data = fixtures.obj_cube(10).replace(b"\n", b"\r")

    assert np.isclose(measure_model(data, "obj").volume_mm3, 1000)


# --- row 6: numbers no reader should trust ---------------------------------------------------

@pytest.mark.parametrize("index", [2**63, 2**64 + 5, 10**30, -(2**63)])
def test_obj_face_index_beyond_int64_is_unreadable(index):
    data = f"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 {index}\n".encode()

    refused = refusal(data, "obj")

    assert refused.code == "model_unreadable"
    assert str(index) not in refused.message  # the file's values are not echoed


def test_obj_of_many_vertices_is_too_complex_while_reading():
    data = b"v 0 0 0\n" * 40

    assert refusal(data, "obj", limits=GeometryLimits(max_triangles=10)).code == "model_too_complex"


# --- row 7: zip bombs ------------------------------------------------------------------------

def test_zip_bomb_is_refused_from_its_declared_size_before_inflating():
    bomb = fixtures.zip_bomb_3mf()  # 1.1 GB of XML in ~1.1 MB

    code, growth_mb = code_and_memory_growth_mb(bomb, "3mf")

    assert len(bomb) < 1.2 * 2**20
    assert code == "model_too_complex"
    assert growth_mb < MEMORY_GROWTH_BOUND_MB


def test_zip_bomb_under_the_declared_bound_is_refused_while_streaming_at_the_running_cap():
    bomb = fixtures.zip_bomb_3mf(64 * 2**20)  # declared honestly, under the 128 MiB part bound

    refused = refusal(bomb, "3mf", limits=GeometryLimits(max_unpacked_bytes=8 * 2**20))

    assert refused.code == "model_too_complex"


def test_zip_bomb_lying_about_its_size_stops_at_the_declared_size():
    # Python's zipfile inflates no further than the header says; the rest fails the CRC.
    bomb = fixtures.zip_bomb_3mf(200 * 2**20, declared_bytes=2**20)

    code, growth_mb = code_and_memory_growth_mb(bomb, "3mf")

    assert code == "model_unreadable"
    assert growth_mb < MEMORY_GROWTH_BOUND_MB


def test_zip_with_too_many_members_is_refused_before_its_directory_is_read():
    members = {f"Metadata/part{i}.txt": b"" for i in range(MAX_3MF_MEMBERS + 1)}
    data = fixtures.zip_package({"3D/3dmodel.model": fixtures.model_xml("", ""), **members})

    assert refusal(data, "3mf").code == "model_too_complex"


def test_encrypted_part_is_unreadable():
    data = bytearray(fixtures.three_mf_cube(10))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offsets = [info.header_offset for info in archive.infolist()]
    central = data.rfind(b"PK\x01\x02")  # mark the last member encrypted in both headers
    data[central + 8] |= 0x1
    data[offsets[-1] + 6] |= 0x1

    assert refusal(bytes(data), "3mf").code == "model_unreadable"


def test_many_small_foreign_elements_are_too_complex_without_building_a_tree():
    model = fixtures.model_xml("<x/>" * 200_000, "")

    code, growth_mb = code_and_memory_growth_mb(fixtures.three_mf_package(model), "3mf")

    assert code == "model_too_complex"
    assert growth_mb < MEMORY_GROWTH_BOUND_MB


def test_broken_archives_and_xml_are_refused_with_our_words_only():
    cases = [b"PK\x03\x04 not really a zip", fixtures.zip_package({"3D/3dmodel.model": b"<model><resources>"}),
             fixtures.three_mf_package(fixtures.model_xml('<object id="1"><mesh><vertices>'
                                                          '<vertex x="a" y="0" z="0"/></vertices></mesh></object>',
                                                          ""))]
    for data in cases:
        assert refusal(data, "3mf").code == "model_unreadable"


def test_open_3mf_archive_leaves_a_sound_package_open_for_reading():
    with open_3mf_archive(io.BytesIO(fixtures.three_mf_cube(10))) as archive:
        assert "3D/3dmodel.model" in archive.namelist()
    assert np.isclose(measure_model(fixtures.three_mf_cube(10), "3mf").volume_mm3, 1000)
