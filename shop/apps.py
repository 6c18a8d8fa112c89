from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "SHOP"

    def ready(self):
        # Registers the Celery tasks in every process, so that publishing by name
        # always finds the task (and the trace context travels with it).
        # ``events`` connects the outbox's post-save hook: a message written for MES is logged with its order.
        from shop import events, tasks  # noqa: F401
