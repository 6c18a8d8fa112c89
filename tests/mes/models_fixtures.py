"""Model files for the geometry tests: the product's sample models, and broken or hostile ones."""

import numpy as np

from jewelry.sample_models import (  # noqa: F401  (the tests read every sample through this module)
    CORE_NAMESPACE,
    CUBE_FACES,
    CUBE_QUADS,
    CUBE_VERTICES,
    ascii_stl,
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
