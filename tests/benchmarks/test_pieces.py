"""The per-piece variants take out what they name, and only that (benchmarks/pieces.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import pieces

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_piece_is_refused_by_name():
    with pytest.raises(ValueError, match="sql_totals"):
        pieces.take_out({"sql_totals"})


def test_without_hooks_spans_go_unannotated_but_a_worker_still_restarts_its_export_after_the_fork():
    # In a process of its own: taking pieces out changes modules for good.
    probe = """
import os, weakref
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jewelry.settings")
from celery import signals
from benchmarks import pieces
pieces.take_out({"hooks"})
from tracing import hooks
hooks.connect()

def receiver(signal, uid):
    for key, found in signal.receivers:
        if key[0] == uid:
            return found() if isinstance(found, weakref.ReferenceType) else found

print(receiver(signals.task_prerun, "tracing.prerun") is pieces._nothing,
      receiver(signals.worker_process_init, "tracing.fork") is hooks._after_fork,
      receiver(signals.worker_process_shutdown, "tracing.flush") is hooks._flush)
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "True"]
