"""The typed interface between the clinical record and the RNDS documents.

prontuario builds one of these from a finalised atendimento or vaccination (the mapping
in rnds.mapeamento); rnds.bundles turns it into a FHIR document. Codes are the RNDS
ones: CIAP2/CID-10 without the dot, SIGTAP with 10 digits, CBO with 6, the RNDS
imunobiológico/fabricante/dose/estratégia codes (the same PEC uses).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

MODALIDADE_ATENCAO_BASICA = "01"
# Consultation procedures PEC records with every atendimento individual (SIGTAP).
CONSULTA_MEDICA = "0301010064"
CONSULTA_NIVEL_SUPERIOR = "0301010030"
_CBO_MEDICO = ("2251", "2252", "2253", "2231")


def procedimento_consulta(cbo: str) -> str:
    """The SIGTAP consultation code of a professional's CBO."""
    return CONSULTA_MEDICA if cbo.startswith(_CBO_MEDICO) else CONSULTA_NIVEL_SUPERIOR


@dataclass(frozen=True)
class Problema:
    sistema: str  # "CIAP2" or "CID10"
    codigo: str


@dataclass(frozen=True)
class Procedimento:
    codigo: str  # SIGTAP, 10 digits
    quantidade: int = 1


@dataclass(frozen=True)
class Identificacao:
    """Who, where and as whom: common to both documents."""

    identificador: str  # local unique id of the record (the outbox key's uuid)
    cidadao_cpf: str
    cidadao_cns: str
    profissional_cns: str  # who signed: goes in the Authorization header too
    profissional_cbo: str
    cnes: str

    @property
    def cidadao_documento(self) -> str:
        """CPF when known, else CNS (RNDS accepts either in BRIndividuo-1.0)."""
        return self.cidadao_cpf or self.cidadao_cns


@dataclass(frozen=True)
class RegistroAtendimento:
    """A finalised atendimento individual → RAC (BRRegistroAtendimentoClinico)."""

    quem: Identificacao
    inicio: datetime.datetime
    fim: datetime.datetime
    problemas: tuple[Problema, ...]
    procedimentos: tuple[Procedimento, ...]
    modalidade: str = MODALIDADE_ATENCAO_BASICA
    # Mapped from the record (rnds.mapeamento); "99" = not recorded in the source model.
    carater: str = "99"  # BRCaraterAtendimento
    procedencia: str = "99"  # BRProcedencia
    desfecho: str = "99"  # BRMotivoDesfecho
    financiamento: str = "01"  # BRFinanciamento (the profile requires one per procedure)
    tipo: str = field(default="rac", init=False)


@dataclass(frozen=True)
class RegistroVacina:
    """A vaccine dose given (or transcribed from the caderneta) → RIA-R."""

    quem: Identificacao
    aplicada_em: datetime.datetime
    imunobiologico: str  # BRImunobiologico
    lote: str
    fabricante: str  # BRFabricantePNI
    dose: str  # BRDose
    estrategia: str = "1"  # BREstrategiaVacinacao: rotina
    grupo_atendimento: str = "00"  # BRGrupoAtendimento
    condicao_maternal: str = "1"  # BRCondicaoMaternal: não se aplica
    local_aplicacao: str = "0"  # BRLocalAplicacao
    via_administracao: str = "0"  # BRViaAdministracao
    validade_lote: datetime.date | None = None
    contato_hanseniase: bool | None = None  # required for BCG
    transcricao_caderneta: bool = False
    pais: str = "10"  # BRPais: Brasil
    indicacao_cid10: str = ""  # required with the "especial" strategy
    tipo: str = field(default="ria-r", init=False)


Registro = RegistroAtendimento | RegistroVacina
