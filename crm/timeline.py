"""One order-level time axis for the support console: stages as bands, every trace as a row of spans.

The axis runs from the order's creation (or its earliest span) to its closing time, or to
now while it is open. Every position is a percentage of that axis, so a span of the
worker sits where it happened relative to the stages and to the web process's spans.
A failure is flagged where it happened: a later span that only reports the same error
(``run/<PricingFailed.name>`` recording MES's refusal) is marked as a report.
"""

from dataclasses import dataclass
from datetime import datetime

from tracing import attributes as A
from tracing.waterfall import WaterfallRow, waterfall

MIN_WIDTH_PERCENT = 0.4  # a span of a few milliseconds on a day-long axis stays visible
# More rows than this bury the axis (an order re-sent for days has hundreds of traces): the rest
# are counted in one line, and their spans are still listed below it.
MAX_AXIS_ROWS = 25


@dataclass(frozen=True)
class Axis:
    start_ns: int
    end_ns: int

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9

    def percent(self, at_ns: int) -> float:
        span = max(self.end_ns - self.start_ns, 1)
        return round(min(max(100 * (at_ns - self.start_ns) / span, 0.0), 100.0), 2)

    def place(self, start_ns: int, end_ns: int) -> tuple[float, float]:
        """(left, width) in percent of the axis; at least ``MIN_WIDTH_PERCENT`` wide, never past its end."""
        left = self.percent(start_ns)
        width = max(self.percent(end_ns) - left, MIN_WIDTH_PERCENT)
        return left, round(min(width, 100.0 - left) if left < 100 else MIN_WIDTH_PERCENT, 2)


@dataclass(frozen=True)
class Band:
    status: str
    left_percent: float
    width_percent: float
    is_current: bool


@dataclass(frozen=True)
class SpanMark:
    row: WaterfallRow  # the span, its depth in its trace's tree, its attributes
    left_percent: float  # on the order's axis
    width_percent: float
    since_order_s: float  # seconds from the axis start to the span's start
    failed_here: bool  # the first span that failed with this error
    reports_failure: bool  # failed with an error an earlier span already had: only a report of it

    @property
    def span(self):
        return self.row.span

    @property
    def status_shown(self) -> str:
        """The span's status where it says something: "error", "ok"; "" for unset."""
        if self.reports_failure:
            return "reports the error"
        return "" if self.span.status == "unset" else self.span.status


@dataclass(frozen=True)
class TraceRow:
    trace: dict  # the view's trace entry: lookup, steps, services, jaeger_url
    marks: list[SpanMark]

    @property
    def failed(self) -> list[SpanMark]:
        return [mark for mark in self.marks if mark.failed_here]


@dataclass(frozen=True)
class Timeline:
    axis: Axis
    bands: list[Band]
    rows: list[TraceRow]  # one per trace of the order, oldest first

    @property
    def axis_rows(self) -> list[TraceRow]:
        """The rows drawn on the axis: those with a failure, then the newest; ``MAX_AXIS_ROWS`` at most."""
        if len(self.rows) <= MAX_AXIS_ROWS:
            return self.rows
        first_kept = sorted(range(len(self.rows)), key=lambda index: (not self.rows[index].failed, -index))
        return [self.rows[index] for index in sorted(first_kept[:MAX_AXIS_ROWS])]

    @property
    def rows_not_on_axis(self) -> int:
        return len(self.rows) - len(self.axis_rows)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000


def span_marks(rows: list[WaterfallRow], axis: Axis, seen_errors: set) -> list[SpanMark]:
    """A trace's spans placed on the order's axis. ``seen_errors`` (error types flagged so far) grows."""
    marks = []
    for row in sorted(rows, key=lambda r: r.span.start_ns):
        error_type = row.span.attributes.get(A.ERROR_TYPE, "") or row.span.status_message
        repeated = row.span.failed and error_type in seen_errors
        if row.span.failed:
            seen_errors.add(error_type)
        left, width = axis.place(row.span.start_ns, row.span.end_ns)
        marks.append(SpanMark(row=row, left_percent=left, width_percent=width,
                              since_order_s=(row.span.start_ns - axis.start_ns) / 1e9,
                              failed_here=row.span.failed and not repeated, reports_failure=repeated))
    order = {id(row): index for index, row in enumerate(rows)}  # back to the tree's order
    return sorted(marks, key=lambda mark: order[id(mark.row)])


def order_timeline(*, journey, traces: list[dict]) -> Timeline:
    """The journey's stages and ``traces`` (each with its ``lookup``) on one axis."""
    spans = [span for trace in traces for span in trace["lookup"].spans]
    end = journey.ended_at or journey.now
    axis = Axis(start_ns=min([_ns(journey.order.created_at)] + [span.start_ns for span in spans]),
                end_ns=max([_ns(end)] + [span.end_ns for span in spans]))
    bands = []
    for stage in journey.stages:
        left, width = axis.place(_ns(stage.entered_at), _ns(stage.left_at or end))
        bands.append(Band(status=stage.status, left_percent=left, width_percent=width,
                          is_current=stage.is_current))
    seen_errors: set = set()
    chronological = sorted(traces, key=lambda t: min((s.start_ns for s in t["lookup"].spans), default=0))
    marks_of = {id(trace): span_marks(waterfall(trace["lookup"].spans), axis, seen_errors)
                for trace in chronological}
    return Timeline(axis=axis, bands=bands, rows=[TraceRow(trace=trace, marks=marks_of[id(trace)])
                                                  for trace in traces])
