from django.apps import AppConfig


class RndsConfig(AppConfig):
    name = "rnds"
    verbose_name = "RNDS"

    def ready(self) -> None:
        from pec.integracoes import registrar_pendencia, registrar_verificacao
        from pec.outbox import registrar_entregador
        from rnds.entrega import entregar
        from rnds.selectors import pendencia_aberta
        from rnds.verificacao import rnds_verificar_ao_finalizar

        # The clinical core names no integration: it asks pec.outbox and pec.integracoes,
        # which learn here what the RNDS delivers, checks and keeps waiting.
        registrar_entregador("rnds", entregar)
        registrar_verificacao(rnds_verificar_ao_finalizar)
        registrar_pendencia("rnds", pendencia_aberta)
