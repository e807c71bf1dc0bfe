"""From our records to LEDI fichas: one mapping per ficha, registered by origin.

Each mapping turns one record into the dict that sisab.ledi serialises (official Thrift
field names), plus what the ledger needs (who, where, when). Adding a ficha (domiciliar,
visita, odonto ...) is one `Mapeamento` in REGISTRO: a function that maps one record and
a query of the records that still lack their ficha.

Choices, with the LEDI 7.2.2 dictionaries (docs/estrutura_arquivos/dicionario-*.txt):
- one ficha per record (a master with one child): the record and its ficha share their
  fate, so a refused or corrected record never drags others along;
- uuids: `<CNES>-<record uuid>` (the 44-byte form the dictionaries recommend), stable,
  so rebuilding an unsent ficha never makes a second one;
- the Cadastro Individual's `uuidFichaOriginadora` is derived from the citizen alone
  (uuid5), so it is the same for every update; the first ficha of a citizen *is* the
  originadora (uuid = uuidFichaOriginadora), later ones are updates with a new uuid; the
  Cadastro Domiciliar does the same with the imóvel, whose `versao` counts the changes
  to it and to its families (cds.territorio);
- a citizen or imóvel whose current version a received ficha wrote has no ficha of ours:
  the received one goes on as it came (sisab.cadastros_recebidos);
- dates are epoch milliseconds; a date without time is local midnight (as in the
  official examples).
"""

from __future__ import annotations

import datetime
import functools
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from cds.fichas import ledi as cds_ledi
from cds.models import Familia, FichaCds, Imovel
from cds.territorio import ledi as territorio
from pec.models import Lotacao
from prontuario.cadastro import texto
from prontuario.models import Atendimento, Cidadao, CidadaoVersao, EscutaInicial, Medicao, Termo, Vacinacao
from sisab.models import CadastroRecebido, FichaSisab

TP_CDS_ORIGEM = 3  # "sistemas terceiros"
LOCAL_UBS = 1
_ORIGINADORA = uuidlib.UUID("6f1c3a52-2b8e-4f57-9d0a-3e1b7c4d9a10")  # namespace of our uuid5s


@dataclass
class Montada:
    """A mapped ficha: the LEDI dict and what the ledger keeps beside it."""

    tipo: int
    uuid: str
    dados: dict[str, Any]
    lotacao: Lotacao
    data: datetime.datetime
    versao: int = 1
    uuid_originadora: str = ""


def epoch_ms(momento: datetime.datetime | datetime.date) -> int:
    if not isinstance(momento, datetime.datetime):
        momento = timezone.make_aware(datetime.datetime.combine(momento, datetime.time.min))
    return int(momento.timestamp() * 1000)


def turno(momento: datetime.datetime) -> int:
    """dicionario.txt, Turno: 1 manhã, 2 tarde, 3 noite."""
    hora = timezone.localtime(momento).hour
    return 1 if hora < 12 else 2 if hora < 18 else 3


def _lotacao_header(lotacao: Lotacao) -> dict[str, Any]:
    return _sem_vazios(
        {
            "profissionalCNS": lotacao.profissional.cns,
            "cboCodigo_2002": lotacao.cbo,
            "cnes": lotacao.estabelecimento.cnes,
            "ine": lotacao.equipe.ine if lotacao.equipe_id else None,  # type: ignore[union-attr]  # guarded by equipe_id
        }
    )


def unica_lotacao_header(lotacao: Lotacao, data: datetime.datetime) -> dict[str, Any]:
    """UnicaLotacaoHeaderThrift (header-transport.txt)."""
    return {
        **_lotacao_header(lotacao),
        "dataAtendimento": epoch_ms(data),
        "codigoIbgeMunicipio": lotacao.municipio.ibge,
    }


def varias_lotacoes_header(lotacao: Lotacao, data: datetime.datetime) -> dict[str, Any]:
    """VariasLotacoesHeaderThrift: the professional who finalised is the principal one."""
    return {
        "lotacaoFormPrincipal": _lotacao_header(lotacao),
        "dataAtendimento": epoch_ms(data),
        "codigoIbgeMunicipio": lotacao.municipio.ibge,
    }


def _uuid_ficha(lotacao: Lotacao, registro: uuidlib.UUID) -> str:
    return f"{lotacao.estabelecimento.cnes}-{registro}"


def _identificacao(cidadao: Cidadao, *, cns: str = "cnsCidadao", cpf: str = "cpfCidadao") -> dict[str, str]:
    """CPF xor CNS of the citizen (LEDI refuses both); CPF first, as LEDI 8.x prefers."""
    if cidadao.cpf:
        return {cpf: cidadao.cpf}
    return {cns: cidadao.cns} if cidadao.cns else {}


