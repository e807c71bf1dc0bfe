"""LEDI APS 7.2.2 rules, checked on the ficha dict before anything is sent.

A centralizer discards a whole file for any invalid field, and says so to nobody who can
fix it; so every rule here returns a sentence for the professional or the municipal
admin, in Portuguese. The rules read the dict that will be serialised (not our models),
so what is checked is exactly what is sent; the point-of-care vaccination form runs the
same rules on the ficha its dose will become (vacinacao_erros_da_dose), so the form and
the export never disagree. Sources: docs/integracoes/ledi.md and the LEDI
dictionaries (`estrutura_arquivos/dicionario-*`); the CBO groups are parsed from the official
table (dados/ledi_cbo.txt, read by dados.cbos_por_ficha), names and CIAP2/CID-10 reuse prontuario's implementation of
the same LEDI rules, the vaccine table is prontuario's RegraVacinacao.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from cds.fichas import ledi as cds_ledi
from cds.models import FichaCds
from cds.territorio.ledi import (
    DOMICILIO,
    INSTITUICAO_OU_CASAI,
    INSTITUICAO_PERMANENCIA,
    LOCALIZACAO_NAO_RURAL,
    SEM_CONDICAO_MORADIA,
    TIPO_IMOVEL,
)
from dados import cbos_por_ficha, municipios
from pec.documentos import cns_valido, cpf_valido
from prontuario.cadastro import texto
from prontuario.clinico.regras import ItemAvaliado, problemas_erros, vacina_regra_permitida
from prontuario.models import Vacinacao
from sisab import fichas, ledi

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13 on

DIA_MS = 86_400_000
IDADE_MAXIMA_MS = 130 * 366 * DIA_MS
SIGTAP_PROIBIDO = "0301040079"  # escuta inicial goes in statusEscutaInicialOrientacao
_SIGTAP = re.compile(r"^\d{10}$")
_AB_PROCEDIMENTO = re.compile(r"^ABPG\d{3}$")


def _ms(valor: Any) -> TypeIs[int]:
    return isinstance(valor, int) and not isinstance(valor, bool)


def _data(ms: int) -> str:
    return timezone.localtime(datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)).strftime("%d/%m/%Y")


def header_erros(*, tipo: int, header: dict[str, Any], agora_ms: int) -> list[str]:
    lotacao = header.get("lotacaoFormPrincipal", header)
    erros = []
    cns = lotacao.get("profissionalCNS") or ""
    if not cns:
        erros.append("O profissional não tem CNS cadastrado (atualize a importação do CNES).")
    elif not cns_valido(cns):
        erros.append(f"O CNS do profissional ({cns}) é inválido.")
    cbo = lotacao.get("cboCodigo_2002") or ""
    if cbo not in cbos_por_ficha().get(tipo, {}):
        erros.append(f"A CBO {cbo or '(vazia)'} da lotação não pode registrar a ficha de {ledi.TIPOS[tipo].nome}.")
    if not re.fullmatch(r"\d{7}", lotacao.get("cnes") or ""):
        erros.append("O CNES da lotação deve ter 7 dígitos.")
    if lotacao.get("ine") and not re.fullmatch(r"\d{10}", lotacao["ine"]):
        erros.append("O INE da equipe deve ter 10 dígitos.")
    data = header.get("dataAtendimento")
    if not _ms(data):
        erros.append("A data do atendimento é obrigatória.")
    elif data > agora_ms:
        erros.append(f"A data do atendimento ({_data(data)}) está no futuro.")
    if not re.fullmatch(r"\d{7}", header.get("codigoIbgeMunicipio") or ""):
        erros.append("O código IBGE do município deve ter 7 dígitos.")
    return erros


def cidadao_erros(*, cns: str | None, cpf: str | None, obrigatorio: bool = True) -> list[str]:
    """cnsCidadao xor cpfCidadao, each valid."""
    if cns and cpf:
        return ["Informe o CPF ou o CNS do cidadão, não os dois."]
    if cpf and not cpf_valido(cpf):
        return [f"O CPF do cidadão ({cpf}) é inválido."]
    if cns and not cns_valido(cns):
        return [f"O CNS do cidadão ({cns}) é inválido."]
    if obrigatorio and not cns and not cpf:
        return ["O cidadão não tem CPF nem CNS: informe um dos dois no cadastro."]
    return []


def nascimento_erros(*, nascimento: Any, referencia: Any) -> list[str]:
    if not _ms(nascimento):
        return ["A data de nascimento do cidadão é obrigatória."]
    if _ms(referencia) and nascimento > referencia:
        return ["A data de nascimento é posterior à data do atendimento."]
    if _ms(referencia) and referencia - nascimento > IDADE_MAXIMA_MS:
        return ["A data de nascimento é de mais de 130 anos antes do atendimento."]
    return []


def periodo_erros(filho: dict[str, Any], *, data_atendimento: Any, agora_ms: int) -> list[str]:
    inicio, fim = filho.get("dataHoraInicialAtendimento"), filho.get("dataHoraFinalAtendimento")
    if not _ms(inicio) or not _ms(fim):
        return ["As datas/horas de início e de fim do atendimento são obrigatórias."]
    if _ms(data_atendimento) and inicio < data_atendimento - DIA_MS:
        return ["O início do atendimento é anterior à data do atendimento."]
    if fim < inicio:
        return ["O fim do atendimento é anterior ao início."]
    if fim > agora_ms:
        return ["O fim do atendimento está no futuro."]
    return []


def nome_erros(nome: str, rotulo: str) -> list[str]:
    """validar_nome.txt: uppercase, single spaces (rules 3, 4) and prontuario's rules 1, 2, 5–7."""
    erros = [f"{rotulo} {problema}." for problema in texto.erros_nome(nome)]
    if nome != texto.nome_normalizado(nome):
        erros.append(f"{rotulo} deve estar em maiúsculas e sem espaços repetidos.")
    return erros


# --- per ficha ------------------------------------------------------------------------------


def _cadastro_individual(dados: dict[str, Any], agora_ms: int) -> list[str]:
    erros = _originadora_erros(dados, "do cidadão")
    ident = dados.get("identificacaoUsuarioCidadao") or {}
    erros += nome_erros(ident.get("nomeCidadao") or "", "O nome do cidadão")
    if ident.get("nomeMaeCidadao"):
        erros += nome_erros(ident["nomeMaeCidadao"], "O nome da mãe")
    elif not ident.get("desconheceNomeMae"):
        erros.append("Informe o nome da mãe ou marque que é desconhecido.")
    if ident.get("nomePaiCidadao"):
        erros += nome_erros(ident["nomePaiCidadao"], "O nome do pai")
    erros += cidadao_erros(cns=ident.get("cnsCidadao"), cpf=ident.get("cpfCidadao"))
    erros += nascimento_erros(
        nascimento=ident.get("dataNascimentoCidadao"), referencia=dados["headerTransport"].get("dataAtendimento")
    )
    if ident.get("racaCorCidadao") == 5 and not ident.get("etnia"):
        erros.append("Cidadão indígena (raça/cor 5) precisa da etnia.")
    if ident.get("nacionalidadeCidadao") == 1 and not ident.get("codigoIbgeMunicipioNascimento"):
        erros.append("Brasileiro precisa do município de nascimento.")
    return erros


def _problemas(filho: dict[str, Any]) -> list[str]:
    itens = [
        ItemAvaliado(ciap=p.get("ciap", ""), cid10=p.get("cid10", ""), situacao=p.get("situacao"))
        for p in filho.get("problemasCondicoes") or []
    ]
    if not itens:
        return ["O atendimento precisa de pelo menos um problema/condição avaliado (CIAP2 ou CID-10)."]
    nascimento, inicio = filho.get("dataNascimento"), filho.get("dataHoraInicialAtendimento")
    if not _ms(nascimento) or not _ms(inicio):
        return []

    def dia(ms: int) -> datetime.date:
        return timezone.localtime(datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)).date()

    erros = problemas_erros(itens=itens, nascimento=dia(nascimento), dia=dia(inicio))
    for item in itens:
        for codigo in (item.ciap, item.cid10):
            if codigo and (codigo != codigo.upper() or " " in codigo or "." in codigo):
                erros.append(f"O código {codigo} deve estar em maiúsculas, sem espaços nem pontos.")
    return erros


def _atendimento_individual(dados: dict[str, Any], agora_ms: int) -> list[str]:
    filhos = dados.get("atendimentosIndividuais") or []
    if not 1 <= len(filhos) <= 99:
        return ["A ficha deve ter de 1 a 99 atendimentos."]
    erros: list[str] = []
    data = dados["headerTransport"].get("dataAtendimento")
    for filho in filhos:
        erros += cidadao_erros(cns=filho.get("cns"), cpf=filho.get("cpfCidadao"), obrigatorio=False)
        erros += nascimento_erros(nascimento=filho.get("dataNascimento"), referencia=data)
        erros += periodo_erros(filho, data_atendimento=data, agora_ms=agora_ms)
        if filho.get("tipoAtendimento") not in (1, 2, 4, 5, 6):
            erros.append("Informe o tipo de atendimento.")
        if not filho.get("condutas"):
            erros.append("Informe pelo menos uma conduta/desfecho.")
        erros += _problemas(filho)
        for exame in filho.get("exame") or []:
            codigo = exame.get("codigoExame", "")
            if _SIGTAP.match(codigo) and not codigo.startswith("02"):
                erros.append(
                    f"O exame {codigo} não é do grupo 02 do SIGTAP (procedimentos com finalidade diagnóstica)."
                )
    return erros


def _procedimento_valido(codigo: str) -> bool:
    if _AB_PROCEDIMENTO.match(codigo):
        return True
    return bool(_SIGTAP.match(codigo)) and (codigo[:2] in {"01", "02", "03", "04"} or codigo[:4] == "0804")


