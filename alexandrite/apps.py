from django.apps import AppConfig


class AlexandriteConfig(AppConfig):
    name = "alexandrite"
    verbose_name = "Alexandrite (project level)"