def medicoes(medicao: Medicao | None) -> dict[str, Any] | None:
    """MedicoesThrift; altura in cm and peso in kg, as LEDI expects."""
    if medicao is None:
        return None
    valores = {
        "pressaoArterialSistolica": medicao.pressao_sistolica,
        "pressaoArterialDiastolica": medicao.pressao_diastolica,
        "frequenciaRespiratoria": medicao.frequencia_respiratoria,
        "frequenciaCardiaca": medicao.frequencia_cardiaca,
        "temperatura": float(medicao.temperatura) if medicao.temperatura is not None else None,
        "saturacaoO2": medicao.saturacao_o2,
        "glicemiaCapilar": medicao.glicemia,
        # LEDI TipoGlicemiaCapilar: 0 não especificado, 1 jejum, 2 pré-prandial, 3 pós-prandial.
        "tipoGlicemiaCapilar": {0: 1, 1: 3, 2: 2, 3: 0}.get(medicao.glicemia_momento)  # type: ignore[arg-type]  # None: not informed
        if medicao.glicemia is not None
        else None,
        "peso": float(medicao.peso) if medicao.peso is not None else None,
        "altura": float(medicao.altura) if medicao.altura is not None else None,
    }
    valores = {chave: valor for chave, valor in valores.items() if valor is not None}
    return valores or None


def _sem_vazios(dados: dict[str, Any]) -> dict[str, Any]:
    return {chave: valor for chave, valor in dados.items() if valor not in (None, "", [])}


# --- Cadastro Individual (tipo 2) ---------------------------------------------------------


def uuid_originadora_cidadao(cidadao: Cidadao) -> str:
    return str(uuidlib.uuid5(_ORIGINADORA, f"cidadao:{cidadao.municipio_id}:{cidadao.id}"))


def cadastro_individual(cidadao: Cidadao) -> Montada:
    versao = (
        CidadaoVersao.objects.select_related(*_LOTACAO)
        .filter(cidadao=cidadao, numero__lte=cidadao.versao)
        .order_by("-numero")
        .first()
    )
    if versao is None:
        raise ValueError(f"cidadao {cidadao.id} has no version row")
    lotacao = versao.lotacao
    originadora = uuid_originadora_cidadao(cidadao)
    atualizacao = FichaSisab.objects.filter(
        municipio_id=cidadao.municipio_id, origem="cidadao", origem_id=cidadao.id, origem_versao__lt=cidadao.versao
    ).exists()
    ficha_uuid = f"{lotacao.estabelecimento.cnes}-{uuidlib.uuid4()}" if atualizacao else originadora
    identificacao = _sem_vazios(
        {
            "nomeCidadao": texto.nome_normalizado(cidadao.nome),
            "nomeSocial": texto.nome_normalizado(cidadao.nome_social) if cidadao.nome_social else None,
            "dataNascimentoCidadao": epoch_ms(cidadao.data_nascimento),
            "sexoCidadao": cidadao.sexo,
            "racaCorCidadao": cidadao.raca_cor,
            "etnia": cidadao.etnia,
            "nomeMaeCidadao": texto.nome_normalizado(cidadao.nome_mae) if cidadao.nome_mae else None,
            "desconheceNomeMae": cidadao.mae_desconhecida,
            "nomePaiCidadao": texto.nome_normalizado(cidadao.nome_pai) if cidadao.nome_pai else None,
            "desconheceNomePai": cidadao.pai_desconhecido,
            "nacionalidadeCidadao": cidadao.nacionalidade,
            "codigoIbgeMunicipioNascimento": cidadao.municipio_nascimento_ibge if cidadao.nacionalidade == 1 else None,
            # dicionario: paisNascimento 31 (Brasil) for brasileiros and naturalizados.
            "paisNascimento": cidadao.pais_nascimento if cidadao.nacionalidade == 3 else 31,
            "dtNaturalizacao": epoch_ms(cidadao.data_naturalizacao) if cidadao.data_naturalizacao else None,
            "portariaNaturalizacao": cidadao.portaria_naturalizacao,
            "dtEntradaBrasil": epoch_ms(cidadao.data_entrada_brasil) if cidadao.data_entrada_brasil else None,
            "telefoneCelular": cidadao.telefone_celular,
            "emailCidadao": cidadao.email,
            "microArea": None if cidadao.fora_de_area else cidadao.microarea,
            "stForaArea": cidadao.fora_de_area,
            "statusEhResponsavel": False,
            **_identificacao(cidadao),
        }
    )
    dados: dict[str, Any] = {
        "uuid": ficha_uuid,
        "uuidFichaOriginadora": originadora,
        "fichaAtualizada": atualizacao,
        "tpCdsOrigem": TP_CDS_ORIGEM,
        "headerTransport": unica_lotacao_header(lotacao, versao.em),
        "identificacaoUsuarioCidadao": identificacao,
        # The registry does not ask these questions; "does not wish to inform" is the
        # honest answer the dictionary offers (both flags are required).
        "informacoesSocioDemograficas": {
            "statusDesejaInformarOrientacaoSexual": False,
            "statusDesejaInformarIdentidadeGenero": False,
        },
        "condicoesDeSaude": {},
    }
    if cidadao.data_obito:
        dados["saidaCidadaoCadastro"] = _sem_vazios(
            {
                "motivoSaidaCidadao": 135,
                "dataObito": epoch_ms(cidadao.data_obito),
                "numeroDO": cidadao.numero_do,
            }
        )
    return Montada(
        tipo=2,
        uuid=ficha_uuid,
        dados=dados,
        lotacao=lotacao,
        data=versao.em,
        versao=cidadao.versao,
        uuid_originadora=originadora,
    )