def _procedimentos(dados: dict[str, Any], agora_ms: int) -> list[str]:
    filhos = dados.get("atendProcedimentos") or []
    contadores = [dados.get(c) for c in dados if c.startswith("numTotal")]
    if not filhos and not any(contadores):
        return ["A ficha de procedimentos precisa de ao menos um atendimento ou um total."]
    if any(valor == 0 for valor in contadores):
        return ["Os totais da ficha de procedimentos não podem ser zero."]
    erros: list[str] = []
    data = dados["headerTransport"].get("dataAtendimento")
    for filho in filhos:
        erros += cidadao_erros(cns=filho.get("cnsCidadao"), cpf=filho.get("cpfCidadao"), obrigatorio=False)
        erros += nascimento_erros(nascimento=filho.get("dtNascimento"), referencia=data)
        erros += periodo_erros(filho, data_atendimento=data, agora_ms=agora_ms)
        procedimentos = filho.get("procedimentos") or []
        if not procedimentos and not filho.get("statusEscutaInicialOrientacao"):
            erros.append("Informe pelo menos um procedimento (ou a escuta inicial).")
        if len(procedimentos) > 20:
            erros.append("No máximo 20 procedimentos por atendimento.")
        if len(set(procedimentos)) != len(procedimentos):
            erros.append("Um procedimento foi informado mais de uma vez.")
        for codigo in procedimentos:
            if codigo == SIGTAP_PROIBIDO:
                erros.append(
                    f"O procedimento {codigo} (escuta inicial) não é informado na lista: use a escuta inicial."
                )
            elif not _procedimento_valido(codigo):
                erros.append(f"O procedimento {codigo} não pertence aos grupos 01–04 ou ao subgrupo 0804 do SIGTAP.")
    return erros


# (LEDI field the rule is about, message): the point-of-care form shows each message on
# the field of the dose behind that LEDI field (vacinacao_erros_da_dose).
ErroCampo = tuple[str, str]
_LOTE = re.compile(r"[A-Za-z0-9/.-]{1,30}")
_FABRICANTE = re.compile(r"[A-Za-z0-9/.-]+( [A-Za-z0-9/.-]+)*")


def _vacinacao(dados: dict[str, Any], agora_ms: int) -> list[str]:
    filhos = dados.get("vacinacoes") or []
    if not filhos:
        return ["A ficha de vacinação precisa de pelo menos uma vacinação."]
    data = dados["headerTransport"].get("dataAtendimento")
    return [
        mensagem
        for filho in filhos
        for _, mensagem in vacinacao_filho_erros(filho, data_atendimento=data, agora_ms=agora_ms)
    ]


def vacinacao_filho_erros(filho: dict[str, Any], *, data_atendimento: Any, agora_ms: int) -> list[ErroCampo]:
    """Every rule of one FichaVacinacaoChild (dicionario-fv), each with its LEDI field."""
    erros = [("cpfCidadao", m) for m in cidadao_erros(cns=filho.get("cnsCidadao"), cpf=filho.get("cpfCidadao"))]
    erros += [
        ("dtNascimento", m) for m in nascimento_erros(nascimento=filho.get("dtNascimento"), referencia=data_atendimento)
    ]
    erros += [
        ("dataHoraInicialAtendimento", m)
        for m in periodo_erros(filho, data_atendimento=data_atendimento, agora_ms=agora_ms)
    ]
    sexo, condicao = filho.get("sexo"), filho.get("condicaoMaternal")
    if sexo in (1, 5) and condicao not in (1, 2, 3):
        erros.append(("condicaoMaternal", "Informe a condição maternal (nenhuma, gestante ou puérpera)."))
    if sexo == 0 and condicao is not None:
        erros.append(
            ("condicaoMaternal", "Condição maternal não se aplica ao sexo masculino: deixe o campo em branco.")
        )
    vacinas = filho.get("vacinas") or []
    if not 1 <= len(vacinas) <= 10:
        erros.append(("vacinas", "Cada vacinação deve ter de 1 a 10 vacinas."))
    bcg = any(vacina.get("imunobiologico") == fichas.BCG for vacina in vacinas)
    if bcg and filho.get("comunicanteHanseniase") is None:
        erros.append(
            ("comunicanteHanseniase", "Para a BCG, informe se o cidadão é comunicante de hanseníase (sim ou não).")
        )
    if not bcg and filho.get("comunicanteHanseniase") is not None:
        erros.append(("comunicanteHanseniase", "Comunicante de hanseníase só é informado com a BCG."))
    aplicadas = [v.get("imunobiologico") for v in vacinas if not v.get("stRegistroAnterior")]
    if len(set(aplicadas)) != len(aplicadas):
        erros.append(("imunobiologico", "O mesmo imunobiológico foi aplicado mais de uma vez no atendimento."))
    for vacina in vacinas:
        erros += _vacina(vacina, nascimento=filho.get("dtNascimento"), data_atendimento=data_atendimento)
    return erros


def _vacina(vacina: dict[str, Any], *, nascimento: Any, data_atendimento: Any) -> list[ErroCampo]:
    erros = _lote_e_fabricante(vacina)
    if vacina.get("stRegistroAnterior"):
        return erros + _transcricao(vacina, nascimento=nascimento, data_atendimento=data_atendimento)
    for campo in ("dataRegistroAnterior", "stAplicadoExterior"):
        if campo in vacina:
            erros.append((campo, f"O campo {campo} só é informado na transcrição de caderneta."))
    if not vacina.get("lote"):
        erros.append(("lote", "Informe o lote da vacina aplicada."))
    if not vacina.get("fabricante"):
        erros.append(("fabricante", "Informe o fabricante da vacina aplicada."))
    grupo = vacina.get("grupoAtendimento")
    if grupo is None:
        erros.append(
            (
                "grupoAtendimento",
                "Informe o grupo de atendimento da vacina aplicada (um dos grupos que o e-SUS APS conhece).",
            )
        )
    elif fichas.grupo_atendimento_rnds(grupo) is None:
        erros.append(("grupoAtendimento", f"O grupo de atendimento {grupo} não existe na tabela do e-SUS APS."))
    estrategia = vacina.get("estrategiaVacinacao")
    if estrategia is None:
        return [*erros, ("estrategiaVacinacao", "Informe a estratégia de vacinação.")]
    if not vacina_regra_permitida(
        imunobiologico=str(vacina.get("imunobiologico")),
        estrategia=fichas.estrategia_rnds(estrategia) or "",
        dose=str(vacina.get("dose")),
    ):
        erros.append(
            (
                "dose",
                f"A dose {vacina.get('dose')} do imunobiológico {vacina.get('imunobiologico')} nesta estratégia "
                f"(e-SUS APS {estrategia}) não consta na tabela oficial de regras de vacinação: só pode ser "
                "registrada como transcrição de caderneta.",
            )
        )
    if estrategia == 2 and not vacina.get("cid10MotivoIndicacao"):
        erros.append(("cid10MotivoIndicacao", "A estratégia especial exige a CID-10 do motivo da indicação."))
    return erros


def _transcricao(vacina: dict[str, Any], *, nascimento: Any, data_atendimento: Any) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    registro = vacina.get("dataRegistroAnterior")
    if not _ms(registro):
        erros.append(("dataRegistroAnterior", "A transcrição de caderneta precisa da data da aplicação."))
    elif _ms(nascimento) and registro < nascimento:
        erros.append(("dataRegistroAnterior", "A data da dose transcrita é anterior ao nascimento."))
    elif _ms(data_atendimento) and registro > data_atendimento:
        erros.append(("dataRegistroAnterior", "A data da dose transcrita é posterior à data do atendimento."))
    estrategia = vacina.get("estrategiaVacinacao")
    if estrategia is not None and estrategia != fichas.ESTRATEGIA_TRANSCRICAO:
        erros.append(
            (
                "estrategiaVacinacao",
                f"Uma transcrição de caderneta não informa a estratégia {estrategia}: "
                f"só a {fichas.ESTRATEGIA_TRANSCRICAO} (Pesquisa) é aceita.",
            )
        )
    if vacina.get("grupoAtendimento") is not None:
        erros.append(("grupoAtendimento", "Uma transcrição de caderneta não informa o grupo de atendimento."))
    covid = vacina.get("imunobiologico") in fichas.IMUNOBIOLOGICOS_COVID
    if covid and vacina.get("stAplicadoExterior") is None:
        erros.append(
            ("stAplicadoExterior", "Na transcrição de uma vacina de COVID-19, informe se foi aplicada no exterior.")
        )
    if not covid and "stAplicadoExterior" in vacina:
        erros.append(
            ("stAplicadoExterior", "Aplicada no exterior só é informado na transcrição de vacinas de COVID-19.")
        )
    return erros


def _lote_e_fabricante(vacina: dict[str, Any]) -> list[ErroCampo]:
    """Characters and lengths of dicionario-fv; the manufacturer is a name (the fixed one
    for the COVID-19 vaccines), never the PNI code."""
    erros: list[ErroCampo] = []
    lote, fabricante = vacina.get("lote"), vacina.get("fabricante")
    if lote and not _LOTE.fullmatch(lote):
        erros.append(("lote", 'O lote aceita até 30 letras, números, "/", "." e "-" (sem espaços).'))
    if not fabricante:
        return erros
    fixo = fichas.FABRICANTE_COVID.get(vacina.get("imunobiologico"))  # type: ignore[arg-type]  # None finds none
    if fixo and fabricante != fixo:
        erros.append(("fabricante", f"Para o imunobiológico {vacina.get('imunobiologico')}, o fabricante é {fixo}."))
    elif len(fabricante) > 60 or not _FABRICANTE.fullmatch(fabricante):
        erros.append(
            ("fabricante", 'O nome do fabricante aceita até 60 letras, números, "/", ".", "-" e espaços simples.')
        )
    elif not re.search(r"[A-Za-z]", fabricante):
        erros.append(("fabricante", f"O fabricante deve ser informado pelo nome, não pelo código ({fabricante})."))
    return erros


def _originadora_erros(dados: dict[str, Any], primeira: str) -> list[str]:
    if dados.get("uuidFichaOriginadora") is None:
        return ["A ficha não tem uuidFichaOriginadora."]
    if not dados.get("fichaAtualizada") and dados["uuidFichaOriginadora"] != dados.get("uuid"):
        return [f"A primeira ficha {primeira} deve ter uuid igual ao uuidFichaOriginadora."]
    return []


