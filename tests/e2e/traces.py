"""Reading what the OTLP receiver got: one business flow's trace, its spans and how they nest."""

from jewelry.contracts import PriceRequested
from tests.otlp_receiver import ReceivedSpan
from tracing import attributes as A

TRACE_TIMEOUT = 30
SUBMIT = "POST api/v1/shop/orders/<id:order_id>/submit/"
PRICE_RUN = f"run/{PriceRequested.name}"


def _trace_about(spans: list[ReceivedSpan], root: str, order_id: int) -> list[ReceivedSpan]:
    roots = [span for span in spans if span.name == root and span.attributes.get(A.ORDER_ID) == order_id]
    if not roots:
        return []
    return [span for span in spans if span.trace_id == roots[-1].trace_id]


def wait_for_trace(otlp, *, root: str, order_id: int, names: set[str]) -> list[ReceivedSpan]:
    """The trace of the ``root`` span about ``order_id``, once it holds spans with all ``names``."""
    def complete(spans):
        return names <= {span.name for span in _trace_about(spans, root, order_id)}

    return _trace_about(otlp.wait_for(complete, timeout=TRACE_TIMEOUT), root, order_id)


def one(trace: list[ReceivedSpan], name: str) -> ReceivedSpan:
    matches = [span for span in trace if span.name == name]
    assert len(matches) == 1, f"expected one {name!r} in the trace, got {[s.name for s in trace]}"
    return matches[0]


def children(trace: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [span for span in trace if span.parent_span_id == parent.span_id]


def transitions(span: ReceivedSpan) -> list[tuple[str, str]]:
    return [(attributes[A.ORDER_PREVIOUS_STATUS], attributes[A.ORDER_STATUS])
            for name, attributes in span.events if name == A.EVENT_TRANSITION]


def messaging(span: ReceivedSpan) -> dict:
    names = (A.MESSAGING_SYSTEM, A.MESSAGING_OPERATION_NAME, A.MESSAGING_OPERATION_TYPE,
             A.MESSAGING_DESTINATION_NAME, A.MESSAGING_ROUTING_KEY, A.MESSAGING_CONSUMER_GROUP,
             A.MESSAGING_MESSAGE_ID)
    return {name: span.attributes.get(name) for name in names}


def rabbitmq(operation: str, routing_key: str, queue: str, message_id: str) -> dict:
    """The messaging attributes a publish ("send") or consume ("process") span must carry."""
    return {
        A.MESSAGING_SYSTEM: "rabbitmq",
        A.MESSAGING_OPERATION_NAME: "publish" if operation == "send" else "process",
        A.MESSAGING_OPERATION_TYPE: operation,
        A.MESSAGING_DESTINATION_NAME: f"alexandrite:{routing_key}",
        A.MESSAGING_ROUTING_KEY: routing_key,
        A.MESSAGING_CONSUMER_GROUP: queue,
        A.MESSAGING_MESSAGE_ID: message_id,
    }
