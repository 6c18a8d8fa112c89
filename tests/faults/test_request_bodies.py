"""Request bodies straight at gunicorn (finding 9): a body declared bigger than any endpoint
takes is refused 413 before Django streams a byte of it to a temporary file.

The client sends the headers and a first 64 KiB, then waits for an answer; only a server
that gave none (it is reading the body) gets the rest, so the test fails on the old code
by what reached the temporary directory, never by a timeout.
"""

import base64
import json
import select
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jewelry.sample_models import cube_stl
from tests.faults.test_hostile_models import PRODUCTION, new_order, shop_session, upload
from tests.processes import gunicorn_server, process_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(databases=["default", "mes"], transaction=True)]

DECLARED = 300 * 1024 * 1024
CHUNK = 64 * 1024


def _bytes_in(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


class PeakSize(threading.Thread):
    """Polls a directory's total size until stopped; ``peak`` is the largest seen."""

    def __init__(self, directory: Path):
        super().__init__(daemon=True)
        self.directory, self.peak, self.stopped = directory, 0, threading.Event()

    def run(self):
        while not self.stopped.wait(0.02):
            try:
                self.peak = max(self.peak, _bytes_in(self.directory))
            except FileNotFoundError:  # a temporary file went away while being counted
                continue


def post_declaring(url: str, path: str, auth: tuple[str, str], declared: int) -> tuple[int, dict]:
    """POST a multipart model of ``declared`` bytes; send all of it only if no answer comes first."""
    boundary = "b0undary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ring.stl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    token = base64.b64encode(":".join(auth).encode()).decode()
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port)) as connection:
        connection.sendall((f"POST {path} HTTP/1.0\r\nHost: {where.hostname}\r\n"
                            f"Authorization: Basic {token}\r\nX-Forwarded-Proto: https\r\n"
                            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n").encode() + head)
        sent, block = len(head), b"\0" * CHUNK
        answered, _, _ = select.select([connection], [], [], 5)
        while not answered and sent < declared:
            piece = block[:declared - sent]
            connection.sendall(piece)
            sent += len(piece)
            answered, _, _ = select.select([connection], [], [], 0)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, body = answer.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body or b"{}")


def test_an_upload_declared_over_the_limit_is_413_before_anything_is_spooled(customer, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = process_env(**PRODUCTION, TMPDIR=str(temporary))
    with gunicorn_server(env=env, workers=1) as web:
        shop = shop_session(web, customer)
        order_id = new_order(shop)
        watcher = PeakSize(temporary)
        watcher.start()
        try:
            status, body = post_declaring(web.url, f"/api/v1/shop/orders/{order_id}/model/",
                                          (customer.username, "pw-for-tests"), DECLARED)
        finally:
            watcher.stopped.set()
            watcher.join()
        # the worker took it in its stride: a model of the right size still goes in
        still_served = upload(shop, order_id, cube_stl(10), "ring.stl").status_code

    assert watcher.peak < CHUNK * 4, f"{watcher.peak} bytes reached {temporary}"
    assert status == 413, body
    assert body["code"] == "request_too_large" and body["message"]
    assert still_served == 200