def _cadastro_domiciliar(dados: dict[str, Any], agora_ms: int) -> list[str]:
    """dicionario-fcd: what the cds services cannot hold by themselves, since it depends on
    other records (the responsáveis' documents and birth dates, who lives there now) or on
    the day the ficha is made; the rules of the imóvel's own fields are checked again, the
    dict being what is sent."""
    erros = _originadora_erros(dados, "do imóvel")
    tipo: int = dados.get("tipoDeImovel", 0)
    recusa = bool(dados.get("statusTermoRecusa"))
    nome_tipo = dict(TIPO_IMOVEL).get(tipo, str(tipo)).split(" (")[0]
    if tipo not in dict(TIPO_IMOVEL):
        erros.append(f"Tipo de imóvel {tipo} não existe na tabela LEDI.")
    if dados.get("tpCdsOrigem") != fichas.TP_CDS_ORIGEM:
        erros.append("tpCdsOrigem deve ser 3 (sistemas terceiros).")
    if dados.get("tipoEndereco") != 3:
        erros.append("tipoEndereco deve ser 3 (logradouro).")
    if ("latitude" in dados) != ("longitude" in dados):
        erros.append("Latitude e longitude são informadas juntas.")
    erros += _endereco_erros(dados.get("enderecoLocalPermanencia"), tipo=tipo, recusa=recusa)
    preenchidos = [
        campo
        for campo in (
            "condicaoMoradia",
            "familias",
            "instituicaoPermanencia",
            "stAnimaisNoDomicilio",
            "animaisNoDomicilio",
            "quantosAnimaisNoDomicilio",
        )
        if dados.get(campo) not in (None, [], {})
    ]
    if recusa:
        return erros + [f"Com o termo de recusa, a ficha não leva {campo}." for campo in preenchidos]
    for campo in preenchidos:
        if campo in ("familias", "stAnimaisNoDomicilio", "animaisNoDomicilio", "quantosAnimaisNoDomicilio"):
            if tipo != DOMICILIO:
                erros.append(f"Um imóvel do tipo {nome_tipo} não leva {campo} (só Domicílio).")
        elif campo == "condicaoMoradia" and tipo in SEM_CONDICAO_MORADIA:
            erros.append(f"Um imóvel do tipo {nome_tipo} não tem condições de moradia.")
        elif campo == "instituicaoPermanencia" and tipo not in INSTITUICAO_PERMANENCIA:
            erros.append(f"Um imóvel do tipo {nome_tipo} não é instituição de permanência.")
    if dados.get("stAnimaisNoDomicilio") is not True and (
        dados.get("animaisNoDomicilio") or dados.get("quantosAnimaisNoDomicilio")
    ):
        erros.append("Animais informados sem marcar que há animais no domicílio.")
    quantos = dados.get("quantosAnimaisNoDomicilio")
    if quantos is not None and (not quantos.isdigit() or int(quantos) == 0 or len(quantos) > 2):
        erros.append("A quantidade de animais deve ser de 1 a 99.")
    elif quantos is not None and int(quantos) < len(dados.get("animaisNoDomicilio") or []):
        erros.append("A quantidade de animais não pode ser menor que o número de tipos marcados.")
    familias = dados.get("familias") or []
    erros += _familias_erros(
        familias, data_atendimento=dados["headerTransport"].get("dataAtendimento"), agora_ms=agora_ms
    )
    erros += _condicao_erros(dados.get("condicaoMoradia"), tipo=tipo, nome_tipo=nome_tipo, familias=familias)
    instituicao = dados.get("instituicaoPermanencia")
    if instituicao:
        erros += nome_erros(instituicao.get("nomeResponsavelTecnico") or "", "O nome do responsável técnico")
        cns = instituicao.get("cnsResponsavelTecnico")
        if cns and not cns_valido(cns):
            erros.append(f"O CNS do responsável técnico ({cns}) é inválido.")
    return erros


def _endereco_erros(endereco: dict[str, Any] | None, *, tipo: Any, recusa: bool) -> list[str]:
    if not endereco:
        return [] if recusa else ["O endereço do imóvel é obrigatório."]
    erros = []
    for campo, rotulo in (
        ("bairro", "o bairro"),
        ("nomeLogradouro", "o nome do logradouro"),
        ("tipoLogradouroNumeroDne", "o tipo de logradouro (DNE)"),
        ("numeroDneUf", "a UF (DNE)"),
    ):
        if not endereco.get(campo):
            erros.append(f"O endereço precisa de {rotulo}.")
    if not re.fullmatch(r"\d{8}", endereco.get("cep") or ""):
        erros.append("O CEP do endereço deve ter 8 dígitos.")
    if not re.fullmatch(r"\d{7}", endereco.get("codigoIbgeMunicipio") or ""):
        erros.append("O código IBGE do município do endereço deve ter 7 dígitos.")
    numero = endereco.get("numero")
    if endereco.get("stSemNumero") and numero:
        erros.append('Com "sem número" marcado, o endereço não leva número.')
    elif not endereco.get("stSemNumero") and not re.fullmatch(r"[0-9A-Za-z]{1,10}", numero or ""):
        erros.append('O número do endereço (letras e números, até 10) é obrigatório sem "sem número".')
    micro = endereco.get("microArea")
    # The dictionary says an imóvel fora de área has no microárea, but the official example
    # (Cadastro_Domiciliar_Recusa) sends "FA" there, as PEC does: accepted, never produced.
    if endereco.get("stForaArea") and micro not in (None, "", "FA"):
        erros.append("Um imóvel fora de área não tem microárea.")
    elif not endereco.get("stForaArea") and not re.fullmatch(r"\d{2}", micro or ""):
        erros.append('A microárea (2 dígitos) é obrigatória fora de "fora de área".')
    for campo in ("telefoneContato", "telefoneResidencia"):
        if endereco.get(campo) and not re.fullmatch(r"\d{10,11}", endereco[campo]):
            erros.append(f"O telefone ({campo}) deve ter DDD e número, 10 ou 11 dígitos.")
    if endereco.get("telefoneResidencia") and tipo != DOMICILIO:
        erros.append("Só um imóvel do tipo Domicílio tem telefone residencial.")
    return erros


def _familias_erros(familias: list[dict[str, Any]], *, data_atendimento: Any, agora_ms: int) -> list[str]:
    erros, vistos = [], set()
    for familia in familias:
        cns, cpf = familia.get("numeroCnsResponsavel"), familia.get("cpfResponsavel")
        documento = cns or cpf
        if cns and cpf:
            erros.append("Informe o CPF ou o CNS do responsável familiar, não os dois.")
        elif cpf and not cpf_valido(cpf):
            erros.append(f"O CPF do responsável familiar ({cpf}) é inválido.")
        elif cns and not cns_valido(cns):
            erros.append(f"O CNS do responsável familiar ({cns}) é inválido.")
        elif not documento:
            erros.append("O responsável de uma família não tem CPF nem CNS: informe um dos dois no cadastro dele.")
        if documento and documento in vistos:
            erros.append(f"Duas famílias com o mesmo responsável ({documento}).")
        vistos.add(documento)
        nascimento = familia.get("dataNascimentoResponsavel")
        if _ms(nascimento):
            erros += [
                erro.replace("do cidadão", "do responsável familiar")
                for erro in nascimento_erros(nascimento=nascimento, referencia=data_atendimento)
            ]
        membros = familia.get("numeroMembrosFamilia")
        if membros is not None and not 1 <= membros <= 99:
            erros.append(f"O número de membros da família ({membros}) deve ser de 1 a 99.")
        if not re.fullmatch(r"[0-9A-Za-z]{0,30}", familia.get("numeroProntuario") or ""):
            erros.append("O número do prontuário familiar leva apenas letras e números (até 30).")
        if _ms(familia.get("resideDesde")) and familia["resideDesde"] > agora_ms:
            erros.append(f'"Reside desde" ({_data(familia["resideDesde"])}) não pode ser posterior a hoje.')
    return erros


def _condicao_erros(
    condicao: dict[str, Any] | None, *, tipo: Any, nome_tipo: str, familias: list[dict[str, Any]]
) -> list[str]:
    if not condicao:
        return []
    erros = []
    if condicao.get("localizacao") is None:
        erros.append("As condições de moradia precisam da localização.")
    if tipo in INSTITUICAO_PERMANENCIA and condicao.get("situacaoMoradiaPosseTerra") is not None:
        erros.append(f"Um imóvel do tipo {nome_tipo} não tem situação de moradia.")
    elif tipo not in INSTITUICAO_PERMANENCIA and condicao.get("situacaoMoradiaPosseTerra") is None:
        erros.append("As condições de moradia precisam da situação de moradia ou posse da terra.")
    if tipo in INSTITUICAO_OU_CASAI:
        for campo in (
            "areaProducaoRural",
            "materialPredominanteParedesExtDomicilio",
            "nuComodos",
            "tipoAcessoDomicilio",
            "tipoDomicilio",
        ):
            if condicao.get(campo) is not None:
                erros.append(f"Um imóvel do tipo {nome_tipo} não leva {campo}.")
    if condicao.get("areaProducaoRural") is not None and condicao.get("localizacao") in LOCALIZACAO_NAO_RURAL:
        erros.append("Só um imóvel de localização rural tem área de produção rural.")
    if (
        condicao.get("tipoOrigemEnergiaEletrica") is not None
        and condicao.get("stDisponibilidadeEnergiaEletrica") is False
    ):
        erros.append("Sem energia elétrica não há origem da energia.")
    comodos = condicao.get("nuComodos")
    if comodos is not None and (not comodos.isdigit() or int(comodos) == 0 or len(comodos) > 2):
        erros.append("O número de cômodos deve ser de 1 a 99.")
    moradores = condicao.get("nuMoradores")
    if moradores is not None:
        # Families that moved out (stMudanca) no longer live there.
        morando = [f for f in familias if not f.get("stMudanca")]
        soma = sum(f.get("numeroMembrosFamilia") or 1 for f in morando)
        if not moradores.isdigit() or len(moradores) > 4:
            erros.append("O número de moradores deve ter até 4 dígitos.")
        elif int(moradores) < len(morando) or int(moradores) < soma:
            erros.append(
                f"O número de moradores ({moradores}) é menor que os {soma} membros das famílias do imóvel: "
                "atualize o imóvel."
            )
    return erros


# --- CDS fichas typed at the UBS: Visita Domiciliar (8) and Atividade Coletiva (6) ---------
# Each rule names its field: the master's LEDI name, or "linhas.<i>.<LEDI name>" for a row,
# so the typing form (cds.fichas) shows the message next to the field typed wrong.

