"""The export thread's settings live in tracing/setup.py; each OTEL_BSP_* variable that is set wins."""

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
