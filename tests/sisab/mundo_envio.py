"""Builders for the SISAB sending tests: a municipality with a UBS, an enfermeira (Nina,
escuta and vacina), a médico (Bob, atendimento) and an admin (Íris); Maria is the citizen.
Every clinical record is written as the clinical services leave it once finalised
(tests/mundo.py's builders)."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.utils import deserialize

from pec.models import Lotacao, Municipio, Profissional
from pec.tenancy import tenant_context
from prontuario.models import Atendimento, Cidadao, EscutaInicial, Vacinacao
from sisab import envio, ledi
from sisab.models import FichaSisab, InstalacaoSisab
from tests import mundo as fabricas


@dataclass
class MundoEnvio:
    municipio: Municipio
    nina: Lotacao
    bob: Lotacao
    admin: Lotacao
    maria: Cidadao


def mundo(nome: str = "Município A", ibge: str | None = None, **campos: object) -> MundoEnvio:
    municipio = fabricas.municipio_com_perfis(nome, ibge=ibge, **campos)
    ubs = fabricas.estabelecimento(municipio, "UBS Centro")
    nina = fabricas.lotacao_com_perfis(municipio, fabricas.usuario("Nina"), cbo="223565", estabelecimento=ubs)
    bob = fabricas.lotacao_com_perfis(municipio, fabricas.usuario("Bob"), cbo="225142", estabelecimento=ubs)
    admin = fabricas.lotacao_com_perfis(
        municipio, fabricas.usuario("Íris"), cbo="131205", perfis=["admin_municipal"], estabelecimento=ubs
    )
    with tenant_context(municipio.id):
        for lot in (nina, bob):
            Profissional.objects.filter(id=lot.profissional_id).update(cns=fabricas.cns_provisorio())
    maria = fabricas.cidadao(
        bob, nome="MARIA JOSE DA SILVA", sexo=1, data_nascimento=datetime.date(1990, 5, 10), cpf=fabricas.cpf()
    )
    return MundoEnvio(municipio, fabricas.recarregar(nina), fabricas.recarregar(bob), admin, maria)


def identificar(municipio: Municipio) -> InstalacaoSisab:
    return fabricas.instalacao_sisab(municipio)


def atendimento(
    m: MundoEnvio, *, quando: datetime.datetime | None = None, ciap: str = "A03", cid10: str = "R509"
) -> Atendimento:
    return fabricas.atendimento_finalizado(m.maria, m.bob, quando=quando, ciap=ciap, cid10=cid10)


def escuta(m: MundoEnvio, *, quando: datetime.datetime | None = None) -> EscutaInicial:
    return fabricas.escuta_finalizada(m.maria, m.nina, quando=quando)


def vacina(m: MundoEnvio, *, quando: datetime.datetime | None = None, **campos: object) -> Vacinacao:
    return fabricas.vacinacao(m.maria, m.nina, quando=quando, **campos)


IDL = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ledi" / "thrift"


def exportado(municipio: Municipio, ficha: FichaSisab, formato: str) -> bytes:
    """The ficha's file as `export_sisab` writes it (formato "xml" or "esus")."""
    saida = io.BytesIO()
    envio.exportar(municipio=municipio, competencia=ficha.competencia, formato=formato, saida=saida)
    sufixo = ".esus.xml" if formato == "xml" else ".esus"
    with zipfile.ZipFile(saida) as arquivo:
        return arquivo.read(f"{ficha.uuid}{sufixo}")


def decodificado_pela_idl_oficial(conteudo: bytes, tipo: int) -> Any:
    """The .esus decoded by a fresh load of the official IDL (shared/reference), not
    sisab.ledi's copy: the envelope must declare `tipo`, and the ficha inside is returned."""
    ficha = ledi.TIPOS[tipo]
    transporte = thriftpy2.load(
        str(IDL / "dado_transporte.thrift"), module_name=f"oficial_dt_{tipo}_thrift", include_dirs=[str(IDL)]
    )
    modulo = thriftpy2.load(str(IDL / ficha.thrift), module_name=f"oficial_{tipo}_thrift", include_dirs=[str(IDL)])
    envelope = deserialize(transporte.DadoTransporteThrift(), conteudo, TBinaryProtocolFactory())
    assert envelope.tipoDadoSerializado == tipo
    return deserialize(getattr(modulo, ficha.struct)(), envelope.dadoSerializado, TBinaryProtocolFactory())