_MEDIDAS_VISITA = (
    "pesoAcompanhamentoNutricional",
    "alturaAcompanhamentoNutricional",
    "pressaoSistolica",
    "pressaoDiastolica",
    "temperatura",
    "glicemia",
    "tipoGlicemia",
)
_CIDADAO_VISITA = ("numProntuario", "cnsCidadao", "cpfCidadao", "dtNascimento", "sexo", *_MEDIDAS_VISITA)
_NOMES_CAMPOS = {
    "numProntuario": "número do prontuário",
    "cnsCidadao": "CNS do cidadão",
    "cpfCidadao": "CPF do cidadão",
    "dtNascimento": "data de nascimento",
    "sexo": "sexo",
    "pesoAcompanhamentoNutricional": "peso",
    "alturaAcompanhamentoNutricional": "altura",
    "pressaoSistolica": "pressão sistólica",
    "pressaoDiastolica": "pressão diastólica",
    "temperatura": "temperatura",
    "glicemia": "glicemia",
    "tipoGlicemia": "momento da glicemia",
}
_SEXOS = (0, 1, 4, 5)


def _casas(valor: float, casas: int) -> bool:
    return round(valor, casas) == valor


def _faixa(
    valor: Any, *, minimo: float, maximo: float, casas: int | None = None, rotulo: str, unidade: str = ""
) -> list[str]:
    if valor is None:
        return []
    if isinstance(valor, bool) or not isinstance(valor, int | float) or not minimo <= valor <= maximo:
        return [f"{rotulo} deve estar entre {minimo:g} e {maximo:g}{unidade}."]
    if casas is not None and not _casas(float(valor), casas):
        return [f"{rotulo} aceita no máximo {casas} casa(s) decimal(is)."]
    return []


def _codigos(valores: Any, validos: set[int] | frozenset[int], rotulo: str) -> list[str]:
    invalidos = [v for v in valores or [] if v not in validos]
    if invalidos:
        return [f"{rotulo}: código(s) {', '.join(map(str, invalidos))} não existe(m) na tabela LEDI."]
    if len(set(valores or [])) != len(valores or []):
        return [f"{rotulo}: um código foi informado mais de uma vez."]
    return []


def _peso_altura(linha: dict[str, Any], peso: str, altura: str) -> list[ErroCampo]:
    erros = [
        (peso, m) for m in _faixa(linha.get(peso), minimo=0.5, maximo=500, casas=3, rotulo="O peso", unidade=" kg")
    ]
    erros += [
        (altura, m) for m in _faixa(linha.get(altura), minimo=20, maximo=250, casas=1, rotulo="A altura", unidade=" cm")
    ]
    return erros


def visita_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-fvd: every rule of the Ficha de Visita Domiciliar e Territorial."""
    visitas = dados.get("visitasDomiciliares") or []
    if len(visitas) > 99:
        return [("visitasDomiciliares", "A ficha de visita tem no máximo 99 visitas.")]
    data = dados["headerTransport"].get("dataAtendimento")
    erros: list[ErroCampo] = []
    for indice, visita in enumerate(visitas):
        erros += [(f"linhas.{indice}.{campo}", mensagem) for campo, mensagem in _visita(visita, data=data)]
    return erros


def _visita(visita: dict[str, Any], *, data: Any) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    if visita.get("turno") not in (1, 2, 3):
        erros.append(("turno", "Informe o turno da visita."))
    desfecho, tipo = visita.get("desfecho"), visita.get("tipoDeImovel")
    if desfecho not in (1, 2, 3):
        erros.append(("desfecho", "Informe o desfecho da visita (realizada, recusada ou ausente)."))
    if tipo not in dict(TIPO_IMOVEL):
        erros.append(("tipoDeImovel", "Informe o tipo de imóvel."))
    micro = visita.get("microArea")
    if visita.get("stForaArea") and micro:
        erros.append(("microArea", "Um imóvel fora de área não tem microárea."))
    elif not visita.get("stForaArea") and not re.fullmatch(r"\d{2}", micro or ""):
        erros.append(("microArea", 'A microárea (2 dígitos) é obrigatória fora de "fora de área".'))
    motivos = visita.get("motivosVisita") or []
    erros += [
        ("motivosVisita", m) for m in _codigos(motivos, {c for c, _ in cds_ledi.MOTIVO_VISITA}, "Motivo da visita")
    ]
    if len(motivos) > 36:
        erros.append(("motivosVisita", "No máximo 36 motivos por visita."))
    if desfecho in cds_ledi.DESFECHO_SEM_VISITA:
        if motivos:
            erros.append(("motivosVisita", "Visita recusada ou ausente não tem motivos."))
        erros += [
            (campo, f"Visita recusada ou ausente não leva {_NOMES_CAMPOS[campo]}.")
            for campo in _MEDIDAS_VISITA
            if visita.get(campo) is not None
        ]
    if tipo in cds_ledi.IMOVEL_SEM_CIDADAO:
        nome_tipo = dict(TIPO_IMOVEL)[tipo].split(" (")[0]
        erros += [
            (campo, f"Um imóvel do tipo {nome_tipo} não leva {_NOMES_CAMPOS[campo]}.")
            for campo in _CIDADAO_VISITA
            if visita.get(campo) not in (None, "")
        ]
        fora = sorted(set(motivos) - cds_ledi.MOTIVOS_IMOVEL_SEM_CIDADAO)
        if fora:
            erros.append(
                (
                    "motivosVisita",
                    f"Um imóvel do tipo {nome_tipo} não aceita o(s) motivo(s) {', '.join(map(str, fora))}.",
                )
            )
        return erros
    erros += _visita_cidadao(visita, tipo=tipo, motivos=motivos, data=data)
    return erros


def _visita_cidadao(visita: dict[str, Any], *, tipo: Any, motivos: list[int], data: Any) -> list[ErroCampo]:
    cns, cpf = visita.get("cnsCidadao"), visita.get("cpfCidadao")
    erros: list[ErroCampo] = [("cpfCidadao", m) for m in cidadao_erros(cns=cns, cpf=cpf, obrigatorio=False)]
    if not re.fullmatch(r"[0-9A-Za-z]{0,30}", visita.get("numProntuario") or ""):
        erros.append(("numProntuario", "O número do prontuário leva apenas letras e números (até 30)."))
    nascimento, sexo = visita.get("dtNascimento"), visita.get("sexo")
    medidas = any(
        visita.get(c) is not None for c in ("pesoAcompanhamentoNutricional", "alturaAcompanhamentoNutricional")
    )
    com_cidadao = bool(set(motivos) & cds_ledi.MOTIVOS_COM_CIDADAO) or medidas or bool(cns)
    if tipo in cds_ledi.IMOVEL_COM_CIDADAO:
        if nascimento is None and (com_cidadao or sexo is not None):
            erros.append(("dtNascimento", "Informe a data de nascimento do cidadão visitado."))
        if sexo is None and (com_cidadao or nascimento is not None):
            erros.append(("sexo", "Informe o sexo do cidadão visitado."))
    if nascimento is not None:
        erros += [("dtNascimento", m) for m in nascimento_erros(nascimento=nascimento, referencia=data)]
    if sexo is not None and sexo not in _SEXOS:
        erros.append(("sexo", "Sexo inválido."))
    if sexo == 0 and set(motivos) & cds_ledi.MOTIVOS_GESTACAO:
        erros.append(("motivosVisita", "Gestante e puérpera não se aplicam ao sexo masculino."))
    erros += _peso_altura(visita, "pesoAcompanhamentoNutricional", "alturaAcompanhamentoNutricional")
    sistolica, diastolica = visita.get("pressaoSistolica"), visita.get("pressaoDiastolica")
    if (sistolica is None) != (diastolica is None):
        erros.append(("pressaoSistolica", "Informe as pressões sistólica e diastólica juntas."))
    for campo in ("pressaoSistolica", "pressaoDiastolica"):
        erros += [
            (campo, m)
            for m in _faixa(visita.get(campo), minimo=0, maximo=999, casas=0, rotulo="A pressão", unidade=" mmHg")
        ]
    erros += [
        ("temperatura", m)
        for m in _faixa(visita.get("temperatura"), minimo=20, maximo=45, casas=1, rotulo="A temperatura", unidade=" °C")
    ]
    erros += [
        ("glicemia", m)
        for m in _faixa(visita.get("glicemia"), minimo=0, maximo=800, casas=0, rotulo="A glicemia", unidade=" mg/dL")
    ]
    if (visita.get("glicemia") is None) != (visita.get("tipoGlicemia") is None):
        erros.append(("tipoGlicemia", "Informe a glicemia e o momento da coleta juntos."))
    elif visita.get("tipoGlicemia") not in (None, 0, 1, 2, 3):
        erros.append(("tipoGlicemia", "Momento da coleta da glicemia inválido."))
    if ("latitude" in visita) != ("longitude" in visita):
        erros.append(("latitude", "Latitude e longitude são informadas juntas."))
    return erros


def atividade_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-fac: every rule of the Ficha de Atividade Coletiva."""
    erros: list[ErroCampo] = []
    atividade = dados.get("atividadeTipo")
    if atividade not in dict(cds_ledi.TIPO_ATIVIDADE):
        erros.append(("atividadeTipo", "Informe o tipo de atividade."))
    if dados.get("turno") not in (1, 2, 3):
        erros.append(("turno", "Informe o turno da atividade."))
    pse_educacao, pse_saude = dados.get("pseEducacao"), dados.get("pseSaude")
    if not isinstance(pse_educacao, bool) or not isinstance(pse_saude, bool):
        erros.append(("pseEducacao", "Informe se a atividade é do PSE (educação e saúde)."))
    erros += _local_atividade(dados, pse=bool(pse_educacao or pse_saude))
    erros += _temas_atividade(dados, atividade=atividade, so_educacao=bool(pse_educacao and not pse_saude))
    erros += _profissionais_atividade(dados, so_educacao=bool(pse_educacao and not pse_saude))
    participantes = dados.get("participantes") or []
    total = dados.get("numParticipantes")
    if not _ms(total) or not 1 <= total <= 999:
        erros.append(("numParticipantes", "O número de participantes deve ser de 1 a 999."))
    elif total < len(participantes):
        erros.append(
            ("numParticipantes", f"O número de participantes ({total}) é menor que os {len(participantes)} listados.")
        )
    alteradas = sum(1 for p in participantes if p.get("avaliacaoAlterada"))
    if dados.get("numAvaliacoesAlteradas") not in (None, alteradas) or (participantes and alteradas > 999):
        erros.append(("numAvaliacoesAlteradas", "O número de avaliações alteradas não confere com os participantes."))
    if atividade in cds_ledi.ATIVIDADES_COM_PARTICIPANTES and not participantes:
        erros.append(
            ("participantes", "Atendimento em grupo e avaliação/procedimento coletivo listam os participantes.")
        )
    data = dados["headerTransport"].get("dataAtendimento")
    pnct = bool(set(dados.get("praticasEmSaude") or []) & cds_ledi.PRATICAS_PNCT)
    for indice, participante in enumerate(participantes):
        erros += [
            (f"linhas.{indice}.{campo}", mensagem)
            for campo, mensagem in _participante(participante, atividade=atividade, pnct=pnct, data=data)
        ]
    return erros