def _cidadaos_sem_ficha(municipio_id: int) -> QuerySet[Cidadao]:
    feitas = FichaSisab.objects.filter(
        municipio_id=municipio_id, origem="cidadao", origem_id=OuterRef("id"), origem_versao=OuterRef("versao")
    )
    recebidas = CadastroRecebido.objects.filter(
        municipio_id=municipio_id, cidadao=OuterRef("id"), versao=OuterRef("versao")
    )
    return Cidadao.objects.filter(municipio_id=municipio_id, ativo=True).exclude(Exists(feitas) | Exists(recebidas))


# --- Cadastro Domiciliar e Territorial (tipo 3) ----------------------------------------------


def uuid_originadora_imovel(imovel: Imovel) -> str:
    return str(uuidlib.uuid5(_ORIGINADORA, f"imovel:{imovel.municipio_id}:{imovel.id}"))


def _endereco(imovel: Imovel) -> dict[str, Any]:
    """EnderecoLocalPermanenciaThrift; tipoLogradouroNumeroDne is the 3-digit DNE code."""
    rua = imovel.logradouro
    return _sem_vazios(
        {
            "bairro": rua.bairro,
            "cep": rua.cep,
            "codigoIbgeMunicipio": rua.municipio_ibge,
            "complemento": imovel.complemento,
            "nomeLogradouro": rua.nome,
            "numero": None if imovel.sem_numero else imovel.numero,
            "numeroDneUf": territorio.DNE_UF_POR_IBGE.get(rua.municipio_ibge[:2]),
            "telefoneContato": imovel.telefone_contato,
            "telefoneResidencia": imovel.telefone_residencia,
            "tipoLogradouroNumeroDne": rua.tipo_dne.zfill(3),
            "stSemNumero": imovel.sem_numero,
            "pontoReferencia": imovel.ponto_referencia,
            "microArea": None if imovel.fora_de_area else imovel.microarea,
            "stForaArea": imovel.fora_de_area,
        }
    )


def _condicao_moradia(imovel: Imovel) -> dict[str, Any] | None:
    condicao = _sem_vazios(
        {
            "abastecimentoAgua": imovel.abastecimento_agua,
            "areaProducaoRural": imovel.area_producao_rural,
            "destinoLixo": imovel.destino_lixo,
            "formaEscoamentoBanheiro": imovel.escoamento_banheiro,
            "localizacao": imovel.localizacao,
            "materialPredominanteParedesExtDomicilio": imovel.material_paredes,
            "nuComodos": str(imovel.comodos) if imovel.comodos is not None else None,
            "nuMoradores": str(imovel.moradores) if imovel.moradores is not None else None,
            "situacaoMoradiaPosseTerra": imovel.situacao_moradia,
            "stDisponibilidadeEnergiaEletrica": imovel.energia_eletrica,
            "tipoAcessoDomicilio": imovel.tipo_acesso,
            "tipoDomicilio": imovel.tipo_domicilio,
            "aguaConsumoDomicilio": imovel.agua_consumo,
            "tipoOrigemEnergiaEletrica": imovel.origem_energia,
        }
    )
    return condicao or None


def _instituicao(imovel: Imovel) -> dict[str, Any] | None:
    responsavel = imovel.instituicao_responsavel_nome
    instituicao = _sem_vazios(
        {
            "nomeInstituicaoPermanencia": imovel.instituicao_nome,
            "stOutrosProfissionaisVinculados": imovel.instituicao_outros_profissionais,
            "nomeResponsavelTecnico": texto.nome_normalizado(responsavel) if responsavel else None,
            "cnsResponsavelTecnico": imovel.instituicao_responsavel_cns,
            "cargoInstituicao": imovel.instituicao_responsavel_cargo,
            "telefoneResponsavelTecnico": imovel.instituicao_responsavel_telefone,
        }
    )
    return instituicao or None


