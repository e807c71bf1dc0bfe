"""Builders for the SISAB sending tests: a municipality with a UBS, an enfermeira (Nina,
escuta and vacina), a médico (Bob, atendimento) and an admin (Íris); Maria is the citizen.
Every clinical record is written as the clinical services leave it once finalised
(tests/mundo.py's builders)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pec.models import Lotacao, Municipio, Profissional
from pec.tenancy import tenant_context
from prontuario.models import Atendimento, Cidadao, EscutaInicial, Vacinacao
from sisab.models import InstalacaoSisab
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
