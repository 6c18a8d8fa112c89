"""The load generator: threads driving the order flow over keep-alive HTTP connections to 127.0.0.1.

One flow = create an order, upload a small STL, submit it, read it back (as a
customer), then read the operators' queue (as an operator): five requests. The
number of flows is fixed, so every run is bounded and stops by itself.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

STEPS = ("create", "upload", "submit", "read", "queue")
EXPECTED = {"create": 201, "upload": 200, "submit": 202, "read": 200, "queue": 200}


@dataclass(frozen=True)
class Credentials:
    """A logged-in user's cookies; the CSRF token doubles as the header DRF's session auth checks."""

    session_id: str
    csrf_token: str

    def headers(self) -> dict:
        return {"Cookie": f"sessionid={self.session_id}; csrftoken={self.csrf_token}",
                "X-CSRFToken": self.csrf_token}


@dataclass
class RunResult:
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0  # filled in by the caller, who knows the server's pids
    latencies: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def _multipart(file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class FlowClient:
    """One thread's connection and users; ``flow()`` runs the five requests and records their times."""

    def __init__(self, port: int, customer: Credentials, operator: Credentials, model: bytes):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.customer, self.operator = customer.headers(), operator.headers()
        self.upload_body, self.upload_type = _multipart("ring.stl", model)

    def _request(self, step: str, method: str, path: str, headers: dict, body: bytes | None,
                 result: RunResult) -> bytes:
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        result.latencies[step].append(time.perf_counter() - started)
        if response.status != EXPECTED[step]:
            result.errors.append(f"{step} {path}: {response.status} {payload[:200]!r}")
        return payload

    def flow(self, result: RunResult) -> None:
        json_headers = {**self.customer, "Content-Type": "application/json"}
        created = self._request("create", "POST", "/api/v1/shop/orders/", json_headers,
                                b'{"metal": "gold_18k"}', result)
        try:
            order_id = json.loads(created)["id"]
        except (ValueError, KeyError):
            return
        upload_headers = {**self.customer, "Content-Type": self.upload_type}
        self._request("upload", "POST", f"/api/v1/shop/orders/{order_id}/model/", upload_headers,
                      self.upload_body, result)
        self._request("submit", "POST", f"/api/v1/shop/orders/{order_id}/submit/", self.customer, b"", result)
        self._request("read", "GET", f"/api/v1/shop/orders/{order_id}/", self.customer, None, result)
        self._request("queue", "GET", "/api/v1/mes/queue/", self.operator, None, result)

    def close(self) -> None:
        self.connection.close()


def run_flows(port: int, customers: list[Credentials], operator: Credentials, model: bytes, *,
              flows: int, concurrency: int) -> RunResult:
    """Run ``flows`` order flows on ``concurrency`` threads; wall time covers all of them."""
    result = RunResult()
    tickets = itertools.count()
    lock = threading.Lock()
    clients = [FlowClient(port, customers[i % len(customers)], operator, model) for i in range(concurrency)]

    def work(client: FlowClient) -> None:
        while True:
            with lock:
                if next(tickets) >= flows:
                    return
            thread_result = RunResult()
            client.flow(thread_result)
            with lock:
                for step, values in thread_result.latencies.items():
                    result.latencies[step].extend(values)
                result.errors.extend(thread_result.errors)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    for client in clients:
        client.close()
    return result