def _familias(imovel: Imovel) -> list[dict[str, Any]]:
    """FamiliaRowThrift of each family of the imóvel's current domicílio: those living there,
    and those that moved out of it (stMudanca), one per responsável (the one living there
    wins). numeroMembrosFamilia counts who lives there, or who left with the family."""
    domicilio = imovel.domicilios.order_by("-id").first()
    if domicilio is None:
        return []
    familias = (
        Familia.objects.filter(domicilio=domicilio)
        .select_related("responsavel")
        .prefetch_related("membros")
        .order_by(F("data_mudanca").asc(nulls_first=True), "id")
    )
    por_responsavel: dict[int, Familia] = {}
    for familia in familias:
        por_responsavel.setdefault(familia.responsavel_id, familia)
    linhas = []
    for familia in sorted(por_responsavel.values(), key=lambda f: f.id):
        mudou = familia.data_mudanca is not None
        membros = sum(
            1 for m in familia.membros.all() if m.saida is None or (mudou and m.saida == familia.data_mudanca)
        )
        responsavel = familia.responsavel
        linhas.append(
            _sem_vazios(
                {
                    "dataNascimentoResponsavel": epoch_ms(responsavel.data_nascimento)
                    if responsavel.data_nascimento
                    else None,
                    **_identificacao(responsavel, cns="numeroCnsResponsavel", cpf="cpfResponsavel"),
                    "numeroMembrosFamilia": membros or None,
                    "numeroProntuario": familia.numero_prontuario,
                    "rendaFamiliar": familia.renda,
                    "resideDesde": epoch_ms(familia.reside_desde) if familia.reside_desde else None,
                    "stMudanca": mudou,
                }
            )
        )
    return linhas


def cadastro_domiciliar(imovel: Imovel) -> Montada:
    """The imóvel with its condições de moradia and families, credited to the lotação of
    its last change, dated then. With the termo de recusa only the address goes (dicionario-
    fcd #1, #2, #4, #7, #13); what the imóvel's type forbids is never filled by cds."""
    lotacao = imovel.atualizado_por
    if lotacao is None:
        raise ValueError(f"imovel {imovel.id} has no lotação to credit")
    originadora = uuid_originadora_imovel(imovel)
    atualizacao = FichaSisab.objects.filter(
        municipio_id=imovel.municipio_id, origem="imovel", origem_id=imovel.id, origem_versao__lt=imovel.versao
    ).exists()
    ficha_uuid = f"{lotacao.estabelecimento.cnes}-{uuidlib.uuid4()}" if atualizacao else originadora
    dados: dict[str, Any] = {
        "uuid": ficha_uuid,
        "uuidFichaOriginadora": originadora,
        "fichaAtualizada": atualizacao,
        "tpCdsOrigem": TP_CDS_ORIGEM,
        "tipoDeImovel": imovel.tipo,
        "tipoEndereco": 3,  # dicionario-fcd #17: logradouro
        "statusTermoRecusa": imovel.recusa,
        "enderecoLocalPermanencia": _endereco(imovel),
        "latitude": float(imovel.latitude) if imovel.latitude is not None else None,
        "longitude": float(imovel.longitude) if imovel.longitude is not None else None,
        "headerTransport": unica_lotacao_header(lotacao, imovel.atualizado_em),
    }
    if not imovel.recusa:
        dados |= {
            "condicaoMoradia": _condicao_moradia(imovel),
            "instituicaoPermanencia": _instituicao(imovel),
            "familias": _familias(imovel) if imovel.tipo == territorio.DOMICILIO else None,
        }
        if imovel.tipo == territorio.DOMICILIO and imovel.tem_animais is not None:
            dados |= {
                "stAnimaisNoDomicilio": imovel.tem_animais,
                "animaisNoDomicilio": sorted(imovel.animais) if imovel.tem_animais else None,
                "quantosAnimaisNoDomicilio": str(imovel.quantos_animais)
                if imovel.tem_animais and imovel.quantos_animais
                else None,
            }
    dados = {chave: valor for chave, valor in dados.items() if valor not in (None, [])}
    return Montada(
        tipo=3,
        uuid=ficha_uuid,
        dados=dados,
        lotacao=lotacao,
        data=imovel.atualizado_em,
        versao=imovel.versao,
        uuid_originadora=originadora,
    )


