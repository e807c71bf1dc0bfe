from django.apps import AppConfig


class PecConfig(AppConfig):
    name = "pec"
    verbose_name = "PEC"
