import io
import zipfile

import numpy as np
import pytest
import trimesh

from jewelry.errors import InvalidModelFile
from jewelry.model_files import format_from_name
from mes.geometry import (
    DEFAULT_LIMITS,
    GeometryLimits,
    ModelGeometry,
    measure_model,
)
from tests.mes import models_fixtures as fixtures

CUBE_FILES = {
    "binary_stl": ("stl", lambda: fixtures.binary_stl(fixtures.cube_triangles(10))),
    "ascii_stl": ("stl", lambda: fixtures.ascii_stl(fixtures.cube_triangles(10))),
    "obj": ("obj", lambda: fixtures.obj_cube(10)),
    "obj_negative_indices": ("obj", lambda: fixtures.obj_cube(10, negative_indices=True)),
    "3mf": ("3mf", lambda: fixtures.three_mf_cube(10)),
}


def assert_refused(data, file_format, code, **options):
    with pytest.raises(InvalidModelFile) as refusal:
        measure_model(data, file_format, **options)
    assert refusal.value.code == code, refusal.value.message


@pytest.mark.parametrize("name", CUBE_FILES)
def test_cube_of_10mm_measures_the_same_in_every_format(name):
    file_format, make = CUBE_FILES[name]

    geometry = measure_model(make(), file_format)

    assert geometry.volume_mm3 == pytest.approx(1000, rel=1e-6)
    assert geometry.surface_area_mm2 == pytest.approx(600, rel=1e-6)
    assert geometry.triangle_count == 12
    assert geometry.bbox_mm == pytest.approx((10, 10, 10))
    assert geometry.is_watertight is True


def test_binary_stl_cube_of_10mm_has_volume_1000():
    geometry = measure_model(fixtures.binary_stl(fixtures.cube_triangles(10)), "stl")

    assert geometry.volume_mm3 == pytest.approx(1000)


def test_binary_stl_whose_header_starts_with_solid_is_read_as_binary():
    data = fixtures.binary_stl(fixtures.cube_triangles(10), header=b"solid exported by CAD")

    assert measure_model(data, "stl").volume_mm3 == pytest.approx(1000)


def test_model_is_read_from_a_file_object():
    data = io.BytesIO(fixtures.binary_stl(fixtures.cube_triangles(10)))

    assert measure_model(data, "stl").triangle_count == 12


def test_format_is_case_insensitive():
    assert measure_model(fixtures.obj_cube(10), "OBJ").volume_mm3 == pytest.approx(1000)


def test_inside_out_cube_still_has_positive_volume():
    inverted = fixtures.cube_triangles(10)[:, ::-1]

    assert measure_model(fixtures.binary_stl(inverted), "stl").volume_mm3 == pytest.approx(1000)


def test_cube_far_from_origin_keeps_its_volume():
    far_away = fixtures.cube_triangles(10) + 5000.0

    geometry = measure_model(
        fixtures.binary_stl(far_away), "stl", limits=GeometryLimits(max_extent_mm=300)
    )

    assert geometry.volume_mm3 == pytest.approx(1000, rel=1e-6)


def test_two_separate_cubes_add_up():
    triangles = np.concatenate([fixtures.cube_triangles(10), fixtures.cube_triangles(10) + 20])

    geometry = measure_model(fixtures.binary_stl(triangles), "stl")

    assert geometry.volume_mm3 == pytest.approx(2000)
    assert geometry.bbox_mm == pytest.approx((30, 30, 30))


def test_degenerate_triangle_does_not_open_the_mesh():
    sliver = fixtures.cube_triangles(10)[:1].copy()
    sliver[0, 2] = sliver[0, 1]
    triangles = np.concatenate([fixtures.cube_triangles(10), sliver])

    geometry = measure_model(fixtures.binary_stl(triangles), "stl")

    assert geometry.volume_mm3 == pytest.approx(1000)
    assert geometry.triangle_count == 13


def test_negative_zero_coordinates_join_positive_zero():
    triangles = fixtures.cube_triangles(10)
    triangles[triangles == 0] = -0.0
    triangles[0, 0, 0] = 0.0

    assert measure_model(fixtures.binary_stl(triangles), "stl").is_watertight


