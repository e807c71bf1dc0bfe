"""Reads of the citizen registry: the one-box search, likely duplicates, one record."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.shortcuts import get_object_or_404

from pec.documentos import cns_valido, cpf_valido, so_digitos
from pec.models import Lotacao
from pec.tenancy import assert_owned
from prontuario import texto
from prontuario.models import PALAVRAS_INDEXADAS, PALAVRAS_MAE_INDEXADAS, Cidadao, palavra_sql

LIMITE_BUSCA = 30

_DATA = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_SO_DOCUMENTO = re.compile(r"^[\d.\-\s]+$")


@dataclass(frozen=True)
class Consulta:
    """What the user typed in the search box, understood."""

    cpf: str = ""
    cns: str = ""
    data_nascimento: datetime.date | None = None
    palavras: tuple[str, ...] = ()
    erro: str = ""

    @property
    def vazia(self) -> bool:
        return not (self.cpf or self.cns or self.data_nascimento or self.palavras)


@dataclass
class ResultadoBusca:
    consulta: Consulta
    cidadaos: list[Cidadao] = field(default_factory=list)


def consulta_interpretar(entrada: str) -> Consulta:
    """A CPF (11 digits) or CNS (15), a birth date dd/mm/aaaa, and/or words of the
    citizen's or the mother's name, in any order."""
    data = None
    achada = _DATA.search(entrada)
    if achada:
        dia, mes, ano = (int(g) for g in achada.groups())
        try:
            data = datetime.date(ano, mes, dia)
        except ValueError:
            return Consulta(erro="Data inválida: use dd/mm/aaaa.")
        entrada = entrada[: achada.start()] + " " + entrada[achada.end():]
    if entrada.strip() and _SO_DOCUMENTO.match(entrada):
        digitos = so_digitos(entrada)
        if len(digitos) == 11 and cpf_valido(digitos):
            return Consulta(cpf=digitos, data_nascimento=data)
        if len(digitos) == 15 and cns_valido(digitos):
            return Consulta(cns=digitos, data_nascimento=data)
        return Consulta(erro="Números: digite um CPF (11 dígitos) ou um CNS (15 dígitos) válido.")
    return Consulta(data_nascimento=data, palavras=tuple(texto.palavras(entrada)))


def cidadao_buscar(*, lotacao: Lotacao, entrada: str, limite: int = LIMITE_BUSCA) -> ResultadoBusca:
    """One SQL statement (see busca_sql); each result carries `faixa`, its rank."""
    consulta = consulta_interpretar(entrada)
    resultado = ResultadoBusca(consulta=consulta)
    if consulta.vazia or consulta.erro:
        return resultado
    sql, params = busca_sql(consulta=consulta, municipio_id=lotacao.municipio_id, limite=limite)
    resultado.cidadaos = list(Cidadao.objects.raw(sql, params))
    for cidadao in resultado.cidadaos:
        assert_owned(cidadao, lotacao.municipio_id)
    return resultado


def busca_sql(*, consulta: Consulta, municipio_id: int, limite: int) -> tuple[str, list[object]]:
    """The search as one statement: disjoint ranked bands (`faixa`), concatenated.

    0 CPF or CNS; 1 the name starts with the words typed, in that order (the last one may
    be partial); 2 the first word typed starts the name and the others start any word of
    it; 3 every word starts a word of the name or social name, in any order; 4 every word
    starts a word of the mother's name; 5 birth date only. A date typed with words
    restricts every band. Inside a band: alphabetical.

    The bands exclude each other, so the UNION ALL needs no de-duplication and its LIMIT
    stops PostgreSQL from running a band at all once the earlier ones filled the page:
    "maria silva" is answered by bands 1-2 and never pays for the any-order search.

    Only leakproof operators (text comparisons, array subscripts) touch the indexed
    columns: under row-level security PostgreSQL uses no other as an index condition. A
    prefix is a range (`>= 'sil' AND < 'sim'`) in the "C" collation; a word in any order is
    an OR over the indexed word positions, which the planner runs as a BitmapOr of btrees
    (rare words) or as a walk of the busca_nome index, whose INCLUDEd word arrays filter
    without touching the table (common words). BENCHMARKS.md has the figures and plans.
    """
    tabela = Cidadao._meta.db_table
    faixas: list[str] = []
    params: list[object] = []

    def faixa(numero: int, condicao: str, valores: list[object]) -> None:
        sql = f"SELECT id, {numero} AS faixa FROM {tabela} WHERE municipio_id = %s AND ativo AND {condicao}"
        if consulta.data_nascimento and numero != 5:
            sql += " AND data_nascimento = %s"
            valores = [*valores, consulta.data_nascimento]
        faixas.append(f"({sql} ORDER BY busca_nome LIMIT %s)")
        params.extend([municipio_id, *valores, limite])

    def comeca_com(prefixo: str) -> tuple[str, list[object]]:
        return "(busca_nome >= %s AND busca_nome < %s)", [prefixo, texto.limite_prefixo(prefixo)]

    def cada_palavra(coluna: str, posicoes: int, palavras: list[str]) -> tuple[str, list[object]]:
        condicoes, valores = [], []
        for palavra in palavras:
            alternativas = []
            for posicao in range(1, posicoes + 1):
                expressao = palavra_sql(coluna, posicao)
                alternativas.append(f'({expressao} >= %s COLLATE "C" AND {expressao} < %s COLLATE "C")')
                valores += [palavra, texto.limite_prefixo(palavra)]
            condicoes.append("(" + " OR ".join(alternativas) + ")")
        return "(" + " AND ".join(condicoes) + ")", valores

    if consulta.cpf:
        faixa(0, "cpf = %s AND cpf <> ''", [consulta.cpf])
    elif consulta.cns:
        faixa(0, "cns = %s AND cns <> ''", [consulta.cns])
    elif consulta.palavras:
        palavras = list(dict.fromkeys(consulta.palavras))
        em_ordem, v_ordem = comeca_com(" ".join(consulta.palavras))
        primeira, v_primeira = comeca_com(palavras[0])
        proprio, v_proprio = cada_palavra("busca_palavras", PALAVRAS_INDEXADAS, palavras)
        faixa(1, em_ordem, v_ordem)
        if len(palavras) > 1:
            outras, v_outras = cada_palavra("busca_palavras", PALAVRAS_INDEXADAS, palavras[1:])
            faixa(2, f"{primeira} AND {outras} AND {em_ordem} IS NOT TRUE", [*v_primeira, *v_outras, *v_ordem])
        faixa(3, f"{proprio} AND {primeira} IS NOT TRUE", [*v_proprio, *v_primeira])
        mae, v_mae = cada_palavra("busca_palavras_mae", PALAVRAS_MAE_INDEXADAS, palavras)
        # IS NOT TRUE, not NOT: a missing word position is NULL, and NOT NULL excludes the row.
        faixa(4, f"{mae} AND {proprio} IS NOT TRUE", [*v_mae, *v_proprio])
    else:
        faixa(5, "data_nascimento = %s", [consulta.data_nascimento])
    sql = (
        f"SELECT c.*, t.faixa FROM (SELECT id, faixa FROM ({' UNION ALL '.join(faixas)}) u LIMIT %s) t "
        f"JOIN {tabela} c ON c.id = t.id ORDER BY t.faixa, c.busca_nome, c.data_nascimento, c.id"
    )
    return sql, [*params, limite]


def cidadao_possiveis_duplicados(
    *,
    municipio_id: int,
    nome: str,
    data_nascimento: datetime.date,
    nome_mae: str,
    excluir_id: int | None = None,
) -> list[Cidadao]:
    """Active records with the same name and birth date and, when both know it, the same
    mother's name (accents, case and particles ignored)."""
    busca_mae = " ".join(texto.palavras(nome_mae))
    filtro = Q(municipio_id=municipio_id, ativo=True, data_nascimento=data_nascimento,
               busca_nome=" ".join(texto.palavras(nome)))
    if busca_mae:
        filtro &= Q(busca_mae=busca_mae) | Q(busca_mae="")
    candidatos = Cidadao.objects.filter(filtro).order_by("busca_nome", "id")
    if excluir_id is not None:
        candidatos = candidatos.exclude(pk=excluir_id)
    return list(candidatos[:10])


def cidadao_obter(*, lotacao: Lotacao, cidadao_id: int) -> Cidadao:
    """The record, if it belongs to the lotação's municipality (404 otherwise)."""
    cidadao = get_object_or_404(
        Cidadao.objects.select_related("equipe", "unificado_com"), pk=cidadao_id, municipio_id=lotacao.municipio_id
    )
    assert_owned(cidadao, lotacao.municipio_id)
    return cidadao
