"""Reads of the citizen registry: the one-box search, likely duplicates, one record."""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import Q
from django.shortcuts import get_object_or_404

from dados import municipios
from pec.ator import Ator
from pec.audit.chain import audit_search
from pec.documentos import cns_valido, cpf_valido, so_digitos
from pec.models import Lotacao
from pec.tenancy import assert_owned
from prontuario.cadastro import texto
from prontuario.cadastro.models import (
    COLUNAS_PALAVRA,
    COLUNAS_PALAVRA_MAE,
    PALAVRAS_INDEXADAS,
    PALAVRAS_MAE_INDEXADAS,
    palavra_sql,
)
from prontuario.models import Cidadao, PalavraFrequencia

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

    @property
    def distintas(self) -> list[str]:
        """The typed words, each once, in the order typed."""
        return list(dict.fromkeys(self.palavras))


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
        entrada = entrada[: achada.start()] + " " + entrada[achada.end() :]
    if entrada.strip() and _SO_DOCUMENTO.match(entrada):
        digitos = so_digitos(entrada)
        if len(digitos) == 11 and cpf_valido(digitos):
            return Consulta(cpf=digitos, data_nascimento=data)
        if len(digitos) == 15 and cns_valido(digitos):
            return Consulta(cns=digitos, data_nascimento=data)
        return Consulta(erro="Números: digite um CPF (11 dígitos) ou um CNS (15 dígitos) válido.")
    return Consulta(data_nascimento=data, palavras=tuple(texto.palavras(entrada)))


# How the bands that match every word in any order (2-4) find their rows, from the
# counts in PalavraFrequencia: the citizens of the typed words are intersected from the
# word indexes alone, rarest first, within a budget of index entries; when the words are
# too common for that, or the intersection is large, matches are dense and walking names
# in order finds a page of them quickly. Tuned at 1M citizens (BENCHMARKS.md).
LEITURA_MAXIMA = 100_000  # index entries one intersection may read, summed over its words
CANDIDATOS_MAXIMOS = 3_000  # more matches than this are dense: walking names in order is faster
DENSOS = 1_000  # expected matches (words taken as independent) beyond which not even trying

# What the search statements bind: ids, words, the limit, a birth date, a list of ids.
ParametroSql = int | str | datetime.date | list[int] | None


def cidadao_pesquisar(*, ator: Ator, entrada: str) -> ResultadoBusca:
    """The search as the pages show it (citizens, merge, agenda): `cidadao_buscar` under
    the actor's lotação, written to the audit trail with the ids it shows. Whatever
    carries the text (GET or POST), the page calls this."""
    resultado = cidadao_buscar(lotacao=ator.lotacao_exigida(), entrada=entrada)
    ids = [cidadao.pk for cidadao in resultado.cidadaos]
    audit_search(ator=ator, consulta=entrada, cidadao_ids=ids, o_que=f"busca de cidadão ({len(ids)} resultado(s))")
    return resultado


def duplicados_mostrar(*, ator: Ator, candidatos: list[Cidadao]) -> list[Cidadao]:
    """The likely duplicates a registration form shows (name, birth date, mother, CPF and
    CNS of each): written to the audit trail like a search's results."""
    ids = [cidadao.pk for cidadao in candidatos]
    audit_search(ator=ator, consulta=None, cidadao_ids=ids, o_que=f"possíveis cadastros duplicados ({len(ids)})")
    return candidatos


