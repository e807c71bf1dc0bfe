"""National terminology as data: loading the official tables and searching them.

The files in prontuario/dados/ are the official tables (see prontuario/dados/SOURCE.md): TSV
extracts of the RNDS CodeSystems, and LEDI APS pages copied as published; the CBO table,
which cnes_import reads too, is the top-level dados/cbo.tsv. Loading is an
upsert keyed by (tabela, codigo): a code that disappears from a new version is kept
inactive, because old records still name it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length

import dados
from prontuario.cadastro.texto import dobrar
from prontuario.models import Termo

DADOS = Path(__file__).resolve().parents[1] / "dados"

# tabela -> its file; the TSV files carry their own title, source and version.
ARQUIVOS: dict[str, Path] = {
    "ciap2": DADOS / "ciap2.tsv",
    "cid10": DADOS / "cid10.tsv",
    "cbo": dados.CBO,
    "sigtap": DADOS / "sigtap.tsv",
    "medicamento": DADOS / "tabela_catmat.txt",
    "imunobiologico": DADOS / "imunobiologico.tsv",
    "estrategia": DADOS / "estrategia.tsv",
    "dose": DADOS / "dose.tsv",
    "fabricante": DADOS / "fabricante.tsv",
    "via": DADOS / "via.tsv",
    "local_aplicacao": DADOS / "local_aplicacao.tsv",
    "grupo_atendimento": DADOS / "grupo_atendimento.tsv",
    "condicao_maternal": DADOS / "condicao_maternal.tsv",
}
CIAP_CID = "relacao_ciap_cid.txt"
REGRAS_VACINACAO = "validar_regras_vacinacao.txt"
LEDI_FONTE = "LEDI APS 7.2.2, docs/{} (laboratoriobridge/esusab-integracao gh-pages@1e21e760)"

_LOTE = 2000


@dataclass
class Tabela:
    tabela: str
    titulo: str
    fonte: str
    versao: str
    sha256: str
    linhas: list[dict[str, Any]] = field(default_factory=list)


def _sha256(caminho: Path) -> str:
    return hashlib.sha256(caminho.read_bytes()).hexdigest()


def _linhas_markdown(caminho: Path) -> Iterable[list[str]]:
    """Data rows of the pipe tables of a LEDI page (header and separator rows skipped)."""
    cabecalho_visto = False
    for linha in caminho.read_text(encoding="utf-8").splitlines():
        if not linha.startswith("| "):
            cabecalho_visto = False
            continue
        colunas = [c.strip() for c in linha.strip().strip("|").split("|")]
        if not cabecalho_visto:
            cabecalho_visto = True
            continue
        yield colunas


def _alterado_em(caminho: Path) -> str:
    achado = re.search(r"Alterado em (\d{2}/\d{2}/\d{4})", caminho.read_text(encoding="utf-8"))
    return f"página alterada em {achado.group(1)}" if achado else "sem data"


def ler_tabela(tabela: str) -> Tabela:
    caminho = ARQUIVOS[tabela]
    if tabela == "medicamento":
        return _ler_catmat(caminho)
    meta: dict[str, str] = {}
    linhas = []
    for linha in caminho.read_text(encoding="utf-8").splitlines():
        if linha.startswith("# "):
            chave, _, valor = linha[2:].partition("\t")
            meta[chave] = valor
            continue
        codigo, descricao, sigla, ativo, extra = linha.split("\t")
        linhas.append(
            {
                "codigo": codigo,
                "descricao": descricao,
                "sigla": sigla,
                "ativo": ativo == "1",
                "extra": json.loads(extra) if extra else {},
            }
        )
    return Tabela(tabela, meta["tabela"], meta["fonte"], meta["versao"], _sha256(caminho), linhas)


def _ler_catmat(caminho: Path) -> Tabela:
    linhas = []
    vistos: set[str] = set()
    for codigo, principio, concentracao, forma, unidade in _linhas_markdown(caminho):
        # The published table repeats three codes with identical content; keep the first.
        if codigo in vistos:
            continue
        vistos.add(codigo)
        linhas.append(
            {
                "codigo": codigo,
                "descricao": f"{principio} {concentracao}, {forma}",
                "sigla": "",
                "ativo": True,
                "extra": {"forma": forma, "unidade": unidade},
            }
        )
    return Tabela(
        "medicamento",
        "Medicamentos (CATMAT)",
        LEDI_FONTE.format("referencias/tabela_catmat.txt"),
        f"LEDI 7.2.2, {_alterado_em(caminho)}",
        _sha256(caminho),
        linhas,
    )


def ler_ciap_cid() -> list[tuple[str, str]]:
    pares = {(ciap, cid) for ciap, _, cid, _ in _linhas_markdown(DADOS / CIAP_CID)}
    return sorted(pares)


def ler_regras_vacinacao() -> list[tuple[str, str, str]]:
    """(imunobiológico, estratégia RNDS, dose) rows of the official table."""
    regras = {
        (imuno, estrategia, dose) for imuno, _, estrategia, _, dose, _ in _linhas_markdown(DADOS / REGRAS_VACINACAO)
    }
    return sorted(regras)


def texto_busca(codigo: str, descricao: str, sigla: str = "") -> str:
    """' codigo sigla palavras ' folded: each word is preceded by a space for prefix LIKE."""
    return " " + " ".join(p for p in (codigo.lower(), dobrar(sigla), dobrar(descricao)) if p) + " "


Progresso = Callable[[str, int, int], None]


def terminologia_carregar(
    *, apps: Any = django_apps, using: str = "default", progresso: Progresso | None = None, forcar: bool = False
) -> dict[str, int]:
    """Load every table whose file changed since the last load; returns rows per table.

    A data migration passes its state registry and its connection (the owner's).
    """
    Terminologia = apps.get_model("prontuario", "Terminologia")
    carregadas = dict(Terminologia.objects.using(using).values_list("tabela", "sha256"))
    resultado: dict[str, int] = {}
    for nome in ARQUIVOS:
        caminho = ARQUIVOS[nome]
        if not forcar and carregadas.get(nome) == _sha256(caminho):
            continue
        tabela = ler_tabela(nome)
        resultado[nome] = _carregar_termos(apps, using, tabela, progresso)
    resultado.update(_carregar_relacoes(apps, using, carregadas, forcar, progresso))
    return resultado


def _carregar_termos(apps: Any, using: str, tabela: Tabela, progresso: Progresso | None) -> int:
    Terminologia = apps.get_model("prontuario", "Terminologia")
    total = len(tabela.linhas)
    with transaction.atomic(using=using):
        gerenciador = apps.get_model("prontuario", "Termo").objects.db_manager(using)
        for inicio in range(0, total, _LOTE):
            lote = [
                Termo(
                    tabela=tabela.tabela,
                    busca=texto_busca(linha["codigo"], linha["descricao"], linha["sigla"]),
                    **linha,
                )
                for linha in tabela.linhas[inicio : inicio + _LOTE]
            ]
            gerenciador.bulk_create(
                lote,
                update_conflicts=True,
                unique_fields=["tabela", "codigo"],
                update_fields=["descricao", "sigla", "ativo", "extra", "busca"],
            )
            if progresso:
                progresso(tabela.tabela, min(inicio + _LOTE, total), total)
        codigos = [linha["codigo"] for linha in tabela.linhas]
        gerenciador.filter(tabela=tabela.tabela).exclude(codigo__in=codigos).update(ativo=False)
        Terminologia.objects.db_manager(using).update_or_create(
            tabela=tabela.tabela,
            defaults={
                "titulo": tabela.titulo,
                "fonte": tabela.fonte,
                "versao": tabela.versao,
                "sha256": tabela.sha256,
                "quantidade": total,
            },
        )
    return total


def _carregar_relacoes(
    apps: Any, db: str, carregadas: dict[str, str], forcar: bool, progresso: Progresso | None
) -> dict[str, int]:
    """The CIAP2 x CID-10 relation and the vaccination rules: replaced whole when their file changes."""
    Terminologia = apps.get_model("prontuario", "Terminologia")
    resultado = {}
    relacoes: list[tuple[str, str, str, Any, Callable[[], list[dict[str, str]]]]] = [
        (
            "ciap_cid",
            CIAP_CID,
            "Relação CIAP2 x CID-10",
            apps.get_model("prontuario", "CiapCid"),
            lambda: [{"ciap": a, "cid10": b} for a, b in ler_ciap_cid()],
        ),
        (
            "regra_vacinacao",
            REGRAS_VACINACAO,
            "Regras de vacinação (imunobiológico x estratégia x dose)",
            apps.get_model("prontuario", "RegraVacinacao"),
            lambda: [{"imunobiologico": a, "estrategia": b, "dose": c} for a, b, c in ler_regras_vacinacao()],
        ),
    ]
    for nome, arquivo, titulo, modelo, ler in relacoes:
        caminho = DADOS / arquivo
        sha = _sha256(caminho)
        if not forcar and carregadas.get(nome) == sha:
            continue
        linhas = ler()
        with transaction.atomic(using=db):
            modelo.objects.db_manager(db).all().delete()
            modelo.objects.db_manager(db).bulk_create(modelo(**linha) for linha in linhas)
            Terminologia.objects.db_manager(db).update_or_create(
                tabela=nome,
                defaults={
                    "titulo": titulo,
                    "fonte": LEDI_FONTE.format(f"{'referencias' if nome == 'ciap_cid' else 'regras'}/{arquivo}"),
                    "versao": f"LEDI 7.2.2, {_alterado_em(caminho)}",
                    "sha256": sha,
                    "quantidade": len(linhas),
                },
            )
        if progresso:
            progresso(nome, len(linhas), len(linhas))
        resultado[nome] = len(linhas)
    return resultado


# --- Search and lookup -----------------------------------------------------------------------

TABELAS = frozenset(ARQUIVOS)


def codigo_normalizado(texto: str) -> str:
    """'b17.0' -> 'B170'; '02.02.01.029-5' -> '0202010295': codes are stored without punctuation."""
    return re.sub(r"[\s.\-]", "", texto).upper()


def termo_buscar(*, tabela: str, texto: str, limite: int = 20) -> list[Termo]:
    """Active codes of `tabela` matching a code prefix, else every word (as a word prefix,
    accents and case ignored). Codes first; among words, shorter (broader) codes first."""
    if tabela not in TABELAS:
        raise ValueError(f"unknown table {tabela!r}")
    texto = texto.strip()
    if not texto:
        return []
    base = Termo.objects.filter(tabela=tabela, ativo=True)
    codigo = codigo_normalizado(texto)
    achados = list(base.filter(codigo__startswith=codigo).order_by("codigo")[:limite]) if codigo.isalnum() else []
    palavras = dobrar(texto).split()
    if len(achados) < limite and palavras:
        por_palavra = base.exclude(pk__in=[t.pk for t in achados])
        for palavra in palavras:
            por_palavra = por_palavra.filter(busca__contains=" " + palavra)
        achados += list(por_palavra.order_by(Length("codigo"), "codigo")[: limite - len(achados)])
    return achados


def descricoes(pares: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(tabela, codigo): descricao} for many codes in one query (templates show names)."""
    pares = {(t, c) for t, c in pares if c}
    if not pares:
        return {}
    filtro = Q()
    for tabela in {t for t, _ in pares}:
        filtro |= Q(tabela=tabela, codigo__in=[c for t, c in pares if t == tabela])
    return {
        (t.tabela, t.codigo): t.descricao for t in Termo.objects.filter(filtro).only("tabela", "codigo", "descricao")
    }
