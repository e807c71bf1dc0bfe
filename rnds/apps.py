from django.apps import AppConfig


class RndsConfig(AppConfig):
    name = "rnds"
    verbose_name = "RNDS"
