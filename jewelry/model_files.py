"""The 3D model formats the product accepts, declared once for the shop (upload) and MES (reading).

``check_model_file`` is the cheap check at upload (format, STL size, zip structure,
text); MES reads the whole model later. ``open_3mf_archive`` is shared by both.
"""

import re
import zipfile
from typing import BinaryIO

from jewelry.errors import InvalidModelFile

MODEL_FORMATS = ("stl", "obj", "3mf")

# A 3MF is a zip: these bound what reading one may cost before a byte is inflated.
# 1M triangles as 3MF XML is about 80 MiB unpacked; the zip's directory is read
# into memory whole, so its size and entry count are checked before it is read.
MAX_3MF_MEMBERS = 1_000
MAX_3MF_DIRECTORY_BYTES = 1024 * 1024
MAX_3MF_PART_BYTES = 128 * 1024 * 1024
MAX_3MF_TOTAL_BYTES = 256 * 1024 * 1024

_CHUNK = 1024 * 1024
_BINARY_STL_HEADER = 84
_BINARY_STL_RECORD = 50
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_OF_DIRECTORY_SIZE = 22
_MAX_ZIP_COMMENT = 0xFFFF


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


def check_model_file(file: BinaryIO, file_format: str, size: int) -> None:
    """Refuse, with ``InvalidModelFile``, a file that cannot be a model of its format.

    Reads at most a chunk at a time and leaves the file at its start. Whether the
    surface is closed, and how many triangles a 3MF expands to, is MES's deep check.
    """
    try:
        if file_format == "stl":
            _check_stl(file, size)
        elif file_format == "obj":
            _check_text(file, "OBJ", required=(rb"(?m)^[ \t]*v[ \t]", rb"(?m)^[ \t]*f[ \t]"))
        else:
            with open_3mf_archive(file) as archive:
                if not any(name.lower().endswith(".model") for name in archive.namelist()):
                    raise _unreadable("The 3MF file contains no 3D model.")
    finally:
        file.seek(0)


def _check_stl(file: BinaryIO, size: int) -> None:
    # The same rule MES reads by (docs/pricing.md): binary when the size matches the count.
    file.seek(0)
    head = file.read(_BINARY_STL_HEADER)
    if len(head) == _BINARY_STL_HEADER:
        count = int.from_bytes(head[80:84], "little")
        if size == _BINARY_STL_HEADER + _BINARY_STL_RECORD * count:
            if count == 0:
                raise InvalidModelFile("The STL file has no triangles.", code="model_empty")
            return
    if head.lstrip()[:5].lower() != b"solid":
        raise _unreadable("The STL file is truncated or is not an STL file.")
    _check_text(file, "ASCII STL", required=(rb"(?i)\bvertex\s",))


def _check_text(file: BinaryIO, what: str, required: tuple[bytes, ...]) -> None:
    """Text with no NUL byte in which each pattern of ``required`` matches somewhere."""
    missing = [re.compile(pattern) for pattern in required]
    file.seek(0)
    carried = b"\n"  # the last partial line of the previous chunk, so no match is split
    while chunk := file.read(_CHUNK):
        if b"\0" in chunk:
            raise _unreadable(f"The {what} file is not text.")
        text = carried + chunk
        missing = [pattern for pattern in missing if not pattern.search(text)]
        carried = text[text.rfind(b"\n"):][-256:]
    if missing:
        raise _unreadable(f"The {what} file holds no vertices or no faces.")


def open_3mf_archive(file: BinaryIO) -> zipfile.ZipFile:
    """The 3MF's zip, once its directory and declared sizes are within the ``MAX_3MF_*`` bounds.

    Python's zipfile stops inflating a member at its declared size (a larger one
    fails its CRC), so the declared sizes bound what reading may inflate.
    """
    _check_zip_directory(file)
    try:
        archive = zipfile.ZipFile(file)
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise _unreadable("The 3MF file is not a readable zip archive.") from None
    if sum(member.file_size for member in members) > MAX_3MF_TOTAL_BYTES or any(
        member.file_size > MAX_3MF_PART_BYTES for member in members
    ):
        archive.close()
        raise InvalidModelFile(
            f"The 3MF file unpacks to more than {MAX_3MF_PART_BYTES // 2**20} MiB in one part or "
            f"{MAX_3MF_TOTAL_BYTES // 2**20} MiB in all.",
            code="model_too_complex",
        )
    for member in members:
        # 3MF allows only stored and deflated parts; bit 0 marks an encrypted one.
        if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            archive.close()
            raise _unreadable("The 3MF file holds an encrypted or unusually compressed part.")
    return archive


def _check_zip_directory(file: BinaryIO) -> None:
    """Refuse a zip whose central directory is huge before zipfile reads it into memory."""
    file.seek(0, 2)
    size = file.tell()
    tail_size = min(size, _END_OF_DIRECTORY_SIZE + _MAX_ZIP_COMMENT)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    file.seek(0)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_OF_DIRECTORY_SIZE:
        raise _unreadable("The 3MF file is not a readable zip archive.")
    entries = int.from_bytes(tail[at + 10:at + 12], "little")
    directory_bytes = int.from_bytes(tail[at + 12:at + 16], "little")
    # 0xFFFF / 0xFFFFFFFF say "see the zip64 record": no model part needs that many.
    if entries > MAX_3MF_MEMBERS or directory_bytes > MAX_3MF_DIRECTORY_BYTES:
        raise InvalidModelFile(
            f"The 3MF file has more than {MAX_3MF_MEMBERS} parts or a directory over "
            f"{MAX_3MF_DIRECTORY_BYTES // 2**20} MiB.",
            code="model_too_complex",
        )


def _unreadable(message: str) -> InvalidModelFile:
    return InvalidModelFile(message, code="model_unreadable")
