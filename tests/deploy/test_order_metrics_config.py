"""The order metrics the Collector derives from spans (deploy/otel-collector/config.yaml,
signal_to_metrics/orders) mirror the app's own (tracing/metrics.py): names, labels, units and
buckets, fed from every span before tail sampling."""

from tracing import attributes as A
from tracing.metrics import DURATION_BUCKETS

CONNECTOR = "signal_to_metrics/orders"


def _derived(collector_config) -> dict[str, dict]:
    return {metric["name"]: metric for metric in collector_config["connectors"][CONNECTOR]["spans"]}


def test_the_order_metrics_see_every_span_before_tail_sampling(collector_config):
    pipelines = collector_config["service"]["pipelines"]
    (feeding,) = [name for name, p in pipelines.items() if CONNECTOR in p["exporters"]]
    (forward,) = pipelines[feeding]["receivers"]
    assert forward in pipelines["traces/in"]["exporters"]
    assert "tail_sampling" not in pipelines["traces/in"]["processors"] + pipelines[feeding]["processors"]
    (metrics,) = [p for p in pipelines.values() if CONNECTOR in p["receivers"]]
    # the connector's deltas become running totals before the prometheus exporter reads them
    assert metrics["processors"][-1] == "delta_to_cumulative"
    assert metrics["exporters"] == ["prometheus"]


def test_the_derived_metrics_are_the_apps_under_their_own_names_with_the_same_labels(collector_config):
    derived = _derived(collector_config)
    spans = "alexandrite.spans."
    assert set(derived) == {spans + A.METRIC_TRANSITIONS.removeprefix("alexandrite."),
                            spans + A.METRIC_STAGE_DURATION.removeprefix("alexandrite."),
                            spans + A.METRIC_ORDER_DURATION.removeprefix("alexandrite.")}
    transitions = derived["alexandrite.spans.order.transitions"]
    assert [a["key"] for a in transitions["attributes"]] == [A.ORDER_PREVIOUS_STATUS, A.ORDER_STATUS,
                                                             A.TRANSITION_RECORD]
    assert transitions["unit"] == "{transition}" and transitions["sum"]["monotonic"] is True
    for name in ("alexandrite.spans.order.stage.duration", "alexandrite.spans.order.duration"):
        assert derived[name]["unit"] == "s"
        assert derived[name]["histogram"]["buckets"] == list(DURATION_BUCKETS), name
    assert A.TRANSITION_STAGE_SECONDS in derived["alexandrite.spans.order.stage.duration"]["histogram"]["value"]
    assert A.TRANSITION_ORDER_SECONDS in derived["alexandrite.spans.order.duration"]["histogram"]["value"]


def test_the_transition_events_facts_are_lifted_onto_their_span_for_the_connector(collector_config):
    (group,) = collector_config["processors"]["transform/transition_facts"]["trace_statements"]
    assert group["conditions"] == [f'spanevent.name == "{A.EVENT_TRANSITION}"']
    lifted = {key for key in (A.ORDER_PREVIOUS_STATUS, A.ORDER_STATUS, A.TRANSITION_RECORD,
                              A.TRANSITION_STAGE_SECONDS, A.TRANSITION_ORDER_SECONDS)
              if f'set(span.attributes["{key}"], spanevent.attributes["{key}"])' in group["statements"]}
    assert len(lifted) == 5
    # the stage histogram is labelled, like the app's, with the status left, named order.status
    (stage,) = collector_config["processors"]["transform/stage_label"]["metric_statements"]
    assert stage["statements"][0] == (f'set(datapoint.attributes["{A.ORDER_STATUS}"], '
                                      f'datapoint.attributes["{A.ORDER_PREVIOUS_STATUS}"])')