def _imoveis_sem_ficha(municipio_id: int) -> QuerySet[Imovel]:
    """Imóveis whose current version has no ficha; one never touched by a professional's
    lotação (a system import) has no one to credit and waits for one."""
    feitas = FichaSisab.objects.filter(
        municipio_id=municipio_id, origem="imovel", origem_id=OuterRef("id"), origem_versao=OuterRef("versao")
    )
    recebidas = CadastroRecebido.objects.filter(
        municipio_id=municipio_id, imovel=OuterRef("id"), versao=OuterRef("versao")
    )
    return (
        Imovel.objects.filter(municipio_id=municipio_id, atualizado_por__isnull=False)
        .exclude(Exists(feitas) | Exists(recebidas))
        .select_related(
            "logradouro",
            "atualizado_por__profissional",
            "atualizado_por__estabelecimento",
            "atualizado_por__equipe",
            "atualizado_por__municipio",
        )
    )


# --- Atendimento Individual (tipo 4) ------------------------------------------------------


def atendimento_individual(atendimento: Atendimento) -> Montada:
    lotacao, cidadao = atendimento.lotacao, atendimento.cidadao
    inicio, fim = atendimento.iniciado_em, atendimento.finalizado_em or atendimento.iniciado_em
    problemas = [
        _sem_vazios(
            {
                "uuidProblema": str(item.problema.uuid) if item.problema_id else None,  # type: ignore[union-attr]  # guarded by problema_id
                "uuidEvolucaoProblema": str(item.uuid_evolucao) if item.problema_id else None,
                "coSequencialEvolucao": item.sequencial if item.problema_id else None,
                "ciap": item.ciap,
                "cid10": item.cid10,
                "situacao": item.situacao,
                "isAvaliado": True,
            }
        )
        for item in atendimento.problemas_avaliados.select_related("problema").order_by("id")
    ]
    exames = [{"codigoExame": exame.sigtap, "solicitadoAvaliado": ["S"]} for exame in atendimento.exames.order_by("id")]
    filho = _sem_vazios(
        {
            **_identificacao(cidadao, cns="cns"),
            "dataNascimento": epoch_ms(cidadao.data_nascimento),
            "localDeAtendimento": LOCAL_UBS,
            "sexo": cidadao.sexo,
            "turno": turno(inicio),
            "tipoAtendimento": atendimento.tipo_atendimento,
            "condutas": list(atendimento.condutas),
            "exame": exames,
            "medicoes": medicoes(atendimento.medicao),
            "problemasCondicoes": problemas,
            "dataHoraInicialAtendimento": epoch_ms(inicio),
            "dataHoraFinalAtendimento": epoch_ms(fim),
        }
    )
    ficha_uuid = _uuid_ficha(lotacao, atendimento.uuid)
    dados = {
        "uuidFicha": ficha_uuid,
        "tpCdsOrigem": TP_CDS_ORIGEM,
        "headerTransport": varias_lotacoes_header(lotacao, inicio),
        "atendimentosIndividuais": [filho],
    }
    return Montada(tipo=4, uuid=ficha_uuid, dados=dados, lotacao=lotacao, data=inicio)


# --- Procedimentos (tipo 7): the escuta inicial ---------------------------------------------


def procedimentos_escuta(escuta: EscutaInicial) -> Montada:
    """An escuta inicial is a Ficha de Procedimentos with statusEscutaInicialOrientacao
    (dicionario-fp: then procedimentos may be empty; never SIGTAP 0301040079)."""
    lotacao, cidadao = escuta.lotacao, escuta.cidadao
    inicio = escuta.entrada.escuta_em or escuta.finalizada_em
    filho = _sem_vazios(
        {
            **_identificacao(cidadao),
            "dtNascimento": epoch_ms(cidadao.data_nascimento),
            "sexo": cidadao.sexo,
            "localAtendimento": LOCAL_UBS,
            "turno": turno(inicio),
            "statusEscutaInicialOrientacao": True,
            "medicoes": medicoes(escuta.medicao),
            "dataHoraInicialAtendimento": epoch_ms(inicio),
            "dataHoraFinalAtendimento": epoch_ms(escuta.finalizada_em),
        }
    )
    ficha_uuid = _uuid_ficha(lotacao, escuta.uuid)
    dados = {
        "uuidFicha": ficha_uuid,
        "tpCdsOrigem": TP_CDS_ORIGEM,
        "headerTransport": unica_lotacao_header(lotacao, inicio),
        "atendProcedimentos": [filho],
    }
    return Montada(tipo=7, uuid=ficha_uuid, dados=dados, lotacao=lotacao, data=inicio)


# --- Vacinação (tipo 14) --------------------------------------------------------------------