def _local_atividade(dados: dict[str, Any], *, pse: bool) -> list[ErroCampo]:
    locais = [c for c in ("outraLocalidade", "inep", "cnesLocalAtividade") if dados.get(c) not in (None, "")]
    erros: list[ErroCampo] = []
    if len(locais) > 1:
        erros.append((locais[1], "Informe só um local: o INEP da escola, o CNES ou outra localidade."))
    if pse and dados.get("inep") is None:
        erros.append(("inep", "Atividade do PSE precisa do INEP da escola."))
    if pse:
        erros += [(c, "Atividade do PSE é na escola: informe o INEP, não outro local.") for c in locais if c != "inep"]
    inep = dados.get("inep")
    if inep is not None and (not _ms(inep) or not 0 < inep < 100_000_000):
        erros.append(("inep", "O INEP tem até 8 dígitos."))
    if len(dados.get("outraLocalidade") or "") > 250:
        erros.append(("outraLocalidade", "O local tem no máximo 250 caracteres."))
    cnes = dados.get("cnesLocalAtividade")
    if cnes and not re.fullmatch(r"\d{7}", cnes):
        erros.append(("cnesLocalAtividade", "O CNES do local tem 7 dígitos."))
    return erros


def _temas_atividade(dados: dict[str, Any], *, atividade: Any, so_educacao: bool) -> list[ErroCampo]:
    reuniao, saude = dados.get("temasParaReuniao") or [], dados.get("temasParaSaude") or []
    publico, praticas = dados.get("publicoAlvo") or [], dados.get("praticasEmSaude") or []
    erros: list[ErroCampo] = [
        ("temasParaReuniao", m) for m in _codigos(reuniao, {c for c, _ in cds_ledi.TEMAS_REUNIAO}, "Tema para reunião")
    ]
    erros += [("temasParaSaude", m) for m in _codigos(saude, {c for c, _ in cds_ledi.TEMAS_SAUDE}, "Tema para saúde")]
    erros += [("publicoAlvo", m) for m in _codigos(publico, {c for c, _ in cds_ledi.PUBLICO_ALVO}, "Público-alvo")]
    erros += [
        ("praticasEmSaude", m) for m in _codigos(praticas, {c for c, _ in cds_ledi.PRATICAS_SAUDE}, "Prática em saúde")
    ]
    reuniao_tipo = atividade in cds_ledi.ATIVIDADES_REUNIAO
    if reuniao_tipo and not reuniao:
        erros.append(("temasParaReuniao", "Reuniões precisam de pelo menos um tema para reunião."))
    if not reuniao_tipo and reuniao:
        erros.append(("temasParaReuniao", "Temas para reunião só se aplicam às reuniões."))
    if not reuniao_tipo and atividade is not None and not publico:
        erros.append(("publicoAlvo", "Informe o público-alvo da atividade."))
    if reuniao_tipo and publico:
        erros.append(("publicoAlvo", "Reuniões não têm público-alvo."))
    if reuniao_tipo and saude and cds_ledi.TEMA_EDUCACAO_PERMANENTE not in reuniao:
        erros.append(("temasParaSaude", "Em reuniões, temas para saúde só com o tema Educação permanente."))
    if atividade in cds_ledi.ATIVIDADES_COM_TEMA_SAUDE and not saude:
        erros.append(("temasParaSaude", "Informe pelo menos um tema para saúde."))
    if cds_ledi.TEMA_SEMANA_SAUDE_ESCOLA in saude and not (dados.get("pseEducacao") or dados.get("pseSaude")):
        erros.append(("pseEducacao", "Semana saúde na escola é do PSE: marque PSE educação ou PSE saúde."))
    if atividade in cds_ledi.ATIVIDADES_SEM_PRATICAS and praticas:
        erros.append(
            (
                "praticasEmSaude",
                "Práticas em saúde só se aplicam a atendimento em grupo e avaliação/procedimento coletivo.",
            )
        )
    if atividade == 6 and not praticas:
        erros.append(("praticasEmSaude", "Informe pelo menos uma prática em saúde."))
    if atividade != 6 and set(praticas) & cds_ledi.PRATICAS_SO_AVALIACAO:
        erros.append(("praticasEmSaude", "Flúor e escovação supervisionada só em avaliação/procedimento coletivo."))
    procedimento = dados.get("procedimento")
    if procedimento and cds_ledi.PRATICA_OUTRO_PROCEDIMENTO not in praticas:
        erros.append(("procedimento", 'O procedimento só é informado com a prática "Outro procedimento coletivo".'))
    elif procedimento and procedimento not in dict(cds_ledi.OUTRO_PROCEDIMENTO_COLETIVO):
        erros.append(("procedimento", f"O procedimento {procedimento} não é um procedimento coletivo da tabela LEDI."))
    if so_educacao:
        if atividade in cds_ledi.ATIVIDADES_PROIBIDAS_SO_PSE_EDUCACAO:
            erros.append(
                ("atividadeTipo", "Só com PSE educação, a atividade não pode ser reunião nem atendimento em grupo.")
            )
        if reuniao:
            erros.append(("temasParaReuniao", "Só com PSE educação, não há temas para reunião."))
        if set(praticas) & cds_ledi.PRATICAS_PROIBIDAS_SO_PSE_EDUCACAO:
            erros.append(("praticasEmSaude", "Só com PSE educação, esta prática não pode ser registrada."))
    return erros


def _profissionais_atividade(dados: dict[str, Any], *, so_educacao: bool) -> list[ErroCampo]:
    profissionais = dados.get("profissionais") or []
    if so_educacao and profissionais:
        return [("profissionais", "Só com PSE educação, a ficha não lista profissionais de saúde.")]
    erros: list[ErroCampo] = []
    for profissional in profissionais:
        cns = profissional.get("cnsProfissional") or ""
        if not cns_valido(cns):
            erros.append(("profissionais", f"O CNS do profissional participante ({cns or 'vazio'}) é inválido."))
        if not re.fullmatch(r"[0-9A-Z]{6}", profissional.get("codigoCbo2002") or ""):
            erros.append(("profissionais", "Informe a CBO (6 caracteres) de cada profissional participante."))
    return erros


def _participante(participante: dict[str, Any], *, atividade: Any, pnct: bool, data: Any) -> list[ErroCampo]:
    cns, cpf = participante.get("cnsParticipante"), participante.get("cpfParticipante")
    obrigatorio = atividade in cds_ledi.ATIVIDADES_COM_PARTICIPANTES
    erros: list[ErroCampo] = [
        ("cpfParticipante", m.replace("do cidadão", "do participante").replace("no cadastro", "na linha"))
        for m in cidadao_erros(cns=cns, cpf=cpf, obrigatorio=obrigatorio)
    ]
    erros += [
        ("dataNascimento", m) for m in nascimento_erros(nascimento=participante.get("dataNascimento"), referencia=data)
    ]
    if participante.get("sexo") not in _SEXOS:
        erros.append(("sexo", "Informe o sexo do participante."))
    erros += _peso_altura(participante, "peso", "altura")
    for campo, rotulo in (("cessouHabitoFumar", "Cessou o hábito de fumar"), ("abandonouGrupo", "Abandonou o grupo")):
        if participante.get(campo) is not None and not pnct:
            erros.append(
                (campo, f'"{rotulo}" só é informado nas sessões do Programa Nacional de Controle do Tabagismo.')
            )
    return erros


# --- CDS fichas of atenção domiciliar: Atendimento Domiciliar (10), Elegibilidade (11) ---------


def _em(valor: Any, tabela: list[tuple[int, str]]) -> bool:
    return not isinstance(valor, bool) and valor in dict(tabela)


