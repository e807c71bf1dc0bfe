from django.apps import AppConfig


class RndsConfig(AppConfig):
    name = "rnds"
    verbose_name = "RNDS"

    def ready(self) -> None:
        from pec.outbox import registrar_entregador
        from rnds import mapeamento
        from rnds.entrega import entregar

        registrar_entregador("rnds", entregar)
        mapeamento.registrar()
