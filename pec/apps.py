from django.apps import AppConfig


class PecConfig(AppConfig):
    name = "pec"
    verbose_name = "PEC"

    def ready(self) -> None:
        from pec.audit import conectar_sinais

        conectar_sinais()