def atendimento_domiciliar_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-fad: every rule of the Ficha de Atendimento Domiciliar."""
    atendimentos = dados.get("atendimentosDomiciliares") or []
    if len(atendimentos) > 99:
        return [("atendimentosDomiciliares", "A ficha de atendimento domiciliar tem no máximo 99 atendimentos.")]
    data = dados["headerTransport"].get("dataAtendimento")
    erros: list[ErroCampo] = []
    for indice, atendimento in enumerate(atendimentos):
        erros += [
            (f"linhas.{indice}.{campo}", mensagem)
            for campo, mensagem in _atendimento_domiciliar(atendimento, data=data)
        ]
    return erros


def _atendimento_domiciliar(atendimento: dict[str, Any], *, data: Any) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    if atendimento.get("turno") not in (1, 2, 3):
        erros.append(("turno", "Informe o turno do atendimento."))
    cns, cpf = atendimento.get("cnsCidadao"), atendimento.get("cpfCidadao")
    erros += [("cpfCidadao", m) for m in cidadao_erros(cns=cns, cpf=cpf, obrigatorio=False)]
    nascimento = atendimento.get("dataNascimento")
    erros += [("dataNascimento", m) for m in nascimento_erros(nascimento=nascimento, referencia=data)]
    if atendimento.get("sexo") not in _SEXOS:
        erros.append(("sexo", "Informe o sexo do cidadão atendido."))
    if not _em(atendimento.get("localAtendimento"), cds_ledi.LOCAL_ATENDIMENTO):
        erros.append(("localAtendimento", "Informe o local do atendimento."))
    tipo = atendimento.get("tipoAtendimento")
    if not _em(tipo, cds_ledi.TIPO_ATENDIMENTO_DOMICILIAR):
        erros.append(("tipoAtendimento", "Informe o tipo de atendimento (programado, não programado ou pós-óbito)."))
    pos_obito = tipo == cds_ledi.VISITA_POS_OBITO
    modalidade = atendimento.get("atencaoDomiciliarModalidade")
    if pos_obito and modalidade is not None:
        erros.append(("atencaoDomiciliarModalidade", "A visita domiciliar pós-óbito não tem modalidade AD."))
    elif not pos_obito and not _em(modalidade, cds_ledi.MODALIDADE_AD):
        erros.append(("atencaoDomiciliarModalidade", "Informe a modalidade AD (AD 1, AD 2 ou AD 3)."))
    condicoes = atendimento.get("condicoesAvaliadas") or []
    erros += _condicoes_avaliadas(condicoes)
    if pos_obito and condicoes:
        erros.append(("condicoesAvaliadas", "A visita domiciliar pós-óbito não tem condições avaliadas."))
    erros += _procedimentos_domiciliares(atendimento.get("procedimentos") or [], pos_obito=pos_obito)
    erros += _problemas_condicoes(atendimento.get("problemasCondicoes") or [], nascimento=nascimento, data=data)
    if not _em(atendimento.get("condutaDesfecho"), cds_ledi.CONDUTA_DESFECHO):
        erros.append(("condutaDesfecho", "Informe a conduta/desfecho do atendimento."))
    return erros


def _condicoes_avaliadas(condicoes: Any) -> list[ErroCampo]:
    erros: list[ErroCampo] = [
        ("condicoesAvaliadas", m)
        for m in _codigos(condicoes, {c for c, _ in cds_ledi.CONDICOES_AVALIADAS}, "Condições avaliadas")
    ]
    if len(condicoes) > 24:
        erros.append(("condicoesAvaliadas", "No máximo 24 condições avaliadas."))
    return erros


def _procedimentos_domiciliares(procedimentos: list[Any], *, pos_obito: bool) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    if pos_obito and procedimentos:
        erros.append(("procedimentos", "A visita domiciliar pós-óbito não registra procedimentos."))
    if len(procedimentos) > 30:
        erros.append(("procedimentos", "No máximo 30 procedimentos por atendimento."))
    if len(set(procedimentos)) != len(procedimentos):
        erros.append(("procedimentos", "Um procedimento foi informado mais de uma vez."))
    for codigo in procedimentos:
        if codigo == cds_ledi.SIGTAP_VISITA_POS_OBITO:
            erros.append(
                ("procedimentos", f'O procedimento {codigo} é registrado como tipo de atendimento "pós-óbito".')
            )
        elif not (isinstance(codigo, str) and _SIGTAP.match(codigo) and _procedimento_valido(codigo)):
            erros.append(
                (
                    "procedimentos",
                    f"O procedimento {codigo} não é um código SIGTAP (10 dígitos) dos grupos 01–04 "
                    "ou do subgrupo 0804.",
                )
            )
    return erros


def _problemas_condicoes(problemas: list[dict[str, Any]], *, nascimento: Any, data: Any) -> list[ErroCampo]:
    """dicionario-fad, ProblemaCondicao: CIAP2/CID-10 as in the Atendimento Individual, the
    evolution's identifiers together, the situação and its dates."""
    if not problemas:
        return [("problemasCondicoes", "Informe pelo menos um problema/condição avaliado (CIAP2 ou CID-10).")]
    erros: list[ErroCampo] = []
    if _ms(nascimento) and _ms(data):
        itens = [
            ItemAvaliado(ciap=p.get("ciap") or "", cid10=p.get("cid10") or "", situacao=p.get("situacao"))
            for p in problemas
        ]
        erros += [
            ("problemasCondicoes", m) for m in problemas_erros(itens=itens, nascimento=_dia(nascimento), dia=_dia(data))
        ]
    for problema in problemas:
        for campo in ("ciap", "cid10"):
            codigo = problema.get(campo) or ""
            if codigo != codigo.upper() or " " in codigo or "." in codigo:
                erros.append((campo, f"O código {codigo} deve estar em maiúsculas, sem espaços nem pontos."))
        evolucao = ("uuidProblema", "uuidEvolucaoProblema", "coSequencialEvolucao", "situacao")
        informados = [c for c in evolucao if problema.get(c) not in (None, "")]
        if informados and len(informados) != len(evolucao):
            erros.append(
                ("problemasCondicoes", "O problema, a evolução, o sequencial e a situação são informados juntos.")
            )
        situacao = problema.get("situacao")
        if situacao is not None and situacao not in (0, 1, 2, "0", "1", "2"):
            erros.append(("problemasCondicoes", "A situação do problema/condição deve ser de 0 a 2."))
        inicio, fim = problema.get("dataInicioProblema"), problema.get("dataFimProblema")
        if situacao in (2, "2") and fim is None:
            erros.append(("problemasCondicoes", "Um problema/condição resolvido precisa da data de fim."))
        for momento, rotulo in ((inicio, "início"), (fim, "fim")):
            if _ms(momento) and _ms(nascimento) and momento < nascimento:
                erros.append(("problemasCondicoes", f"A data de {rotulo} do problema é anterior ao nascimento."))
            if _ms(momento) and _ms(data) and momento > data + DIA_MS:
                erros.append(("problemasCondicoes", f"A data de {rotulo} do problema é posterior ao atendimento."))
        if _ms(inicio) and _ms(fim) and fim < inicio:
            erros.append(("problemasCondicoes", "A data de fim do problema é anterior à de início."))
        if not isinstance(problema.get("isAvaliado"), bool):
            erros.append(("problemasCondicoes", "Diga se o problema/condição foi avaliado no atendimento."))
    return erros


def _dia(ms: int) -> datetime.date:
    return timezone.localtime(datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)).date()


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NOME_SOCIAL = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ' ]*")


def elegibilidade_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-fae: every rule of the Ficha de Avaliação de Elegibilidade e Admissão. With
    "admissão na própria EMAD" in AD 1–3 the citizen's cadastro and address become required."""
    modalidade = dados.get("atencaoDomiciliarModalidade")
    elegivel, inelegivel = dados.get("conclusaoDestinoElegivel"), dados.get("conclusaoDestinoInelegivel") or []
    admissao = elegivel == cds_ledi.ADMISSAO_PROPRIA_EMAD and _em(modalidade, cds_ledi.MODALIDADE_AD)
    data = dados["headerTransport"].get("dataAtendimento")
    erros: list[ErroCampo] = []
    if dados.get("turno") not in (1, 2, 3):
        erros.append(("turno", "Informe o turno da avaliação."))
    erros += [("cpfCidadao", m) for m in cidadao_erros(cns=dados.get("cnsCidadao"), cpf=dados.get("cpfCidadao"))]
    erros += _elegibilidade_identificacao(dados, admissao=admissao, data=data)
    erros += _elegibilidade_nacionalidade(dados, admissao=admissao, data=data)
    erros += _elegibilidade_endereco(dados.get("endereco"), admissao=admissao)
    if not _em(dados.get("atencaoDomiciliarProcedencia"), cds_ledi.PROCEDENCIA):
        erros.append(("atencaoDomiciliarProcedencia", "Informe a procedência do cidadão."))
    if not _em(modalidade, cds_ledi.MODALIDADE_ELEGIBILIDADE):
        erros.append(("atencaoDomiciliarModalidade", "Informe a modalidade AD ou se o cidadão é inelegível."))
    erros += _condicoes_avaliadas(dados.get("condicoesAvaliadas") or [])
    erros += _elegibilidade_cids(dados)
    if modalidade == cds_ledi.INELEGIVEL:
        if elegivel is not None:
            erros.append(("conclusaoDestinoElegivel", "Cidadão inelegível não tem conclusão de elegível."))
        if not inelegivel:
            erros.append(("conclusaoDestinoInelegivel", "Informe o motivo da inelegibilidade."))
    elif modalidade is not None:
        if inelegivel:
            erros.append(("conclusaoDestinoInelegivel", "Cidadão elegível não tem motivo de inelegibilidade."))
        if not _em(elegivel, cds_ledi.CONCLUSAO_ELEGIVEL):
            erros.append(("conclusaoDestinoElegivel", "Informe a conclusão/destino do cidadão elegível."))
    erros += [
        ("conclusaoDestinoInelegivel", m)
        for m in _codigos(inelegivel, {c for c, _ in cds_ledi.CONCLUSAO_INELEGIVEL}, "Conclusão (inelegível)")
    ]
    erros += _elegibilidade_cuidador(dados)
    return erros


def _elegibilidade_identificacao(dados: dict[str, Any], *, admissao: bool, data: Any) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    nome = dados.get("nomeCidadao") or ""
    if nome:
        erros += [("nomeCidadao", m) for m in nome_erros(nome, "O nome do cidadão")]
    elif admissao:
        erros.append(("nomeCidadao", "Na admissão na própria EMAD, o nome do cidadão é obrigatório."))
    social = dados.get("nomeSocialCidadao") or ""
    if len(social) > 70 or not _NOME_SOCIAL.fullmatch(social):
        erros.append(("nomeSocialCidadao", "O nome social tem até 70 letras (e apóstrofo)."))
    nascimento = dados.get("dataNascimentoCidadao")
    erros += [("dataNascimentoCidadao", m) for m in nascimento_erros(nascimento=nascimento, referencia=data)]
    if dados.get("sexoCidadao") not in _SEXOS:
        erros.append(("sexoCidadao", "Informe o sexo do cidadão."))
    raca = dados.get("racaCorCidadao")
    if raca is None and admissao:
        erros.append(("racaCorCidadao", "Na admissão na própria EMAD, a raça/cor é obrigatória."))
    elif raca is not None and not _em(raca, cds_ledi.RACA_COR):
        erros.append(("racaCorCidadao", "Raça/cor inválida."))
    if (raca == cds_ledi.RACA_INDIGENA) != (dados.get("etnia") is not None):
        erros.append(("etnia", "A etnia é informada quando, e só quando, a raça/cor é indígena."))
    for campo, desconhece, rotulo in (
        ("nomeMaeCidadao", "desconheceNomeMae", "O nome da mãe"),
        ("nomePaiCidadao", "desconheceNomePai", "O nome do pai"),
    ):
        valor = dados.get(campo) or ""
        if valor and dados.get(desconhece):
            erros.append((campo, f"{rotulo} não é informado quando marcado como desconhecido."))
        elif valor:
            erros += [(campo, m) for m in nome_erros(valor, rotulo)]
        elif admissao and not dados.get(desconhece):
            erros.append(
                (campo, f"Na admissão na própria EMAD, informe {rotulo.lower()[2:]} ou marque que é desconhecido.")
            )
    email = dados.get("emailCidadao") or ""
    if email and (not 6 <= len(email) <= 100 or not _EMAIL.fullmatch(email)):
        erros.append(("emailCidadao", "O e-mail deve seguir o padrão endereco@dominio.extensao (6 a 100 caracteres)."))
    if dados.get("numeroNisPisPasep") and not re.fullmatch(r"\d{11}", dados["numeroNisPisPasep"]):
        erros.append(("numeroNisPisPasep", "O NIS/PIS/PASEP tem 11 dígitos."))
    return erros