def cidadao_buscar(*, lotacao: Lotacao, entrada: str, limite: int = LIMITE_BUSCA) -> ResultadoBusca:
    """Documents and dates: one statement (busca_sql). Names: first the word counts, then,
    when the counts make it worth it, the bands narrowed to the ids that hold the rarer
    words (_candidatos), the mother's-name band only if the others left room on the page.
    Each result carries `faixa`, its rank."""
    consulta = consulta_interpretar(entrada)
    resultado = ResultadoBusca(consulta=consulta)
    if consulta.vazia or consulta.erro:
        return resultado
    municipio_id = lotacao.municipio_id

    def executar(**kwargs: Any) -> list[Cidadao]:
        sql, params = busca_sql(consulta=consulta, municipio_id=municipio_id, **kwargs)
        return list(Cidadao.objects.raw(sql, params))

    # A birth date narrows better than any word (cidadao_nascimento: a few dozen citizens a day).
    contagens = (
        _contagens(consulta, municipio_id, limite) if consulta.palavras and not consulta.data_nascimento else None
    )
    if contagens is None:
        resultado.cidadaos = executar(limite=limite)
    else:
        nome = PalavraFrequencia.Campo.NOME
        resultado.cidadaos = executar(
            limite=limite, faixas=(1, 2, 3), ids=_candidatos(consulta, municipio_id, nome, contagens)
        )
        if len(resultado.cidadaos) < limite:
            mae = _candidatos(consulta, municipio_id, PalavraFrequencia.Campo.MAE, contagens)
            if mae != []:  # [] is nobody: the rarest words are in no mother's name
                vistos = {c.pk for c in resultado.cidadaos}
                resultado.cidadaos += [
                    c
                    for c in executar(limite=limite - len(resultado.cidadaos), faixas=(4,), ids=mae)
                    if c.pk not in vistos
                ]
    for cidadao in resultado.cidadaos:
        assert_owned(cidadao, municipio_id)
    return resultado


_COLUNAS: dict[int, tuple[str, ...]] = {
    PalavraFrequencia.Campo.NOME: COLUNAS_PALAVRA,
    PalavraFrequencia.Campo.MAE: COLUNAS_PALAVRA_MAE,
}


def _contagens(consulta: Consulta, municipio_id: int, limite: int) -> dict[tuple[int, str], int] | None:
    """How many citizens hold each typed word, per field (PalavraFrequencia), in one small
    statement; None when narrowing is pointless: band 1 (the name typed in order) fills the
    page by itself, so no later band runs, or the counts were never computed."""
    distintas = consulta.distintas
    tabela, cidadaos = PalavraFrequencia._meta.db_table, Cidadao._meta.db_table
    em_ordem = " ".join(consulta.palavras)
    pagina = (
        f"SELECT count(*) FROM (SELECT 1 FROM {cidadaos} WHERE municipio_id = %s AND ativo"
        " AND busca_nome >= %s AND busca_nome < %s LIMIT %s) p"
    )
    params: list[ParametroSql] = [municipio_id, em_ordem, texto.limite_prefixo(em_ordem), limite, municipio_id]
    somas = []
    for campo in _COLUNAS:
        for palavra in distintas:
            somas.append(
                f"(SELECT coalesce(sum(cidadaos), 0) FROM {tabela} WHERE municipio_id = %s AND campo = {campo:d}"
                " AND palavra >= %s AND palavra < %s)"
            )
            params += [municipio_id, palavra, texto.limite_prefixo(palavra)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({pagina}), (SELECT cidadaos FROM {tabela} WHERE municipio_id = %s AND campo = 0 AND palavra = ''), "
            + ", ".join(somas),
            params,
        )
        na_primeira_faixa, total, *numeros = cursor.fetchone()
    if na_primeira_faixa >= limite or total is None:
        return None
    contagens: dict[tuple[int, str], int] = dict(
        zip([(campo, p) for campo in _COLUNAS for p in distintas], numeros, strict=True)
    )
    contagens[PalavraFrequencia.Campo.TOTAL, ""] = max(total, 1)
    return contagens


