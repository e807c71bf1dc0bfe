"""FHIR R4 document Bundles for the RNDS: RAC and RIA-R.

Shaped after the official examples of the RAC and RIA IGs (docs/integracoes/rnds.md): people and
places by identifier, never embedded; `urn:uuid:` entries referenced from the
Composition, which comes first. Every resource passes through fhir.resources' R4B
models (R4B = 4.3, identical to R4 for these resources; the package's default is R5),
so a structural mistake fails here, not at the RNDS. Profile rules are rnds.perfis'.

Entry ids are UUIDv5 of the record's identifier: the same record always builds the same
document, so a resend after a crash is byte-for-byte the first attempt (bar timestamp).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.procedure import Procedure

from rnds.registros import Identificacao, Registro, RegistroAtendimento, RegistroVacina

SD = "http://www.saude.gov.br/fhir/r4/StructureDefinition/"
CS = "http://www.saude.gov.br/fhir/r4/CodeSystem/"
PERFIL_RAC = SD + "BRRegistroAtendimentoClinico"
PERFIL_RIA = SD + "BRRegistroImunobiologicoAdministradoRotina-2.0"
TITULO_RAC = "Registro de Atendimento Clínico"
TITULO_RIA = "Registro de Imunobiologico Administrado na Rotina"
# BRTipoDocumento of each record type: Composition.type, and the docType of lookups.
TIPO_DOCUMENTO = {"rac": "RAC", "ria-r": "RIA"}
_NS = uuid.UUID("4f1c2b9e-7d0a-4c55-9a0e-5e2f3b1d8c77")


def sistema_identificador(solicitante: str) -> str:
    return f"http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-{solicitante}"


def _codigo(sistema: str, codigo: str) -> dict[str, Any]:
    return {"coding": [{"system": CS + sistema, "code": codigo}]}


def _ident(perfil: str, valor: str) -> dict[str, Any]:
    return {"identifier": {"system": SD + perfil, "value": valor}}


def _data(valor: datetime.datetime) -> str:
    return timezone.localtime(valor).isoformat(timespec="seconds")


class _Documento:
    """Collects entries with stable urn:uuid ids."""

    def __init__(self, registro: Registro) -> None:
        self.base = registro.quem.identificador
        self.entradas: list[tuple[str, Any]] = []

    def urn(self, nome: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_NS, f'{self.base}/{nome}')}"

    def adicionar(self, nome: str, modelo: Any, recurso: dict[str, Any]) -> str:
        urn = self.urn(nome)
        recurso["id"] = urn.removeprefix("urn:uuid:")
        self.entradas.append((urn, modelo.model_validate(recurso)))
        return urn


def _composicao(
    *,
    quem: Identificacao,
    perfil: str,
    tipo: str,
    titulo: str,
    data: datetime.datetime,
    secoes: list[list[str]],
    substitui: str,
    categoria: str | None = None,
) -> dict[str, Any]:
    composicao: dict[str, Any] = {
        "resourceType": "Composition",
        "meta": {"profile": [perfil]},
        "status": "final",
        "type": _codigo("BRTipoDocumento", tipo),
        "subject": _ident("BRIndividuo-1.0", quem.cidadao_documento),
        "date": _data(data),
        "author": [_ident("BREstabelecimentoSaude-1.0", quem.cnes)],
        "title": titulo,
        "section": [{"entry": [{"reference": urn} for urn in secao]} for secao in secoes if secao],
    }
    if categoria:
        composicao["category"] = [_codigo("BRModalidadeAssistencial", categoria)]
    if substitui:
        composicao["relatesTo"] = [{"code": "replaces", "targetReference": {"reference": f"Composition/{substitui}"}}]
    return composicao


def _bundle(
    *, doc: _Documento, composicao: dict[str, Any], solicitante: str, agora: datetime.datetime | None
) -> dict[str, Any]:
    urn = doc.urn("composition")
    composicao["id"] = urn.removeprefix("urn:uuid:")
    entradas = [(urn, Composition.model_validate(composicao)), *doc.entradas]
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "identifier": {"system": sistema_identificador(solicitante), "value": doc.base},
            "type": "document",
            # The RNDS rejects a timestamp in the past or future (ERR807/808): now, at send.
            "timestamp": _data(agora or timezone.now()),
            "entry": [{"fullUrl": u, "resource": r} for u, r in entradas],
        }
    )
    dados: dict[str, Any] = json.loads(bundle.model_dump_json(exclude_none=True))
    return dados


def bundle_rac(
    registro: RegistroAtendimento, *, solicitante: str, substitui: str = "", agora: datetime.datetime | None = None
) -> dict[str, Any]:
    quem, doc = registro.quem, _Documento(registro)
    paciente = _ident("BRIndividuo-1.0", quem.cidadao_documento)
    lotacao = _ident("BRLotacaoProfissional-1.0", f"{quem.profissional_cns}-{quem.cnes}")
    # Atenção Básica: start = end (ERR793) and every procedure on that date (ERR794).
    inicio = _data(registro.inicio)
    fim = inicio if registro.modalidade in ("01", "07") else _data(registro.fim)
    problemas = [
        doc.adicionar(
            f"problema/{n}",
            Condition,
            {
                "resourceType": "Condition",
                "meta": {"profile": [SD + "BRProblemaDiagnostico"]},
                "clinicalStatus": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "encounter-diagnosis",
                            }
                        ]
                    }
                ],
                "code": _codigo("BR" + problema.sistema, problema.codigo),
                "subject": paciente,
            },
        )
        for n, problema in enumerate(registro.problemas)
    ]
    procedimentos = [
        doc.adicionar(
            f"procedimento/{n}",
            Procedure,
            {
                "resourceType": "Procedure",
                "meta": {"profile": [SD + "BRProcedimentoRealizado-1.0"]},
                "extension": [{"url": SD + "BRQuantidade-1.0", "valuePositiveInt": procedimento.quantidade}],
                "status": "completed",
                "code": _codigo("BRTabelaSUS", procedimento.codigo),
                "subject": paciente,
                "performedDateTime": inicio,
                "performer": [{"function": _codigo("BRCBO", quem.profissional_cbo), "actor": lotacao}],
            },
        )
        for n, procedimento in enumerate(registro.procedimentos)
    ]
    local = doc.adicionar(
        "local",
        Location,
        {
            "resourceType": "Location",
            "meta": {"profile": [SD + "BRLocalAtendimento-1.0"]},
            "status": "active",
            "name": "Estabelecimento de saúde",
            "mode": "kind",
        },
    )
    contato = doc.adicionar(
        "contato",
        Encounter,
        {
            "resourceType": "Encounter",
            "meta": {"profile": [SD + "BRContatoAssistencial-1.0"]},
            "status": "finished",
            "class": {"system": CS + "BRModalidadeAssistencial", "code": registro.modalidade},
            "priority": _codigo("BRCaraterAtendimento", registro.carater),
            "subject": paciente,
            "participant": [
                {
                    "extension": [
                        {"url": SD + "BROcupacao-1.0", "valueCodeableConcept": _codigo("BRCBO", quem.profissional_cbo)}
                    ],
                    "type": [_codigo("BRResponsabilidadeParticipante", "atendimento")],
                    "individual": lotacao,
                }
            ],
            "period": {"start": inicio, "end": fim},
            "diagnosis": [
                *({"condition": {"reference": urn}} for urn in problemas),
                *(
                    {
                        "condition": {
                            "extension": [
                                {
                                    "url": SD + "BRFinanciamento-1.0",
                                    "valueCodeableConcept": _codigo("BRFinanciamento", registro.financiamento),
                                }
                            ],
                            "reference": urn,
                        }
                    }
                    for urn in procedimentos
                ),
            ],
            "hospitalization": {
                "admitSource": _codigo("BRProcedencia", registro.procedencia),
                "dischargeDisposition": _codigo("BRMotivoDesfecho", registro.desfecho),
            },
            "location": [{"location": {"reference": local}}],
            "serviceProvider": _ident("BREstabelecimentoSaude-1.0", quem.cnes),
        },
    )
    # The Encounter first, as in the examples; then what it points to.
    doc.entradas.insert(0, doc.entradas.pop())
    composicao = _composicao(
        quem=quem,
        perfil=PERFIL_RAC,
        tipo=TIPO_DOCUMENTO[registro.tipo],
        titulo=TITULO_RAC,
        data=registro.fim,
        substitui=substitui,
        categoria=registro.modalidade,
        secoes=[[contato], problemas, procedimentos],
    )
    return _bundle(doc=doc, composicao=composicao, solicitante=solicitante, agora=agora)


def bundle_ria(
    registro: RegistroVacina, *, solicitante: str, substitui: str = "", agora: datetime.datetime | None = None
) -> dict[str, Any]:
    quem, doc = registro.quem, _Documento(registro)
    paciente = _ident("BRIndividuo-1.0", quem.cidadao_documento)
    extensoes: list[dict[str, Any]] = [
        {
            "url": SD + "BRGrupoAtendimento",
            "valueCodeableConcept": _codigo("BRGrupoAtendimento", registro.grupo_atendimento),
        },
        {
            "url": SD + "BRCondicaoMaternal",
            "valueCodeableConcept": _codigo("BRCondicaoMaternal", registro.condicao_maternal),
        },
    ]
    if registro.contato_hanseniase is not None:
        extensoes.append({"url": SD + "BRContatoHanseniase", "valueBoolean": registro.contato_hanseniase})
    imunizacao: dict[str, Any] = {
        "resourceType": "Immunization",
        "meta": {"profile": [SD + "BRImunobiologicoAdministrado-3.0"]},
        "extension": extensoes,
        "status": "completed",
        "vaccineCode": _codigo("BRImunobiologico", registro.imunobiologico),
        "patient": paciente,
        "occurrenceDateTime": _data(registro.aplicada_em),
        "primarySource": not registro.transcricao_caderneta,
        "location": {"identifier": {"system": CS + "BRPais", "value": registro.pais}},
        "site": _codigo("BRLocalAplicacao", registro.local_aplicacao),
        "route": _codigo("BRViaAdministracao", registro.via_administracao),
        "performer": [
            {
                "function": _codigo("BRCBO", quem.profissional_cbo),
                "actor": {"reference": f"Practitioner/{quem.profissional_cns}"},
            }
        ],
        "protocolApplied": [
            {
                "extension": [
                    {
                        "url": SD + "BREstrategiaVacinacao-1.0",
                        "valueCodeableConcept": _codigo("BREstrategiaVacinacao", registro.estrategia),
                    }
                ],
                "doseNumberString": registro.dose,
            }
        ],
    }
    # Both optional in the profile; a dose transcribed from an old caderneta may have neither.
    if registro.fabricante:
        imunizacao["manufacturer"] = {"identifier": {"system": CS + "BRFabricantePNI", "value": registro.fabricante}}
    if registro.lote.strip():
        imunizacao["lotNumber"] = registro.lote
    if registro.transcricao_caderneta:
        imunizacao["reportOrigin"] = _codigo("BRRegistroOrigem", "01")
    if registro.validade_lote:
        imunizacao["expirationDate"] = registro.validade_lote.isoformat()
    condicao = ""
    if registro.indicacao_cid10:
        condicao = doc.urn("indicacao")
        imunizacao["reasonReference"] = [{"reference": condicao}]
    vacina = doc.adicionar("imunizacao", Immunization, imunizacao)
    if registro.indicacao_cid10:
        doc.adicionar(
            "indicacao",
            Condition,
            {
                "resourceType": "Condition",
                "meta": {"profile": [SD + "BRCID10Avaliado-1.0"]},
                "clinicalStatus": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
                },
                "category": [_codigo("BRCategoriaDiagnostico", "01")],
                "code": _codigo("BRCID10", registro.indicacao_cid10),
                "subject": paciente,
            },
        )
    composicao = _composicao(
        quem=quem,
        perfil=PERFIL_RIA,
        tipo=TIPO_DOCUMENTO[registro.tipo],
        titulo=TITULO_RIA,
        data=registro.aplicada_em,
        substitui=substitui,
        secoes=[[vacina]],
    )
    return _bundle(doc=doc, composicao=composicao, solicitante=solicitante, agora=agora)


def bundle_construir(registro: Registro, *, solicitante: str, substitui: str = "") -> dict[str, Any]:
    if isinstance(registro, RegistroAtendimento):
        return bundle_rac(registro, solicitante=solicitante, substitui=substitui)
    return bundle_ria(registro, solicitante=solicitante, substitui=substitui)
