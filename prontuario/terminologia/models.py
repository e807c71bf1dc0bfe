"""National terminology tables (installation-level, the same for every municipality)."""

from __future__ import annotations

from django.db import models

# --- Terminology (installation-level) --------------------------------------------------------


class Terminologia(models.Model):
    """One loaded national table: where it came from and which version."""

    tabela = models.CharField(max_length=24, unique=True)
    titulo = models.CharField("título", max_length=200)
    fonte = models.TextField()
    versao = models.CharField("versão", max_length=120)
    sha256 = models.CharField(max_length=64)
    quantidade = models.PositiveIntegerField()
    carregado_em = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tabela de terminologia"
        verbose_name_plural = "tabelas de terminologia"

    def __str__(self) -> str:
        return f"{self.titulo} ({self.versao})"


class Termo(models.Model):
    """A code of a national table (CIAP2, CID-10, SIGTAP, imunobiológico, dose ...)."""

    tabela = models.CharField(max_length=24)
    codigo = models.CharField("código", max_length=20, db_collation="C")
    descricao = models.TextField("descrição")
    sigla = models.CharField(max_length=60, blank=True)
    ativo = models.BooleanField(default=True)
    extra = models.JSONField(default=dict, blank=True)
    # " codigo palavras da descricao " folded (prontuario.cadastro.texto.dobrar), for word-prefix search
    # without unaccent: LIKE '% febr%' finds "Febre" and "FEBRE".
    busca = models.TextField(db_collation="C", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tabela", "codigo"], name="termo_codigo_unico")]
        ordering = ["tabela", "codigo"]

    def __str__(self) -> str:
        return f"{self.codigo} - {self.descricao}"


class CiapCid(models.Model):
    """The official CIAP2 -> CID-10 relation (LEDI referencias/relacao_ciap_cid.txt)."""

    ciap = models.CharField(max_length=6)
    cid10 = models.CharField(max_length=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ciap", "cid10"], name="ciap_cid_unico")]