def test_sphere_volume_and_area_match_trimesh():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=7.5)
    sphere.apply_translation((3.0, -2.0, 40.0))

    geometry = measure_model(sphere.export(file_type="stl"), "stl")

    assert geometry.volume_mm3 == pytest.approx(sphere.volume, rel=1e-5)
    assert geometry.surface_area_mm2 == pytest.approx(sphere.area, rel=1e-5)
    assert geometry.triangle_count == len(sphere.faces)
    assert geometry.bbox_mm == pytest.approx(tuple(sphere.extents), rel=1e-5)


def test_torus_volume_matches_trimesh_in_ascii_stl_and_obj():
    torus = trimesh.creation.torus(major_radius=12, minor_radius=3)

    from_stl = measure_model(torus.export(file_type="stl_ascii").encode(), "stl")
    from_obj = measure_model(torus.export(file_type="obj").encode(), "obj")

    assert from_stl.volume_mm3 == pytest.approx(torus.volume, rel=1e-5)
    assert from_obj.volume_mm3 == pytest.approx(torus.volume, rel=1e-5)


def test_model_geometry_is_immutable():
    geometry = ModelGeometry(1.0, 6.0, 12, (1.0, 1.0, 1.0), True)

    with pytest.raises(AttributeError):
        geometry.volume_mm3 = 2.0


# -- OBJ and 3MF specifics --


def test_obj_polygon_faces_are_fan_triangulated():
    geometry = measure_model(fixtures.obj_cube(10), "obj")

    assert geometry.triangle_count == 12


def test_obj_with_non_numeric_vertex_is_unreadable():
    data = fixtures.obj_cube(10).replace(b"v 10.0 0.0 0.0", b"v ten 0.0 0.0")

    assert_refused(data, "obj", "model_unreadable")


def test_obj_face_referring_to_missing_vertex_is_unreadable():
    assert_refused(fixtures.obj_cube(10) + b"\nf 1 2 99\n", "obj", "model_unreadable")


def test_obj_face_with_vertex_zero_is_unreadable():
    assert_refused(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "obj", "model_unreadable")


def test_obj_face_with_two_vertices_is_unreadable():
    assert_refused(b"v 0 0 0\nv 1 0 0\nf 1 2\n", "obj", "model_unreadable")


def test_3mf_in_centimetres_is_scaled_to_millimetres():
    geometry = measure_model(fixtures.three_mf_cube(1, unit="centimeter"), "3mf")

    assert geometry.volume_mm3 == pytest.approx(1000)
    assert geometry.bbox_mm == pytest.approx((10, 10, 10))


def test_3mf_in_inches_is_scaled_to_millimetres():
    geometry = measure_model(fixtures.three_mf_cube(1, unit="inch"), "3mf")

    assert geometry.bbox_mm == pytest.approx((25.4, 25.4, 25.4))


def test_3mf_build_item_transform_is_applied():
    doubled_and_moved = "2 0 0 0 2 0 0 0 2 100 100 100"

    geometry = measure_model(
        fixtures.three_mf_cube(10, item_transform=doubled_and_moved), "3mf"
    )

    assert geometry.volume_mm3 == pytest.approx(8000)
    assert geometry.bbox_mm == pytest.approx((20, 20, 20))


def test_3mf_object_made_of_components_is_measured_whole():
    cube = fixtures.mesh_object_xml(1, fixtures.CUBE_VERTICES * 10, fixtures.CUBE_FACES)
    pair = (
        '<object id="2"><components><component objectid="1"/>'
        '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 20 0 0"/></components></object>'
    )
    model = fixtures.model_xml(cube + pair, '<item objectid="2"/>')

    geometry = measure_model(fixtures.three_mf_package(model), "3mf")

    assert geometry.volume_mm3 == pytest.approx(2000)
    assert geometry.bbox_mm == pytest.approx((30, 10, 10))


def test_3mf_component_loop_is_unreadable():
    loop = '<object id="1"><components><component objectid="1"/></components></object>'
    model = fixtures.model_xml(loop, '<item objectid="1"/>')

    assert_refused(fixtures.three_mf_package(model), "3mf", "model_unreadable")


def test_3mf_components_repeating_an_object_a_billion_times_are_too_complex():
    resources = fixtures.mesh_object_xml(1, fixtures.CUBE_VERTICES * 10, fixtures.CUBE_FACES)
    for object_id in range(2, 5):
        thousand = f'<component objectid="{object_id - 1}"/>' * 1000
        resources += f'<object id="{object_id}"><components>{thousand}</components></object>'
    model = fixtures.model_xml(resources, '<item objectid="4"/>')

    assert_refused(fixtures.three_mf_package(model), "3mf", "model_too_complex")


