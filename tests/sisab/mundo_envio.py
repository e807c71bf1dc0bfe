"""Builders for the SISAB sending tests: a municipality with a UBS, an enfermeira (Nina,
escuta and vacina), a médico (Bob, atendimento) and an admin (Íris); Maria is the citizen.
Every clinical record is written as the clinical services leave it once finalised."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from pec.models import Lotacao, Municipio, Profissional
from pec.tenancy import tenant_context
from prontuario.models import Cidadao, EntradaLista
from prontuario.models import (
    Atendimento,
    EscutaInicial,
    ExameSolicitado,
    Medicao,
    ProblemaAvaliado,
    RegraVacinacao,
    Termo,
    Vacinacao,
)
from sisab.models import InstalacaoSisab
from tests import factories
from tests.pec import identidade
from tests.prontuario.fabricas import cidadao as novo_cidadao
from tests.prontuario.fabricas import cns_provisorio, cpf


@dataclass
class MundoEnvio:
    municipio: Municipio
    nina: Lotacao
    bob: Lotacao
    admin: Lotacao
    maria: Cidadao


def mundo(nome: str = "Município A", ibge: str | None = None, **campos: object) -> MundoEnvio:
    municipio = identidade.municipio(nome, ibge=ibge, **campos)
    ubs = factories.estabelecimento(municipio, "UBS Centro")
    nina = identidade.lotacao(municipio, factories.usuario("Nina"), cbo="223565", estabelecimento=ubs)
    bob = identidade.lotacao(municipio, factories.usuario("Bob"), cbo="225142", estabelecimento=ubs)
    admin = identidade.lotacao(municipio, factories.usuario("Íris"), cbo="131205", perfis=["admin_municipal"],
                               estabelecimento=ubs)
    with tenant_context(municipio.id):
        for lot in (nina, bob):
            Profissional.objects.filter(id=lot.profissional_id).update(cns=cns_provisorio())
    maria = novo_cidadao(bob, nome="MARIA JOSE DA SILVA", sexo=1, data_nascimento=datetime.date(1990, 5, 10), cpf=cpf())
    return MundoEnvio(municipio, _recarregar(nina), _recarregar(bob), admin, maria)


def _recarregar(lot: Lotacao) -> Lotacao:
    with tenant_context(lot.municipio_id):
        return Lotacao.objects.select_related("profissional", "estabelecimento", "municipio").get(id=lot.id)


def identificar(municipio: Municipio) -> InstalacaoSisab:
    with tenant_context(municipio.id):
        return InstalacaoSisab.objects.create(
            municipio=municipio, contra_chave="PEC-centralizado - 1.0", responsavel_documento="12345678000199",
            responsavel_nome="SECRETARIA MUNICIPAL DE SAUDE", fone="3133334444", email="sms@exemplo.gov.br",
        )


def atendimento(m: MundoEnvio, *, quando: datetime.datetime | None = None, ciap: str = "A03",
                cid10: str = "R509") -> Atendimento:
    quando = quando or timezone.now() - datetime.timedelta(hours=1)
    with tenant_context(m.municipio.id):
        medicao = Medicao.objects.create(municipio=m.municipio, cidadao=m.maria, lotacao=m.bob, em=quando,
                                         pressao_sistolica=120, pressao_diastolica=80, temperatura="37.8", peso="61.5",
                                         altura="162.0")
        registro = Atendimento.objects.create(
            municipio=m.municipio, cidadao=m.maria, lotacao=m.bob, estabelecimento=m.bob.estabelecimento,
            status=Atendimento.Status.FINALIZADO, salvo_por=m.bob, salvo_em=quando, iniciado_em=quando,
            finalizado_em=quando + datetime.timedelta(minutes=20), tipo_atendimento=5, condutas=[9], medicao=medicao,
        )
        ProblemaAvaliado.objects.create(municipio=m.municipio, atendimento=registro, ciap=ciap, cid10=cid10)
        ExameSolicitado.objects.create(municipio=m.municipio, atendimento=registro, sigtap="0202010473",
                                       descricao="Glicemia")
    return registro


def escuta(m: MundoEnvio, *, quando: datetime.datetime | None = None) -> EscutaInicial:
    quando = quando or timezone.now() - datetime.timedelta(hours=2)
    with tenant_context(m.municipio.id):
        entrada = EntradaLista.objects.create(
            municipio=m.municipio, estabelecimento=m.nina.estabelecimento, cidadao=m.maria,
            tipo=EntradaLista.Tipo.ESPONTANEA, chegada_em=quando, escuta_em=quando, criado_por=m.nina,
        )
        medicao = Medicao.objects.create(municipio=m.municipio, cidadao=m.maria, lotacao=m.nina, em=quando,
                                         frequencia_cardiaca=88, saturacao_o2=97, glicemia=98, glicemia_momento=0)
        return EscutaInicial.objects.create(
            municipio=m.municipio, entrada=entrada, cidadao=m.maria, lotacao=m.nina,
            estabelecimento=m.nina.estabelecimento, motivo_ciap="A03", medicao=medicao, classificacao_risco=3,
            desfecho=EscutaInicial.Desfecho.ATENDIMENTO, finalizada_em=quando + datetime.timedelta(minutes=10),
        )


def regra_vacina() -> RegraVacinacao:
    """A current-application rule whose strategy LEDI can name (rotina, LEDI code 1)."""
    rnds = {t.codigo for t in Termo.objects.filter(tabela="estrategia") if (t.extra or {}).get("ledi") == 1}
    return RegraVacinacao.objects.filter(estrategia__in=rnds).order_by("id").first()


def vacina(m: MundoEnvio, *, quando: datetime.datetime | None = None, **campos: object) -> Vacinacao:
    quando = quando or timezone.now() - datetime.timedelta(hours=3)
    regra = regra_vacina()
    valores = {"data_aplicacao": timezone.localtime(quando).date(), "imunobiologico": regra.imunobiologico,
               "estrategia": regra.estrategia, "dose": regra.dose,
               "lote": "LT2026A", "fabricante": "149", "via": "10866", "local_aplicacao": "2",
               "grupo_atendimento": "000210", "condicao_maternal": "1", **campos}
    with tenant_context(m.municipio.id):
        return Vacinacao.objects.create(
            municipio=m.municipio, cidadao=m.maria, lotacao=m.nina, estabelecimento=m.nina.estabelecimento,
            registrado_em=quando, **valores,
        )