# dicionario-fv, VacinaRow.fabricante: the COVID-19 imunobiológicos carry these fixed names
# whatever the lot's manufacturer; stAplicadoExterior exists only for these (and 105).
FABRICANTE_COVID = {
    85: "OXFORD-ASTRAZENECA",
    86: "SINOVAC/BUTANTAN",
    87: "PFIZER/BIONTECH",
    88: "JANSSEN-CILAG",
    89: "ASTRAZENECA-ChAdOx1-S",
    95: "GAMALEYA-SPUTNIK-V",
    96: "BHARAT-COVAXIN",
    97: "MODERNA",
    98: "SINOVAC-CORONAVAC",
    99: "BIONTECH",
    102: "BIONTECH",
    103: "COMIRNATY-PFIZER/BIONTECH",
    112: "SERUM-INDIA",
    114: "BEIJING",
}
IMUNOBIOLOGICOS_COVID = frozenset({85, 86, 87, 88, 89, 95, 96, 97, 98, 99, 102, 103, 105, 112})
BCG = 15  # the only imunobiológico whose ficha says whether the citizen is a comunicante de hanseníase
ESTRATEGIA_TRANSCRICAO = 11  # "Pesquisa": the only strategy a transcription may name


@functools.cache
def _codigos_ledi(tabela: str) -> dict[str, int]:
    """Our code -> LEDI code of a table whose rows name it (`extra.ledi` in
    prontuario/dados: estrategia, grupo_atendimento), read once per process: the tables
    are reference data, loaded by a migration."""
    linhas = Termo.objects.filter(tabela=tabela).values_list("codigo", "extra")
    return {codigo: extra["ledi"] for codigo, extra in linhas if isinstance(extra, dict) and "ledi" in extra}


@functools.cache
def _codigos_rnds(tabela: str) -> dict[int, str]:
    """LEDI code -> our code (the first row naming it), for received fichas and the rules,
    which look one up per dose."""
    inverso: dict[int, str] = {}
    for codigo, ledi in _codigos_ledi(tabela).items():
        inverso.setdefault(ledi, codigo)
    return inverso


def estrategia_ledi(codigo_rnds: str) -> int | None:
    """Our doses keep the RNDS strategy code; LEDI has its own."""
    return _codigos_ledi("estrategia").get(codigo_rnds)


def estrategia_rnds(codigo_ledi: int | None) -> str | None:
    """The RNDS strategy code of a LEDI one (received fichas, the LEDI rules)."""
    return _codigos_rnds("estrategia").get(codigo_ledi)  # type: ignore[arg-type]  # None finds no code


def grupo_atendimento_ledi(codigo_rnds: str) -> int | None:
    """Our doses keep the RNDS BRGrupoAtendimento code; LEDI has its own."""
    return _codigos_ledi("grupo_atendimento").get(codigo_rnds)


def grupo_atendimento_rnds(codigo_ledi: int | None) -> str | None:
    """The RNDS group code of a LEDI one (received fichas, the LEDI rules)."""
    return _codigos_rnds("grupo_atendimento").get(codigo_ledi)  # type: ignore[arg-type]  # None finds no code


@functools.cache
def _fabricantes() -> dict[str, str]:
    return dict(Termo.objects.filter(tabela="fabricante").values_list("codigo", "sigla"))


def fabricante_ledi(*, imunobiologico: int, fabricante: str) -> str | None:
    """LEDI 7.2.2 wants the manufacturer's name where we keep the PNI code (BRFabricantePNI):
    its short name (the display, e.g. FIOCRUZ, SERUM-INDIA), which is what the fixed
    COVID-19 names follow."""
    return FABRICANTE_COVID.get(imunobiologico) or _fabricantes().get(fabricante)


def _vacina(dose: Vacinacao) -> dict[str, Any]:
    """VacinaRowThrift. A transcription (stRegistroAnterior) names no strategy but
    "Pesquisa" and no group, and says whether it was applied abroad only for COVID-19
    (we transcribe the Brazilian caderneta: False)."""
    imunobiologico, transcricao = int(dose.imunobiologico), dose.registro_anterior
    estrategia = estrategia_ledi(dose.estrategia)
    return _sem_vazios(
        {
            "imunobiologico": imunobiologico,
            "estrategiaVacinacao": estrategia if not transcricao or estrategia == ESTRATEGIA_TRANSCRICAO else None,
            "dose": int(dose.dose),
            "lote": dose.lote,
            "fabricante": fabricante_ledi(imunobiologico=imunobiologico, fabricante=dose.fabricante),
            "grupoAtendimento": None if transcricao else grupo_atendimento_ledi(dose.grupo_atendimento),
            "stRegistroAnterior": transcricao,
            "dataRegistroAnterior": epoch_ms(dose.data_aplicacao) if transcricao else None,
            "cid10MotivoIndicacao": dose.cid10_motivo_indicacao,
            "stPesquisaClinica": False,
            "stAplicadoExterior": False if transcricao and imunobiologico in IMUNOBIOLOGICOS_COVID else None,
        }
    )


