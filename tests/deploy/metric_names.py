"""The Prometheus metric names the stack exports, and the ones a PromQL expression uses.

The deploy tests check the alert rules and the dashboard against this list, so a
renamed metric in tracing/attributes.py or in the Collector config shows up here.
"""

import ast
import re

from .conftest import REPO

# How the Collector's prometheus exporter names the app's metrics (tracing/attributes.py
# METRIC_*): dots become underscores, histograms in seconds get _seconds, counters _total.
BUSINESS_METRICS = {
    "METRIC_ORDER_DURATION": "alexandrite_order_duration_seconds",
    "METRIC_STAGE_DURATION": "alexandrite_order_stage_duration_seconds",
    "METRIC_TRANSITIONS": "alexandrite_order_transitions_total",
    "METRIC_ERRORS": "alexandrite_order_errors_total",
    "METRIC_STUCK": "alexandrite_orders_stuck",
    "METRIC_REDISPATCHED": "alexandrite_orders_redispatched_total",
}
# The Collector's copies of three of them, derived from the spans' transition events
# (deploy/otel-collector/config.yaml, signal_to_metrics/orders).
BUSINESS_METRICS_FROM_SPANS = {
    "alexandrite_spans_order_duration_seconds",
    "alexandrite_spans_order_stage_duration_seconds",
    "alexandrite_spans_order_transitions_total",
}
SPAN_METRICS = {"traces_span_metrics_calls_total", "traces_span_metrics_duration_milliseconds"}
PIPELINE_METRICS = {
    "otelcol_receiver_accepted_spans_total",
    "otelcol_receiver_refused_spans_total",
    "otelcol_exporter_sent_spans_total",
    "otelcol_exporter_send_failed_spans_total",
    "otelcol_exporter_enqueue_failed_spans_total",
    "otelcol_exporter_queue_size",
    "otelcol_exporter_queue_capacity",
    "up",
}
# Availability (deploy/prometheus/rules, "alexandrite-availability"): the blackbox exporter's
# probe of the web app (job web-availability), RabbitMQ's prometheus plugin (/metrics/detailed),
# and the rules' own records.
AVAILABILITY_METRICS = {
    "probe_success",
    "rabbitmq_detailed_queue_consumers",
    "alexandrite:component_up",
    "alexandrite:up",
}
PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "by",
    "without",
    "rate",
    "increase",
    "histogram_quantile",
    "and",
    "or",
    "unless",
    "avg_over_time",
    "on",
    "ignoring",
    "group_left",
    "le",
    "bool",
    "absent",
    "vector",
    "label_replace",
    "clamp_max",
}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers outside {...} and quotes, not functions or labels."""
    without_selectors = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    without_strings = re.sub(r'"[^"]*"', "", without_selectors)
    without_groupings = re.sub(r"\b(by|without|on|ignoring|group_left)\s*\([^)]*\)", "", without_strings)
    names = set(re.findall(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", without_groupings))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names - PROMQL_WORDS}


def known_metric_names() -> set[str]:
    tree = ast.parse((REPO / "tracing" / "attributes.py").read_text())
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    for constant, prometheus_name in BUSINESS_METRICS.items():
        # the Prometheus name must still derive from the app's OTel name
        assert prometheus_name.startswith(constants[constant].replace(".", "_")), constant
    business = {re.sub(r"_(bucket|sum|count)$", "", name) for name in BUSINESS_METRICS.values()}
    return business | BUSINESS_METRICS_FROM_SPANS | SPAN_METRICS | PIPELINE_METRICS | AVAILABILITY_METRICS
