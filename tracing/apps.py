from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "tracing"
    verbose_name = "Tracing"

    def ready(self):
        from tracing import hooks, setup

        setup.configure_tracing()
        hooks.connect()
