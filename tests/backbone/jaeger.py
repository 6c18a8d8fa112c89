"""Reading spans back from the real Jaeger's query API v3 (OTLP-JSON), as the tests' ReceivedSpan."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import requests
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.otlp_receiver import ReceivedSpan, _hex_ids_to_base64, decode_spans

WAIT_TIMEOUT = 90.0


def _spans(body: dict) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    json_format.ParseDict(_hex_ids_to_base64(body.get("result", {})), request, ignore_unknown_fields=True)
    return decode_spans(request)


class Jaeger:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        """Every span Jaeger holds of one trace ([] when it holds none)."""
        response = requests.get(f"{self.base_url}/api/v3/traces/{trace_id}", timeout=10)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return _spans(response.json())

    def traces(self, service: str, *, lookback: timedelta = timedelta(hours=1),
               limit: int = 1000) -> dict[str, list[ReceivedSpan]]:
        """The traces with a span of ``service`` started within ``lookback``, by trace id."""
        now = datetime.now(UTC)
        params = {
            "query.service_name": service,
            "query.start_time_min": (now - lookback).isoformat(),
            "query.start_time_max": (now + timedelta(minutes=1)).isoformat(),
            "query.num_traces": limit,
        }
        response = requests.get(f"{self.base_url}/api/v3/traces", params=params, timeout=30)
        if response.status_code == 404:
            return {}
        response.raise_for_status()
        by_trace = defaultdict(list)
        for span in _spans(response.json()):
            by_trace[span.trace_id].append(span)
        return dict(by_trace)

    def wait_for(self, predicate, *, timeout: float = WAIT_TIMEOUT, describe=lambda: ""):
        """Poll until ``predicate()`` returns something truthy; returns it."""
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"Jaeger did not show it within {timeout:.0f} s. {describe()}")
            time.sleep(1)
        return result

    def services(self) -> list[str]:
        response = requests.get(f"{self.base_url}/api/v3/services", timeout=10)
        response.raise_for_status()
        return response.json().get("services", [])

    def metrics(self, kind: str, service: str, **params) -> dict:
        """The Monitor tab's data: /api/metrics/{latencies,calls,errors} for ``service``."""
        response = requests.get(f"{self.base_url}/api/metrics/{kind}",
                                params={"service": service, **params}, timeout=10)
        response.raise_for_status()
        return response.json()

