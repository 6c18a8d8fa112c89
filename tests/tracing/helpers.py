"""Reading the in-memory exporter's spans: find them by name or kind, and everything they say as text."""

from opentelemetry.trace import SpanKind


def named(finished, name: str) -> list:
    return [span for span in finished if span.name == name]


def one(finished, name: str):
    matches = named(finished, name)
    names = [span.name for span in finished]
    assert len(matches) == 1, f"expected one span {name!r}, got {len(matches)} of {names}"
    return matches[0]


def server_spans(finished) -> list:
    return [span for span in finished if span.kind == SpanKind.SERVER]


def trace_id(span) -> str:
    return format(span.context.trace_id, "032x")


def events(span, name: str) -> list[dict]:
    return [dict(event.attributes) for event in span.events if event.name == name]


def _texts(value):
    if isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    else:
        yield str(value)


def everything_said(span) -> list[str]:
    """Every string a span carries to a backend: name, attributes, events, status, links, resource."""
    said = [span.name, span.status.description or ""]
    for attributes in [span.attributes, span.resource.attributes,
                       *(event.attributes for event in span.events),
                       *(link.attributes for link in span.links)]:
        for key, value in (attributes or {}).items():
            said.append(key)
            said.extend(_texts(value))
    said.extend(event.name for event in span.events)
    return said
