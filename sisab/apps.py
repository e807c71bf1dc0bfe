from django.apps import AppConfig


class SisabConfig(AppConfig):
    name = "sisab"
    verbose_name = "SISAB"
