from django.apps import AppConfig


class PecConfig(AppConfig):
    name = "pec"
    verbose_name = "PEC"

    def ready(self) -> None:
        from pec import (
            checks,  # noqa: F401  (registers the deploy checks)
            destinos,  # noqa: F401  (registers its deploy check)
        )
        from pec.audit.chain import conectar_sinais

        conectar_sinais()

        from allauth.account.signals import user_logged_in

        from pec.identity.govbr.acesso import ao_entrar

        user_logged_in.connect(ao_entrar, dispatch_uid="pec.identity.govbr.ao_entrar")

        from django.contrib.auth.signals import user_login_failed

        from pec.identity.tentativas import ao_falhar_login

        # After axes' own receiver (axes is installed first): its failure log is written.
        user_login_failed.connect(ao_falhar_login, dispatch_uid="pec.identity.tentativas.ao_falhar_login")
