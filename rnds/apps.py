from django.apps import AppConfig


class RndsConfig(AppConfig):
    name = "rnds"
    verbose_name = "RNDS"

    def ready(self) -> None:
        from pec.outbox import registrar_entregador
        from rnds.entrega import entregar

        registrar_entregador("rnds", entregar)
