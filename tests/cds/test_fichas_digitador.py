"""The digitador types the paper fichas of professionals without a workstation: the ficha
is credited to the professional chosen in its header (their CNS and CBO in the LEDI header),
who must be of the digitador's UBS and of a CBO LEDI allows for that ficha; a professional
without "cds.digitar_outros" types only their own."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from cds.models import FichaCds
from pec.tenancy import tenant_context
from sisab import envio
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.cds import mundo_fichas

pytestmark = pytest.mark.django_db

VISITA = {"turno": "1", "micro_area": "03", "tipo_imovel": "1", "desfecho": "1", "motivos": "29"}


@pytest.fixture
def m() -> mundo_fichas.MundoFichas:
    return mundo_fichas.mundo()


def _digitador(m: mundo_fichas.MundoFichas, estabelecimento=None):
    return fabricas.lotacao_com_perfis(
        m.municipio,
        fabricas.usuario("Dora Digitadora"),
        cbo="412110",
        estabelecimento=estabelecimento or m.ana.estabelecimento,
    )


def _post(lotacao_id: int | None) -> dict[str, str]:
    cabecalho = {"data_atendimento": timezone.localdate().isoformat()}
    if lotacao_id is not None:
        cabecalho["lotacao"] = str(lotacao_id)
    return mundo_fichas.post(cabecalho, [VISITA])


def test_the_digitador_types_an_agents_visit_credited_to_the_agent(m):
    cliente = fabricas.entrar(_digitador(m))
    pagina = cliente.get("/cds/fichas/nova/8/").content.decode()
    escolha = re.search(r'<select name="lotacao".*?</select>', pagina, re.S)
    assert escolha is not None, pagina
    # Offered: the agent (CBO of the visit ficha); not the doctor nor the digitador herself.
    oferecidas = set(re.findall(r'value="(\d+)"', escolha.group(0)))
    assert oferecidas == {str(m.ana.id)}

    resposta = cliente.post("/cds/fichas/nova/8/", _post(m.ana.id))
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        exportada = FichaSisab.objects.get(tipo=8)
    assert ficha.lotacao_id == m.ana.id
    cabecalho = exportada.dados["headerTransport"]
    assert cabecalho["profissionalCNS"] == m.ana.profissional.cns and cabecalho["cboCodigo_2002"] == "515105"
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros


def test_a_professional_the_ficha_type_does_not_allow_is_refused_on_the_field(m):
    cliente = fabricas.entrar(_digitador(m))
    resposta = cliente.post("/cds/fichas/nova/8/", _post(m.bob.id))
    assert resposta.status_code == 200
    assert "Profissional: Faça uma escolha válida" in resposta.content.decode()  # the doctor is not offered
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


def test_no_choice_is_refused_with_the_way_to_fix_it(m):
    cliente = fabricas.entrar(_digitador(m))
    resposta = cliente.post("/cds/fichas/nova/8/", _post(None))
    assert "Escolha o profissional que preencheu a ficha" in resposta.content.decode()
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


def test_a_professional_of_another_ubs_cannot_be_credited(m):
    outra = fabricas.estabelecimento(m.municipio, nome="UBS Norte")
    cliente = fabricas.entrar(_digitador(m, estabelecimento=outra))
    assert cliente.get("/cds/fichas/nova/8/").status_code == 403  # nobody of hers may produce it
    resposta = cliente.post("/cds/fichas/nova/8/", _post(m.ana.id))
    assert resposta.status_code == 403
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


def test_without_the_digitador_permission_a_forged_choice_is_ignored(m):
    """Ana (ACS) has no choice in her header; a forged choice of someone else is refused."""
    cliente = fabricas.entrar(m.ana)
    assert 'name="lotacao"' not in cliente.get("/cds/fichas/nova/8/").content.decode()
    outra_acs = fabricas.lotacao_com_perfis(
        m.municipio, fabricas.usuario("Rui ACS"), cbo="515105", estabelecimento=m.ana.estabelecimento
    )
    resposta = cliente.post("/cds/fichas/nova/8/", _post(outra_acs.id))
    assert resposta.status_code == 302  # the field is not hers: the ficha is her own
    with tenant_context(m.municipio.id):
        assert FichaCds.objects.get().lotacao_id == m.ana.id
