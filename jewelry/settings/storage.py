"""Files: 3D models (local disk by default, S3/MinIO in production), uploads' limits, static files."""

from pathlib import Path

from jewelry.settings.base import VAR_DIR
from jewelry.settings.env import env

STATIC_URL = "static/"
# Where collectstatic puts the static files WhiteNoise serves; collectstatic makes the folder.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
# Uploaded models on local disk; the storage makes its folders when it saves the first file.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))

STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")


def _model_files_storage(backend: str) -> dict:
    """Where uploaded 3D models go: local disk, or S3/MinIO (django-storages) in production."""
    if backend != "s3":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }


# STORAGES["default"]; STORAGES itself is in production.py, whose static files storage differs.
MODEL_FILES_STORAGE = _model_files_storage(STORAGE_BACKEND)

MODEL_UPLOAD_MAX_BYTES = env.int("MODEL_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# What all of one customer's orders' models may take in storage together (a replaced model's
# file is deleted, so this counts one file per order): five models of the largest size.
MODEL_STORAGE_PER_CUSTOMER_BYTES = env.int("MODEL_STORAGE_PER_CUSTOMER_BYTES", default=250 * 1024 * 1024)
# Bodies bigger than this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