def test_3mf_without_relationships_falls_back_to_the_default_model_part():
    with zipfile.ZipFile(io.BytesIO(fixtures.three_mf_cube(10))) as archive:
        data = fixtures.zip_package({"3D/3dmodel.model": archive.read("3D/3dmodel.model")})

    assert measure_model(data, "3mf").volume_mm3 == pytest.approx(1000)


def test_3mf_xml_bomb_is_refused_without_expanding_it():
    data = fixtures.zip_package({"3D/3dmodel.model": fixtures.xml_bomb_model()})

    assert_refused(data, "3mf", "model_unreadable")


def test_3mf_with_invalid_xml_is_unreadable():
    data = fixtures.zip_package({"3D/3dmodel.model": b"<model><resources>"})

    assert_refused(data, "3mf", "model_unreadable")


def test_3mf_without_a_model_part_is_unreadable():
    assert_refused(fixtures.zip_package({"readme.txt": b"hello"}), "3mf", "model_unreadable")


def test_3mf_triangle_referring_to_missing_vertex_is_unreadable():
    broken = fixtures.mesh_object_xml(1, fixtures.CUBE_VERTICES, [(0, 1, 8)])
    data = fixtures.three_mf_package(fixtures.model_xml(broken, '<item objectid="1"/>'))

    assert_refused(data, "3mf", "model_unreadable")


def test_3mf_with_unknown_unit_is_unreadable():
    assert_refused(fixtures.three_mf_cube(10, unit="furlong"), "3mf", "model_unreadable")


def test_3mf_model_larger_than_unpack_limit_is_too_complex():
    limits = GeometryLimits(max_unpacked_bytes=500)

    assert_refused(fixtures.three_mf_cube(10), "3mf", "model_too_complex", limits=limits)


# -- refusals --


def test_cube_with_one_triangle_missing_is_not_watertight():
    data = fixtures.binary_stl(fixtures.cube_triangles(10)[:-1])

    assert_refused(data, "stl", "model_not_watertight")


def test_cube_with_one_triangle_flipped_is_not_watertight():
    triangles = fixtures.cube_triangles(10)
    triangles[0] = triangles[0, ::-1]

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_not_watertight")


def test_edge_shared_by_four_triangles_is_not_watertight():
    extra = fixtures.cube_triangles(10)[:1]
    triangles = np.concatenate([fixtures.cube_triangles(10), extra, extra[:, ::-1]])

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_not_watertight")


def test_cube_with_a_quad_hole_is_not_watertight():
    # Both triangles of one face missing: the boundary is a four-edge loop.
    triangles = np.delete(fixtures.cube_triangles(10), [0, 6], axis=0)

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_not_watertight")


@pytest.mark.parametrize("file_format", ["stl", "obj", "3mf"])
def test_empty_file_is_refused_as_empty(file_format):
    assert_refused(b"", file_format, "model_empty")


def test_binary_stl_with_a_single_triangle_is_not_watertight():
    data = fixtures.binary_stl(fixtures.cube_triangles(10)[:1])

    assert_refused(data, "stl", "model_not_watertight")


def test_binary_stl_with_no_triangles_is_empty():
    assert_refused(fixtures.binary_stl(np.empty((0, 3, 3))), "stl", "model_empty")


def test_ascii_stl_with_no_facets_is_empty():
    assert_refused(b"solid nothing\nendsolid nothing\n", "stl", "model_empty")


def test_obj_without_faces_is_empty():
    assert_refused(b"# just a comment\nv 0 0 0\n", "obj", "model_empty")


@pytest.mark.parametrize("file_format", ["stl", "obj", "3mf"])
def test_garbage_bytes_are_unreadable(file_format):
    assert_refused(fixtures.garbage(), file_format, "model_unreadable")


def test_truncated_binary_stl_is_unreadable():
    data = fixtures.binary_stl(fixtures.cube_triangles(10))

    assert_refused(data[:-7], "stl", "model_unreadable")


def test_binary_stl_shorter_than_its_header_is_unreadable():
    assert_refused(b"\x00" * 40, "stl", "model_unreadable")


def test_ascii_stl_with_non_numeric_vertex_is_unreadable():
    data = fixtures.ascii_stl(fixtures.cube_triangles(10)).replace(b"vertex 0.0", b"vertex abc", 1)

    assert_refused(data, "stl", "model_unreadable")


