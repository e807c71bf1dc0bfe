from django.apps import AppConfig


class SisabConfig(AppConfig):
    name = "sisab"
    verbose_name = "SISAB"

    def ready(self) -> None:
        from pec.integracoes import registrar_origem, registrar_regra_dos_campos
        from pec.outbox import registrar_entregador
        from sisab.cadastros_recebidos import origem_do_cidadao
        from sisab.envio import outbox_entregador
        from sisab.regras import ficha_cds_erros_dos_campos, vacinacao_erros_da_dose

        # The clinical services' outbox rows (destino "sisab") become fichas in the ledger.
        registrar_entregador("sisab", outbox_entregador)
        # A dose is checked on its form against the LEDI rules of the ficha it becomes.
        registrar_regra_dos_campos("prontuario.vacinacao", vacinacao_erros_da_dose)
        # A typed CDS ficha is checked on its form against the rules of the ficha it becomes.
        registrar_regra_dos_campos("cds.fichacds", ficha_cds_erros_dos_campos)
        # A citizen placed by a received Cadastro Individual says from which installation.
        registrar_origem("prontuario.cidadao", origem_do_cidadao)
