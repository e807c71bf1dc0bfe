from django.apps import AppConfig


class SisabConfig(AppConfig):
    name = "sisab"
    verbose_name = "SISAB"

    def ready(self) -> None:
        from pec.outbox import registrar_entregador
        from sisab.envio import outbox_entregador

        # The clinical services' outbox rows (destino "sisab") become fichas in the ledger.
        registrar_entregador("sisab", outbox_entregador)
