from django.apps import AppConfig


class MesConfig(AppConfig):
    name = "mes"
    verbose_name = "MES"

    def ready(self):
        # Registers the Celery tasks in every process, so that publishing by name
        # always finds the task (and the trace context travels with it).
        from mes import tasks  # noqa: F401