def _candidatos(
    consulta: Consulta, municipio_id: int, campo: int, contagens: dict[tuple[int, str], int]
) -> list[int] | None:
    """Every citizen who may have all the typed words in the field's words (the citizen's
    names or the mother's name): the intersection of the rarest words' citizens, read
    straight from the word indexes (index-only scans, no table rows), rarest first within
    LEITURA_MAXIMA entries. None when not worth it (the band then walks names in order)."""
    total = contagens[PalavraFrequencia.Campo.TOTAL, ""]
    distintas = consulta.distintas
    esperados = total * math.prod(contagens[campo, p] / total for p in distintas)  # words independent
    if esperados > DENSOS:
        return None
    escolhidas, lidas = [], 0
    for palavra in sorted(distintas, key=lambda p: contagens[campo, p]):
        if lidas + contagens[campo, palavra] > LEITURA_MAXIMA:
            break
        escolhidas.append(palavra)
        lidas += contagens[campo, palavra]
    if not escolhidas:
        return None
    conjuntos: list[str] = []
    params: list[ParametroSql] = []
    for palavra in escolhidas:
        conjuntos.append(
            "("
            + " UNION ALL ".join(
                f"SELECT id FROM {Cidadao._meta.db_table} WHERE municipio_id = %s AND {c} >= %s AND {c} < %s"
                for c in _COLUNAS[campo]
            )
            + ")"
        )
        params += [municipio_id, palavra, texto.limite_prefixo(palavra)] * len(_COLUNAS[campo])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({' INTERSECT '.join(conjuntos)}) i LIMIT {CANDIDATOS_MAXIMOS + 1}", params)
        ids = [linha[0] for linha in cursor.fetchall()]
    return ids if len(ids) <= CANDIDATOS_MAXIMOS else None