def test_ascii_stl_facet_with_missing_vertex_is_unreadable():
    lines = fixtures.ascii_stl(fixtures.cube_triangles(10)).split(b"\n")
    del lines[3]

    assert_refused(b"\n".join(lines), "stl", "model_unreadable")


def test_truncated_3mf_is_unreadable():
    data = fixtures.three_mf_cube(10)

    assert_refused(data[: len(data) // 2], "3mf", "model_unreadable")


def test_coordinates_near_float_limit_are_too_large():
    triangles = fixtures.cube_triangles(3e38)

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_too_large")


def test_non_finite_coordinates_are_unreadable():
    triangles = fixtures.cube_triangles(10)
    triangles[triangles == 10] = np.nan

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_unreadable")


def test_cube_of_2m_is_too_large():
    assert_refused(fixtures.binary_stl(fixtures.cube_triangles(2000)), "stl", "model_too_large")


def test_largest_allowed_extent_is_a_limit_not_a_constant():
    limits = GeometryLimits(max_extent_mm=5)

    assert_refused(fixtures.obj_cube(10), "obj", "model_too_large", limits=limits)


def test_cube_of_half_a_millimetre_is_too_small():
    assert_refused(fixtures.binary_stl(fixtures.cube_triangles(0.5)), "stl", "model_too_small")


def test_flat_double_sided_sheet_has_zero_volume():
    sheet = np.array([[(0, 0, 0), (10, 0, 0), (0, 10, 0)]], dtype=float)
    triangles = np.concatenate([sheet, sheet[:, ::-1]])

    assert_refused(fixtures.binary_stl(triangles), "stl", "model_zero_volume")


def test_model_over_triangle_limit_is_too_complex():
    limits = GeometryLimits(max_triangles=10)

    data = fixtures.binary_stl(fixtures.cube_triangles(10))

    assert_refused(data, "stl", "model_too_complex", limits=limits)


def test_unsupported_format_is_refused():
    assert_refused(b"ISO-10303-21;", "step", "model_unsupported_format")


@pytest.mark.parametrize("file_name", ["ring.STL", "ring.obj", "Ring.3mf", "my.ring.v2.stl"])
def test_format_from_name_reads_the_extension(file_name):
    assert format_from_name(file_name) == file_name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize("file_name", ["ring.step", "ring", "stl", "ring.stl.zip", ""])
def test_format_from_name_refuses_unsupported_extensions(file_name):
    with pytest.raises(InvalidModelFile) as refusal:
        format_from_name(file_name)

    assert refusal.value.code == "model_unsupported_format"


# A truncated file of these formats has lost what makes it whole: the triangle count's bytes, the zip's directory.
TRUNCATION_IS_FATAL = {"binary_stl", "3mf"}


@pytest.mark.parametrize("name", CUBE_FILES)
def test_damaged_files_are_refused_or_still_pass_every_rule_a_refusal_enforces(name):
    file_format, make = CUBE_FILES[name]
    original = make()
    rng = np.random.default_rng(2024)
    refused = []
    for _ in range(60):
        data = bytearray(original)
        truncated = rng.random() < 0.5
        if truncated:
            data = data[: rng.integers(0, len(data))]
        for position in rng.integers(0, max(len(data), 1), size=rng.integers(1, 8)):
            if data:
                data[position] = rng.integers(0, 256)
        try:
            geometry = measure_model(bytes(data), file_format)
        except InvalidModelFile as refusal:
            refused.append(refusal.code)
            continue
        assert not (truncated and name in TRUNCATION_IS_FATAL), "a truncated file was accepted"
        # Accepted despite the damage (a flipped byte in a normal or a comment): still a makeable model.
        assert geometry.is_watertight
        assert DEFAULT_LIMITS.min_volume_mm3 <= geometry.volume_mm3 < float("inf")
        assert max(geometry.bbox_mm) <= DEFAULT_LIMITS.max_extent_mm
        assert 0 < geometry.triangle_count <= DEFAULT_LIMITS.max_triangles

    assert len(refused) >= 30, refused  # the damage is real: most of the 60 files cannot be made
    assert set(refused) <= {"model_unreadable", "model_empty", "model_not_watertight", "model_zero_volume",
                            "model_too_large", "model_too_small", "model_too_complex"}