def vacinacao(dose: Vacinacao) -> Montada:
    lotacao, cidadao = dose.lotacao, dose.cidadao
    momento = dose.registrado_em
    filho = _sem_vazios(
        {
            **_identificacao(cidadao),
            "turno": turno(momento),
            "dtNascimento": epoch_ms(cidadao.data_nascimento),
            "sexo": cidadao.sexo,
            "localAtendimento": LOCAL_UBS,
            "viajante": False,
            "comunicanteHanseniase": dose.comunicante_hanseniase if int(dose.imunobiologico) == BCG else None,
            "condicaoMaternal": int(dose.condicao_maternal) if dose.condicao_maternal else None,
            "vacinas": [_vacina(dose)],
            "dataHoraInicialAtendimento": epoch_ms(momento),
            "dataHoraFinalAtendimento": epoch_ms(momento),
        }
    )
    ficha_uuid = _uuid_ficha(lotacao, dose.uuid)
    dados = {
        "uuidFicha": ficha_uuid,
        "tpCdsOrigem": TP_CDS_ORIGEM,
        "headerTransport": unica_lotacao_header(lotacao, momento),
        "vacinacoes": [filho],
    }
    return Montada(tipo=14, uuid=ficha_uuid, dados=dados, lotacao=lotacao, data=momento)


# FichaVacinacaoMasterThrift #5, in the Thrift IDL only: fichavacinacaomaster.xsd has no
# such element and dicionario-fv (7.2.2) does not describe it.
UUID_FICHA_CANCELADA = "uuidFichaCancelada"


def vacinacao_cancelamento(enviada: dict[str, Any], *, cnes: str) -> dict[str, Any]:
    """The ficha that withdraws a vaccination ficha a destination already accepted.

    The IDL gives only the field, so the cancelling ficha is the sent one (same header,
    same child, so every field the dictionary requires is there and the receiver knows
    which dose goes) under its own uuid, with `uuidFichaCancelada` naming the sent one.
    Its uuid is a uuid5 of the cancelled one: asking twice never makes a second ficha."""
    cancelada = enviada["uuidFicha"]
    uuid_ficha = f"{cnes}-{uuidlib.uuid5(_ORIGINADORA, 'cancelamento:' + cancelada)}"
    return {**enviada, "uuidFicha": uuid_ficha, UUID_FICHA_CANCELADA: cancelada}


# --- CDS fichas typed at the UBS (tipos 6, 8, 10, 11, 12 and 13) ---------------------------------------------
# Where each typed ficha's rows go, and how the type spells its origin field (the FAC
# spells it tbCdsOrigem): dicionario-fvd, dicionario-fac.
_CDS_LINHAS = {
    cds_ledi.VISITA: "visitasDomiciliares",
    cds_ledi.ATIVIDADE_COLETIVA: "participantes",
    cds_ledi.ATENDIMENTO_DOMICILIAR: "atendimentosDomiciliares",
}
_CDS_ORIGEM = {cds_ledi.VISITA: "tpCdsOrigem", cds_ledi.ATIVIDADE_COLETIVA: "tbCdsOrigem"}  # others: tpCdsOrigem
# The fichas of atenção domiciliar carry the VariasLotacoesHeader (dicionario-fad, -fae).
_CDS_VARIAS_LOTACOES = frozenset({cds_ledi.ATENDIMENTO_DOMICILIAR, cds_ledi.ELEGIBILIDADE})
# The fichas of one citizen (cds_ledi.UM_CIDADAO) keep their only row's fields in the ficha
# itself; of those, these have a turno in the master (dicionario-fae, -fczm).
_CDS_TURNO_NA_FICHA = frozenset({cds_ledi.ELEGIBILIDADE, cds_ledi.ZIKA_MICROCEFALIA})


def ficha_cds(ficha: FichaCds) -> Montada:
    """A typed CDS ficha: its rows are already LEDI child dicts (cds.fichas), the header
    is the credited lotação on the day typed. LEDI 7.2.2 gives these types no update nor
    cancellation field, so every version is a ficha of its own (a correction cancels the
    old one here before it is sent: sisab.envio)."""
    lotacao = ficha.lotacao
    data = timezone.make_aware(datetime.datetime.combine(ficha.data_atendimento, datetime.time.min))
    ficha_uuid = _uuid_ficha(lotacao, ficha.uuid)
    linhas = [linha.dados for linha in ficha.linhas.all()]
    header = varias_lotacoes_header if ficha.tipo in _CDS_VARIAS_LOTACOES else unica_lotacao_header
    dados: dict[str, Any] = {
        "uuidFicha": ficha_uuid,
        _CDS_ORIGEM.get(ficha.tipo, "tpCdsOrigem"): TP_CDS_ORIGEM,
        "headerTransport": header(lotacao, data),
    }
    if ficha.tipo == cds_ledi.ATIVIDADE_COLETIVA:
        dados["turno"] = ficha.turno
        dados.update(ficha.dados)
        alteradas = sum(1 for linha in linhas if linha.get("avaliacaoAlterada"))
        dados["numAvaliacoesAlteradas"] = alteradas if linhas else None
    if ficha.tipo in _CDS_TURNO_NA_FICHA:
        dados["turno"] = ficha.turno
    if ficha.tipo in cds_ledi.UM_CIDADAO:
        for linha in linhas:
            dados.update(linha)
    else:
        dados[_CDS_LINHAS[ficha.tipo]] = linhas
    return Montada(
        tipo=ficha.tipo,
        uuid=ficha_uuid,
        dados=_sem_vazios(dados),
        lotacao=lotacao,
        data=data,
        uuid_originadora=_uuid_ficha(lotacao, ficha.uuid_originadora),
    )


