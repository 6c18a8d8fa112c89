"""The export settings live in tracing/setup.py (export thread, exemplars); each OTEL_* variable that is set wins."""

from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from tracing import setup


def _settings_of(processor) -> dict:
    batch = processor._batch_processor  # the SDK keeps them on its inner batch processor
    return {"OTEL_BSP_MAX_QUEUE_SIZE": batch._max_queue_size, "OTEL_BSP_SCHEDULE_DELAY": batch._schedule_delay_millis,
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": batch._max_export_batch_size}


OURS = {"OTEL_BSP_MAX_QUEUE_SIZE": 300, "OTEL_BSP_SCHEDULE_DELAY": 700, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 30}


def test_batch_processor_takes_our_defaults_when_the_environment_says_nothing(monkeypatch):
    monkeypatch.setattr(setup, "EXPORT_DEFAULTS", OURS)  # unlike the SDK's, so the test tells them apart
    for variable in OURS:
        monkeypatch.delenv(variable, raising=False)

    processor = setup._batch_processor(ConsoleSpanExporter())
    try:
        assert _settings_of(processor) == OURS
    finally:
        processor.shutdown()


def test_each_otel_bsp_variable_set_wins_over_our_default(monkeypatch):
    monkeypatch.setattr(setup, "EXPORT_DEFAULTS", OURS)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "not a number")  # ignored, as the SDK would
    monkeypatch.delenv("OTEL_BSP_MAX_QUEUE_SIZE", raising=False)

    processor = setup._batch_processor(ConsoleSpanExporter())
    try:
        assert _settings_of(processor) == {**OURS, "OTEL_BSP_SCHEDULE_DELAY": 200}
    finally:
        processor.shutdown()


def _exemplars_recorded(monkeypatch, filter_setting: str | None) -> int:
    """Exemplars on a histogram measured inside a sampled span, on a provider made as setup makes it."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    if filter_setting is None:
        monkeypatch.delenv(setup.EXEMPLAR_FILTER_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(setup.EXEMPLAR_FILTER_VARIABLE, filter_setting)
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], exemplar_filter=setup._exemplar_filter())
    histogram = provider.get_meter("test").create_histogram("stage")
    with TracerProvider().get_tracer("test").start_as_current_span("task"):
        histogram.record(3.0)
    points = [point for metric in reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics
              for point in metric.data.data_points]
    provider.shutdown()
    return sum(len(point.exemplars) for point in points)


def test_business_metrics_keep_no_exemplars_unless_asked(monkeypatch):
    assert _exemplars_recorded(monkeypatch, None) == 0
    assert _exemplars_recorded(monkeypatch, "trace_based") == 1