def busca_sql(
    *,
    consulta: Consulta,
    municipio_id: int,
    limite: int,
    faixas: tuple[int, ...] = (0, 1, 2, 3, 4, 5),
    ids: list[int] | None = None,
) -> tuple[str, list[ParametroSql]]:
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
    an OR over the indexed word positions. Bands 2-4 are restricted to `ids` when given (a
    short list, read by primary key); otherwise the planner walks the busca_nome index in
    name order, whose INCLUDEd word arrays filter without touching the table (common
    words), or ORs the word-position btrees (rare ones). BENCHMARKS.md has the figures.

    `faixas` picks the bands to run; `ids`, when given, restricts bands 2-4 to those ids.
    """
    tabela = Cidadao._meta.db_table
    partes: list[str] = []
    params: list[ParametroSql] = []

    def faixa(numero: int, condicao: str, valores: list[ParametroSql]) -> None:
        if numero not in faixas or (numero in (2, 3, 4) and ids is not None and not ids):
            return  # not asked for, or narrowed to nobody
        sql = f"SELECT id, {numero} AS faixa FROM {tabela} WHERE municipio_id = %s AND ativo AND {condicao}"
        if consulta.data_nascimento and numero != 5:
            sql += " AND data_nascimento = %s"
            valores = [*valores, consulta.data_nascimento]
        if numero in (2, 3, 4) and ids is not None:
            sql += " AND id = ANY(%s)"
            valores = [*valores, ids]
        partes.append(f"({sql} ORDER BY busca_nome LIMIT %s)")
        params.extend([municipio_id, *valores, limite])

    def comeca_com(prefixo: str) -> tuple[str, list[ParametroSql]]:
        return "(busca_nome >= %s AND busca_nome < %s)", [prefixo, texto.limite_prefixo(prefixo)]

    def cada_palavra(coluna: str, posicoes: int, palavras: list[str]) -> tuple[str, list[ParametroSql]]:
        """Each word starts a word of the array, in one of its indexed positions."""
        condicoes: list[str] = []
        valores: list[ParametroSql] = []
        for palavra in palavras:
            alternativas = []
            for posicao in range(1, posicoes + 1):
                expressao = palavra_sql(coluna, posicao)
                alternativas.append(f'({expressao} >= %s COLLATE "C" AND {expressao} < %s COLLATE "C")')
            condicoes.append("(" + " OR ".join(alternativas) + ")")
            valores += [palavra, texto.limite_prefixo(palavra)] * posicoes
        return "(" + " AND ".join(condicoes) + ")", valores

    if consulta.cpf:
        faixa(0, "cpf = %s AND cpf <> ''", [consulta.cpf])
    elif consulta.cns:
        faixa(0, "cns = %s AND cns <> ''", [consulta.cns])
    elif consulta.palavras:
        palavras = consulta.distintas
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
        f"SELECT c.*, t.faixa FROM (SELECT id, faixa FROM ({' UNION ALL '.join(partes)}) u LIMIT %s) t "
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
    filtro = Q(
        municipio_id=municipio_id,
        ativo=True,
        data_nascimento=data_nascimento,
        busca_nome=" ".join(texto.palavras(nome)),
    )
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


# --- Histórico do cadastro -------------------------------------------------------------------

_ROTULOS_EXTRAS = {
    "ativo": "Cadastro ativo",
    "unificado_com": "Unificado ao cadastro",
    "unificou": "Cadastro unificado a este",
}


@dataclass(frozen=True)
class LinhaHistorico:
    campo: str
    antes: str
    depois: str


def historico_linhas(*, versoes: list[Any], municipio_id: int) -> list[tuple[Any, list[LinhaHistorico]]]:
    """Each version with its changes as the registry's users read them: field labels and
    code descriptions ("Sexo: Feminino", "Nome do pai desconhecido: Sim"), never the stored
    names and codes. Teams are named with one query for all versions."""
    from pec.models import Equipe

    equipe_ids = {v for versao in versoes for v in versao.alteracoes.get("equipe", []) if isinstance(v, int)}
    equipes = dict(Equipe.objects.filter(municipio_id=municipio_id, pk__in=equipe_ids).values_list("pk", "nome"))

    def legivel(campo: str, valor: Any) -> str:
        if valor is None or valor == "":
            return "—"
        if isinstance(valor, bool):
            return "Sim" if valor else "Não"
        if campo == "equipe":
            return equipes.get(valor, f"equipe nº {valor}")
        if campo == "municipio_nascimento_ibge" and valor in municipios():
            nome, uf = municipios()[valor]
            return f"{nome.title()}/{uf}"
        if campo in ("unificado_com", "unificou"):
            return f"cadastro nº {valor}"
        if campo in _ROTULOS_EXTRAS:
            return str(valor)
        try:
            field = cast("models.Field[Any, Any]", Cidadao._meta.get_field(campo))  # its own fields, no relation
        except FieldDoesNotExist:  # a field since renamed or removed: old versions still name it
            return str(valor)
        if field.choices:
            return str(dict(field.flatchoices).get(valor, valor))
        if isinstance(field, models.DateField) and isinstance(valor, str):
            try:
                return datetime.date.fromisoformat(valor).strftime("%d/%m/%Y")
            except ValueError:
                return valor
        return str(valor)

    def rotulo(campo: str) -> str:
        if campo in _ROTULOS_EXTRAS:
            return _ROTULOS_EXTRAS[campo]
        try:
            nome = str(cast("models.Field[Any, Any]", Cidadao._meta.get_field(campo)).verbose_name)
        except FieldDoesNotExist:
            return campo
        return nome[:1].upper() + nome[1:]

    return [
        (
            versao,
            [
                LinhaHistorico(rotulo(campo), legivel(campo, valores[0]), legivel(campo, valores[1]))
                for campo, valores in versao.alteracoes.items()
            ],
        )
        for versao in versoes
    ]


# What a merge moves, in the users' words (Django's default plurals, "vacinacaos", are not).
_MOVIDOS = {
    "prontuario.Agendamento": "agendamentos",
    "prontuario.EntradaLista": "entradas na lista de atendimentos",
    "prontuario.Medicao": "medições",
    "prontuario.EscutaInicial": "escutas iniciais",
    "prontuario.Atendimento": "atendimentos",
    "prontuario.Problema": "problemas e condições",
    "prontuario.Alergia": "alergias",
    "prontuario.Prescricao": "prescrições",
    "prontuario.Vacinacao": "doses de vacina",
}


def movidos_legiveis(movidos: dict[str, list[int]]) -> list[tuple[str, int]]:
    """A merge's moved rows ("prontuario.Agendamento.cidadao": [ids]) as the users' names
    of what moved and how many ("agendamentos", 2)."""
    from django.apps import apps

    linhas = []
    for chave, ids in movidos.items():
        rotulo = chave.rpartition(".")[0]
        nome = _MOVIDOS.get(rotulo)
        if nome is None:
            try:
                nome = str(apps.get_model(rotulo)._meta.verbose_name_plural)
            except (LookupError, ValueError):
                nome = "outros registros"
        linhas.append((nome, len(ids)))
    return linhas