def _elegibilidade_nacionalidade(dados: dict[str, Any], *, admissao: bool, data: Any) -> list[ErroCampo]:
    nacionalidade = dados.get("nacionalidadeCidadao")
    erros: list[ErroCampo] = []
    if nacionalidade is None and admissao:
        erros.append(("nacionalidadeCidadao", "Na admissão na própria EMAD, a nacionalidade é obrigatória."))
    elif nacionalidade not in (None, 1, 2, 3):
        erros.append(("nacionalidadeCidadao", "Nacionalidade inválida."))
    ibge = dados.get("codigoIbgeMunicipioNascimento")
    if nacionalidade == 1 and ibge not in municipios():
        erros.append(("codigoIbgeMunicipioNascimento", "Informe o município de nascimento (código IBGE de 7 dígitos)."))
    elif nacionalidade != 1 and ibge:
        erros.append(("codigoIbgeMunicipioNascimento", "O município de nascimento só é informado para brasileiros."))
    pais = dados.get("paisNascimento")
    if nacionalidade == 1 and pais not in (None, cds_ledi.PAIS_BRASIL):
        erros.append(("paisNascimento", "Para brasileiros, o país de nascimento é o Brasil (31)."))
    elif nacionalidade == 3 and pais is None:
        erros.append(("paisNascimento", "Informe o país de nascimento do estrangeiro."))
    elif nacionalidade not in (1, 3) and pais is not None:
        erros.append(("paisNascimento", "O país de nascimento só é informado para estrangeiros."))
    nascimento = dados.get("dataNascimentoCidadao")
    for campo, codigo, rotulo in (
        ("dtNaturalizacao", 2, "A data de naturalização"),
        ("dtEntradaBrasil", 3, "A data de entrada no Brasil"),
    ):
        valor = dados.get(campo)
        if nacionalidade == codigo and valor is None:
            erros.append((campo, f"{rotulo} é obrigatória para {'naturalizados' if codigo == 2 else 'estrangeiros'}."))
        elif nacionalidade != codigo and valor is not None:
            erros.append((campo, f"{rotulo} só é informada para {'naturalizados' if codigo == 2 else 'estrangeiros'}."))
        elif _ms(valor) and _ms(data) and valor > data:
            erros.append((campo, f"{rotulo} é posterior à data do atendimento."))
        elif _ms(valor) and _ms(nascimento) and valor < nascimento:
            erros.append((campo, f"{rotulo} é anterior ao nascimento."))
    portaria = dados.get("portariaNaturalizacao") or ""
    if nacionalidade == 2 and not portaria:
        erros.append(("portariaNaturalizacao", "A portaria de naturalização é obrigatória para naturalizados."))
    elif nacionalidade != 2 and portaria:
        erros.append(("portariaNaturalizacao", "A portaria de naturalização só é informada para naturalizados."))
    elif len(portaria) > 16:
        erros.append(("portariaNaturalizacao", "A portaria de naturalização tem até 16 caracteres."))
    return erros


# EnderecoLocalPermanencia in the FAE: field, its name for the message, maximum length, and
# whether the admission makes it required. The typing form has one field per entry.
_ENDERECO_ELEGIBILIDADE = (
    ("tipoLogradouroNumeroDne", "o tipo de logradouro", 3, True),
    ("nomeLogradouro", "o logradouro", 72, True),
    ("numero", "o número", 10, False),
    ("complemento", "o complemento", 30, False),
    ("bairro", "o bairro", 72, True),
    ("cep", "o CEP", 8, True),
    ("codigoIbgeMunicipio", "o município", 7, True),
    ("numeroDneUf", "a UF", 2, True),
    ("pontoReferencia", "o ponto de referência", 40, False),
)


def _elegibilidade_endereco(endereco: dict[str, Any] | None, *, admissao: bool) -> list[ErroCampo]:
    if not endereco:
        return [("nomeLogradouro", "Na admissão na própria EMAD, o endereço é obrigatório.")] if admissao else []
    erros: list[ErroCampo] = []
    for campo, nome, maximo, obrigatorio in _ENDERECO_ELEGIBILIDADE:
        valor = endereco.get(campo) or ""
        if not valor and obrigatorio and admissao:
            erros.append((campo, f"Na admissão na própria EMAD, informe {nome}."))
        elif len(valor) > maximo:
            erros.append((campo, f"{nome[2:].capitalize()} tem no máximo {maximo} caracteres."))
    numero = endereco.get("numero") or ""
    if endereco.get("stSemNumero") and numero:
        erros.append(("numero", 'Um endereço "sem número" não tem número.'))
    elif numero and not numero.isalnum():
        erros.append(("numero", "O número do endereço leva apenas letras e números."))
    elif not numero and not endereco.get("stSemNumero") and admissao:
        erros.append(("numero", 'Na admissão na própria EMAD, informe o número ou marque "sem número".'))
    if endereco.get("cep") and not re.fullmatch(r"\d{8}", endereco["cep"]):
        erros.append(("cep", "O CEP tem 8 dígitos."))
    if endereco.get("codigoIbgeMunicipio") and endereco["codigoIbgeMunicipio"] not in municipios():
        erros.append(("codigoIbgeMunicipio", "O município do endereço não é um código IBGE válido."))
    telefones = [endereco.get(c) or "" for c in ("telefoneResidencia", "telefoneContato")]
    for campo, telefone in zip(("telefoneResidencia", "telefoneContato"), telefones, strict=True):
        if telefone and not re.fullmatch(r"\d{10,11}", telefone):
            erros.append((campo, "O telefone tem 10 ou 11 dígitos (DDD e número)."))
    if admissao and not any(telefones):
        erros.append(("telefoneResidencia", "Na admissão na própria EMAD, informe um telefone."))
    return erros


def _elegibilidade_cids(dados: dict[str, Any]) -> list[ErroCampo]:
    erros: list[ErroCampo] = []
    cids = [(c, dados.get(c) or "") for c in ("cid10Principal", "cid10SecundarioUm", "cid10SecundarioDois")]
    if not cids[0][1]:
        erros.append(("cid10Principal", "Informe a CID-10 principal da avaliação."))
    vistos: set[str] = set()
    for campo, cid in cids:
        if not cid:
            continue
        if not re.fullmatch(r"[A-Z]\d{2}[0-9A-Z]?", cid):
            erros.append((campo, f"A CID-10 {cid} deve estar em maiúsculas, sem espaços nem pontos (ex.: I64)."))
        elif cid in vistos:
            erros.append((campo, f"A CID-10 {cid} foi informada mais de uma vez."))
        vistos.add(cid)
    return erros


def _elegibilidade_cuidador(dados: dict[str, Any]) -> list[ErroCampo]:
    cuidador = dados.get("cuidadorCidadao")
    erros: list[ErroCampo] = []
    if cuidador is not None and not _em(cuidador, cds_ledi.CUIDADOR):
        erros.append(("cuidadorCidadao", "Cuidador inválido."))
    cns, cpf = dados.get("cnsCuidador"), dados.get("cpfCuidador")
    if cuidador == cds_ledi.SEM_CUIDADOR and (cns or cpf):
        erros.append(("cpfCuidador", 'Sem cuidador ("não possui"), não informe o CPF/CNS do cuidador.'))
    erros += [
        ("cpfCuidador", m.replace("do cidadão", "do cuidador"))
        for m in cidadao_erros(cns=cns, cpf=cpf, obrigatorio=False)
    ]
    return erros


