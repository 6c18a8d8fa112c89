"""The 3D model formats the product accepts, declared once for the shop (upload) and MES (reading)."""

from jewelry.errors import InvalidModelFile

MODEL_FORMATS = ("stl", "obj", "3mf")


def format_from_name(file_name: str) -> str:
    """The model format named by a file's extension, e.g. ``"Ring.STL"`` -> ``"stl"``."""
    _, dot, extension = file_name.rpartition(".")
    file_format = extension.lower()
    if not dot or file_format not in MODEL_FORMATS:
        raise InvalidModelFile(
            # The extension is the caller's text: not repeated (it reaches the span).
            f"Unsupported model format; upload one of: {', '.join(MODEL_FORMATS)}.",
            code="model_unsupported_format",
        )
    return file_format