# A typed CDS ficha's origin in the ledger, by its tipo (FichaSisab.origem: 20 characters at most).
ORIGEM_CDS = {
    cds_ledi.ATIVIDADE_COLETIVA: "cds_atividade",
    cds_ledi.VISITA: "cds_visita",
    cds_ledi.ATENDIMENTO_DOMICILIAR: "cds_domiciliar",
    cds_ledi.ELEGIBILIDADE: "cds_elegibilidade",
    cds_ledi.CONSUMO_ALIMENTAR: "cds_alimentar",
    cds_ledi.ZIKA_MICROCEFALIA: "cds_zika",
}


def _cds_sem_ficha(tipo: int, nome: str) -> Callable[[int], QuerySet[Any]]:
    def consulta(municipio_id: int) -> QuerySet[Any]:
        linhas: QuerySet[Any] = (
            _sem_ficha(FichaCds, nome, tipo=tipo, cancelada_em__isnull=True)(municipio_id)
            .select_related(None)
            .select_related(*_LOTACAO)
            .prefetch_related("linhas")
        )
        return linhas

    return consulta


# --- Registry -------------------------------------------------------------------------------

_LOTACAO = ("lotacao__profissional", "lotacao__estabelecimento", "lotacao__equipe", "lotacao__municipio")


def _sem_ficha(modelo: Any, nome: str, /, **filtros: Any) -> Callable[[int], QuerySet[Any]]:
    def consulta(municipio_id: int) -> QuerySet[Any]:
        feitas = FichaSisab.objects.filter(municipio_id=municipio_id, origem=nome, origem_id=OuterRef("id"))
        linhas: QuerySet[Any] = (
            modelo.objects.filter(municipio_id=municipio_id, **filtros)
            .exclude(Exists(feitas))
            .select_related("cidadao", *_LOTACAO)
        )
        return linhas

    return consulta


@dataclass(frozen=True)
class Mapeamento:
    origem: str
    tipo: int
    montar: Callable[[Any], Montada]
    pendentes: Callable[[int], QuerySet[Any]]  # records of a municipality without their ficha
    modelo: Any
    versionado: bool = False  # one ficha per `versao` of the record: a newer version has its own
    # What a record must still be for its ficha to go (not deleted, not cancelled): an
    # invalid ficha of a record that no longer is one is not rebuilt (sisab.envio).
    vigentes: dict[str, Any] = field(default_factory=dict)


REGISTRO: dict[str, Mapeamento] = {
    m.origem: m
    for m in [
        Mapeamento("cidadao", 2, cadastro_individual, _cidadaos_sem_ficha, Cidadao, versionado=True),
        Mapeamento("imovel", 3, cadastro_domiciliar, _imoveis_sem_ficha, Imovel, versionado=True),
        Mapeamento(
            "atendimento",
            4,
            atendimento_individual,
            _sem_ficha(Atendimento, "atendimento", status=Atendimento.Status.FINALIZADO),
            Atendimento,
        ),
        Mapeamento("escuta", 7, procedimentos_escuta, _sem_ficha(EscutaInicial, "escuta"), EscutaInicial),
        Mapeamento(
            "vacinacao",
            14,
            vacinacao,
            _sem_ficha(Vacinacao, "vacinacao", excluida_em__isnull=True, origem=Vacinacao.Origem.PEC),
            Vacinacao,
            vigentes={"excluida_em__isnull": True},
        ),
        *(
            Mapeamento(
                origem,
                tipo,
                ficha_cds,
                _cds_sem_ficha(tipo, origem),
                FichaCds,
                vigentes={"cancelada_em__isnull": True},
            )
            for tipo, origem in ORIGEM_CDS.items()
        ),
    ]
}


# The outbox rows the clinical services write (destino "sisab"), by their tipo.
ORIGEM_DO_OUTBOX = {"ficha_atendimento_individual": "atendimento", "ficha_vacinacao": "vacinacao"}
