from __future__ import annotations

from django.conf import settings
from django.db import models

from pec.tenancy import TenantModel

TIPOS = ("estabelecimentos", "equipes", "profissionais", "lotacoes")
ACOES = ("criados", "atualizados", "desativados", "rejeitados")
ROTULOS_TIPO = {
    "estabelecimentos": "Estabelecimentos",
    "equipes": "Equipes",
    "profissionais": "Profissionais",
    "lotacoes": "Lotações",
}
ROTULOS_ACAO = {
    "criados": "novos",
    "atualizados": "atualizados",
    "desativados": "desativados",
    "rejeitados": "rejeitados",
}


class ImportacaoCnes(TenantModel):
    """One run of the CNES import (applied, simulated or refused): the import history.

    An upload on the page is a row before it is an import: queued, then running in a
    worker (cnes_import.fila.importacao_enfileirar), then filled with the result."""

    class Status(models.TextChoices):
        NA_FILA = "na_fila", "Na fila"
        EM_ANDAMENTO = "em_andamento", "Em andamento"
        CONCLUIDA = "concluida", "Concluída"
        RECUSADA = "recusada", "Recusada"
        FALHOU = "falhou", "Falhou"

    class Origem(models.TextChoices):
        WEB = "web", "Envio pela página"
        COMANDO = "comando", "Linha de comando"
        AGENDADA = "agendada", "Importação semanal automática"

    criado_em = models.DateTimeField("quando", auto_now_add=True)
    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="quem"
    )
    origem = models.CharField(max_length=10, choices=Origem.choices)
    arquivo_nome = models.CharField("arquivo", max_length=255)
    arquivo_sha256 = models.CharField("SHA-256 do arquivo", max_length=64)
    versao = models.CharField("versão do XML", max_length=10, blank=True)
    data_arquivo = models.CharField("data de geração do XML", max_length=20, blank=True)
    simulacao = models.BooleanField("simulação (nada gravado)", default=False)
    resetar_perfis = models.BooleanField("redefinir perfis editados", default=False)
    status = models.CharField(max_length=12, choices=Status.choices)
    mensagem = models.TextField(blank=True)
    # {"estabelecimentos": {"criados": 0, "atualizados": 0, "desativados": 0, "rejeitados": 0}, ...}
    contagens = models.JSONField(default=dict)
    # [{"tipo": "profissional", "registro": "...", "motivo": "CPF inválido"}, ...]: every rejection.
    rejeicoes = models.JSONField(default=list)
    # {"lotacoes": {"criados": ["..."], "desativados": ["..."]}, ...}: what changed, capped per list.
    alteracoes = models.JSONField(default=dict)
    duracao_segundos = models.FloatField("duração (s)", default=0)
    # A page upload waiting for its worker: the stored file (cnes_import.services.envio_*)
    # and the request's audit data (pec.ator.Ator.dados).
    token = models.CharField(max_length=32, blank=True)
    requisicao = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-criado_em", "-id"]
        indexes = [models.Index(fields=["municipio", "arquivo_sha256"], name="cnes_importacao_sha256")]
        verbose_name = "importação do CNES"
        verbose_name_plural = "importações do CNES"

    def __str__(self) -> str:
        return f"{self.arquivo_nome} ({self.get_status_display()})"

    @property
    def ok(self) -> bool:
        return self.status == self.Status.CONCLUIDA

    @property
    def em_curso(self) -> bool:
        return self.status in (self.Status.NA_FILA, self.Status.EM_ANDAMENTO)

    @property
    def linhas_contagem(self) -> list[tuple[str, list[int]]]:
        """Rows of the counts table, in a fixed order."""
        return [(ROTULOS_TIPO[t], [self.contagens.get(t, {}).get(a, 0) for a in ACOES]) for t in TIPOS]

    @property
    def rejeicoes_rotuladas(self) -> list[dict[str, str]]:
        return [{**r, "tipo": ROTULOS_TIPO.get(r["tipo"], r["tipo"])} for r in self.rejeicoes]

    @property
    def grupos_alteracoes(self) -> list[dict[str, object]]:
        """The listed changes, by kind and action, with the full count (lists are capped)."""
        grupos = []
        for tipo in TIPOS:
            for acao in ("criados", "atualizados", "desativados"):
                itens = self.alteracoes.get(tipo, {}).get(acao, [])
                if itens:
                    total = self.contagens.get(tipo, {}).get(acao, len(itens))
                    grupos.append(
                        {
                            "titulo": f"{ROTULOS_TIPO[tipo]} {ROTULOS_ACAO[acao]}",
                            "itens": itens,
                            "total": total,
                            "omitidos": total - len(itens),
                        }
                    )
        return grupos


class ConfiguracaoCnes(TenantModel):
    """Where the weekly job looks for this municipality's newest CNES file.

    A server path, so only the installation administrator sets it (`manage.py cnes_pasta`),
    never the municipal administrator through the web.
    """

    pasta = models.CharField("pasta dos arquivos XML do CNES", max_length=500)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipio"], name="configuracao_cnes_unica")]
        verbose_name = "configuração da importação do CNES"