def _na_linha(regra: Any) -> Any:
    """A ficha of one citizen (FAE, MCA, FCZM) is typed with the citizen as its one row
    (cds.fichas), so its messages go to row 0, all but the turno, which is the header's."""

    def por_campo(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
        return [(c if c == "turno" else f"linhas.0.{c}", m) for c, m in regra(dados, agora_ms)]

    return por_campo


# --- CDS fichas of one citizen: Marcadores de Consumo Alimentar (12), Zika/Microcefalia (13)
# The citizen's fields are the ficha's own; the typing form holds them in its only row.


def _meses(nascimento: int, data: int) -> int:
    """Whole months of age on the day (a month is complete on the day of birth's date)."""
    inicio, fim = _dia(nascimento), _dia(data)
    return (fim.year - inicio.year) * 12 + fim.month - inicio.month - (fim.day < inicio.day)


def _grupo_da_idade(meses: int) -> str:
    if meses < 6:
        return cds_ledi.MENOS_6_MESES
    if meses < 24:
        return cds_ledi.DE_6_A_23_MESES
    return cds_ledi.MAIS_2_ANOS


def _documento_obrigatorio(dados: dict[str, Any]) -> list[ErroCampo]:
    cns, cpf = dados.get("cnsCidadao"), dados.get("cpfCidadao")
    if not cns and not cpf:
        return [("cpfCidadao", "Informe o CPF ou o CNS do cidadão.")]
    return [("cpfCidadao", m) for m in cidadao_erros(cns=cns, cpf=cpf)]


def consumo_alimentar_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-mca: every rule of the Ficha de Marcadores de Consumo Alimentar. A
    question's message names its field as the typing form does (cds.fichas.forms)."""
    data = dados["headerTransport"].get("dataAtendimento")
    nascimento = dados.get("dataNascimento")
    erros = _documento_obrigatorio(dados)
    erros += [("dataNascimento", m) for m in nascimento_erros(nascimento=nascimento, referencia=data)]
    if dados.get("sexo") not in _SEXOS:
        erros.append(("sexo", "Informe o sexo do cidadão."))
    if dados.get("localAtendimento") not in dict(cds_ledi.LOCAL_ATENDIMENTO_MCA):
        erros.append(("localAtendimento", "Informe o local de atendimento (códigos 1 a 10)."))
    presentes = [grupo for grupo in cds_ledi.PERGUNTAS if dados.get(grupo)]
    for grupo in presentes:
        erros += _perguntas_erros(grupo, dados[grupo])
    if not (_ms(nascimento) and _ms(data)) or nascimento > data:
        if not presentes:
            erros.append((cds_ledi.MAIS_2_ANOS, "Responda as perguntas do bloco da idade do cidadão."))
        return erros
    esperado = _grupo_da_idade(_meses(nascimento, data))
    if esperado not in presentes:
        rotulo = cds_ledi.GRUPO_ROTULO[esperado]
        erros.append((esperado, f"Pela idade na data do atendimento, responda as perguntas de crianças {rotulo}."))
    for grupo in presentes:
        if grupo != esperado:
            rotulo = cds_ledi.GRUPO_ROTULO[grupo]
            erros.append(
                (grupo, f"As perguntas de crianças {rotulo} não se aplicam à idade do cidadão na data do atendimento.")
            )
    return erros


def _perguntas_erros(grupo: str, itens: list[dict[str, Any]]) -> list[ErroCampo]:
    por_nome = {pergunta.nome: pergunta for pergunta in cds_ledi.PERGUNTAS[grupo]}
    respostas = {nome: codigo for codigo, (nome, _) in cds_ledi.RESPOSTAS.items()}
    refeicoes = {nome for nome, _ in cds_ledi.REFEICOES.values()}
    dadas: dict[int, int | None] = {}
    erros: list[ErroCampo] = []
    for item in itens:
        pergunta = por_nome.get(item.get("pergunta", ""))
        if pergunta is None:
            erros.append((grupo, f"Pergunta {item.get('pergunta')!r} não existe neste bloco."))
            continue
        campo = f"pergunta{pergunta.codigo}"
        if pergunta.codigo in dadas:
            erros.append((campo, f'"{pergunta.rotulo}" foi respondida mais de uma vez.'))
        unica, multipla = item.get("respostaUnicaEscolha"), item.get("respostaMultiplaEscolha")
        if pergunta.codigo == cds_ledi.PERGUNTA_REFEICOES:
            dadas[pergunta.codigo] = None
            if unica is not None or not multipla or not set(multipla) <= refeicoes:
                erros.append((campo, f'"{pergunta.rotulo}": marque as refeições do dia.'))
            elif len(set(multipla)) != len(multipla):
                erros.append((campo, f'"{pergunta.rotulo}": uma refeição foi marcada mais de uma vez.'))
            continue
        codigo = respostas.get(unica or "")
        dadas[pergunta.codigo] = codigo
        if multipla is not None or codigo not in pergunta.respostas:
            erros.append((campo, f'"{pergunta.rotulo}": resposta inválida para esta pergunta.'))
    for pergunta in por_nome.values():
        if pergunta.codigo in dadas and pergunta.depende_de is not None and dadas.get(pergunta.depende_de) != 1:
            erros.append(
                (
                    f"pergunta{pergunta.codigo}",
                    f'"{pergunta.rotulo}" só é respondida quando a pergunta anterior é "Sim".',
                )
            )
    return erros


_VINTE_ANOS_MS = 20 * 366 * DIA_MS


def zika_erros(dados: dict[str, Any], agora_ms: int) -> list[ErroCampo]:
    """dicionario-fczm: every rule of the Ficha Complementar Síndrome Neurológica por
    Zika/Microcefalia."""
    data = dados["headerTransport"].get("dataAtendimento")
    erros: list[ErroCampo] = []
    if dados.get("turno") not in (1, 2, 3):
        erros.append(("turno", "Informe o turno do atendimento."))
    erros += _documento_obrigatorio(dados)
    cns, cpf = dados.get("cnsResponsavelFamiliar"), dados.get("cpfResponsavelFamiliar")
    if cns and cpf:
        erros.append(("cpfResponsavelFamiliar", "Informe o CPF ou o CNS do responsável, não os dois."))
    elif cpf and not cpf_valido(cpf):
        erros.append(("cpfResponsavelFamiliar", f"O CPF do responsável ({cpf}) é inválido."))
    elif cns and not cns_valido(cns):
        erros.append(("cnsResponsavelFamiliar", f"O CNS do responsável ({cns}) é inválido."))
    for exame in cds_ledi.EXAMES_ZIKA:
        feito, resultado = dados.get(exame.data), dados.get(exame.resultado)
        if feito is not None and resultado is None:
            erros.append((exame.resultado, f"Informe o resultado do exame {exame.rotulo}."))
        if resultado is not None and feito is None:
            erros.append((exame.data, f"Informe a data de realização do exame {exame.rotulo}."))
        if resultado is not None and resultado not in dict(exame.resultados):
            erros.append((exame.resultado, f"Resultado inválido para o exame {exame.rotulo}."))
        if _ms(feito) and _ms(data) and feito > data:
            erros.append((exame.data, f"A data do exame {exame.rotulo} é posterior à data do atendimento."))
        elif _ms(feito) and _ms(data) and data - feito > _VINTE_ANOS_MS:
            erros.append((exame.data, f"A data do exame {exame.rotulo} é de mais de 20 anos antes do atendimento."))
    if all(dados.get(exame.resultado) is None for exame in cds_ledi.EXAMES_ZIKA):
        erros.append((cds_ledi.EXAMES_ZIKA[0].resultado, "Informe o resultado de pelo menos um exame."))
    return erros


def _sem_campos(regra: Any) -> Any:
    def mensagens(dados: dict[str, Any], agora_ms: int) -> list[str]:
        return [mensagem for _, mensagem in regra(dados, agora_ms)]

    return mensagens


_POR_TIPO = {
    3: _cadastro_domiciliar,
    2: _cadastro_individual,
    4: _atendimento_individual,
    6: _sem_campos(atividade_erros),
    7: _procedimentos,
    8: _sem_campos(visita_erros),
    10: _sem_campos(atendimento_domiciliar_erros),
    11: _sem_campos(elegibilidade_erros),
    12: _sem_campos(consumo_alimentar_erros),
    13: _sem_campos(zika_erros),
    14: _vacinacao,
}
_POR_CAMPO = {
    cds_ledi.ATIVIDADE_COLETIVA: atividade_erros,
    cds_ledi.VISITA: visita_erros,
    cds_ledi.ATENDIMENTO_DOMICILIAR: atendimento_domiciliar_erros,
    cds_ledi.ELEGIBILIDADE: _na_linha(elegibilidade_erros),
    cds_ledi.CONSUMO_ALIMENTAR: _na_linha(consumo_alimentar_erros),
    cds_ledi.ZIKA_MICROCEFALIA: _na_linha(zika_erros),
}


def ficha_cds_erros_dos_campos(ficha: FichaCds, *, agora: datetime.datetime | None = None) -> dict[str, list[str]]:
    """The rules `ficha_erros` applies to the ficha a typed CDS ficha becomes, by field:
    what the typing form (cds.fichas.services) checks on save. The header's own rules
    (the professional's CNS and CBO, the CNES) are not the typist's to fix: they come
    under "__all__", as the whole form's."""
    agora_ms = int((agora or timezone.now()).timestamp() * 1000)
    dados = fichas.ficha_cds(ficha).dados
    erros: dict[str, list[str]] = {}
    for mensagem in header_erros(tipo=ficha.tipo, header=dados["headerTransport"], agora_ms=agora_ms):
        erros.setdefault("__all__", []).append(mensagem)
    for campo, mensagem in _POR_CAMPO[ficha.tipo](dados, agora_ms):
        if mensagem not in erros.get(campo, []):
            erros.setdefault(campo, []).append(mensagem)
    return erros


def ficha_erros(*, tipo: int, dados: dict[str, Any], agora: datetime.datetime | None = None) -> list[str]:
    """Every LEDI rule this project checks for one ficha; [] when it may be sent."""
    agora_ms = int((agora or timezone.now()).timestamp() * 1000)
    header = dados.get("headerTransport")
    if not header:
        return ["A ficha não tem cabeçalho (headerTransport)."]
    erros = header_erros(tipo=tipo, header=header, agora_ms=agora_ms)
    regras = _POR_TIPO.get(tipo)
    if regras is not None:
        erros += regras(dados, agora_ms)
    return list(dict.fromkeys(erros))  # keep order, drop repeats across children


# The dose's field behind each LEDI field of its ficha (sisab.fichas.vacinacao). Rules on
# the other fields (the citizen's documents, the professional's CNS, the CNES) are not
# the vaccinator's to fix on the spot: the cadastro or the CNES import fixes them, and the
# ledger rebuilds the ficha then.
CAMPOS_DA_DOSE = {
    "condicaoMaternal": "condicao_maternal",
    "comunicanteHanseniase": "comunicante_hanseniase",
    "imunobiologico": "imunobiologico",
    "estrategiaVacinacao": "estrategia",
    "dose": "dose",
    "lote": "lote",
    "fabricante": "fabricante",
    "grupoAtendimento": "grupo_atendimento",
    "dataRegistroAnterior": "data_aplicacao",
    "cid10MotivoIndicacao": "cid10_motivo_indicacao",
    "stAplicadoExterior": "registro_anterior",
}


def vacinacao_erros_da_dose(dose: Vacinacao, *, agora: datetime.datetime | None = None) -> dict[str, list[str]]:
    """The rules `ficha_erros` applies to the ficha this dose becomes, by the dose's field:
    what the point-of-care form checks before saving (prontuario.vacinacao.services), so a dose the
    form accepts is a ficha the ledger holds valid."""
    agora_ms = int((agora or timezone.now()).timestamp() * 1000)
    dados = fichas.vacinacao(dose).dados
    data = dados["headerTransport"]["dataAtendimento"]
    erros: dict[str, list[str]] = {}
    for filho in dados["vacinacoes"]:
        for campo, mensagem in vacinacao_filho_erros(filho, data_atendimento=data, agora_ms=agora_ms):
            if campo in CAMPOS_DA_DOSE:
                erros.setdefault(CAMPOS_DA_DOSE[campo], []).append(mensagem)
    return erros


# An envelope only for checking the ficha against the XSD when the municipality has not
# entered its identity yet (nothing is sent without it: sisab.envio checks that).
_VERIFICACAO = ledi.Instalacao(
    contra_chave="VERIFICACAO",
    uuid_instalacao="VERIFICACAO",
    cpf_ou_cnpj="00000000000",
    nome_ou_razao_social="VERIFICACAO",
)


def xsd_erros(dado: ledi.DadoTransporte) -> list[str]:
    """The XML form of the ficha against the official XSDs; the tree is checked as built,
    never written out and parsed back."""
    try:
        ledi.validar_xml(ledi.xml_arvore(dado))
    except ledi.LediErro as exc:
        return [str(exc)]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"A ficha não pôde ser escrita no layout LEDI: {exc}"]
    return []
