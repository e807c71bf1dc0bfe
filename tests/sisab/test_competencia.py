"""The competência page: its numbers for a built month in two UBS (records without ficha,
invalid, waiting, sent, accepted and refused), each role's scope, nothing of ours for
another municipality, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from pec.identity.acesso import permissoes_da_lotacao
from pec.models import Equipe, Lotacao, Municipio, Outbox, Profissional
from pec.outbox import outbox_drenar
from pec.tenancy import tenant_context
from prontuario.models import Cidadao, EscutaInicial, Vacinacao
from prontuario.vacinacao.services import vacinacao_excluir
from sisab import competencia, envio, fichas
from sisab.competencia import Contagem
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab
from tests import mundo as fabricas
from tests.atores import ator_de
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db

URL = "/administracao/sisab/competencia/"
# Two hours ago (an atendimento ends after it starts): every record falls in its month.
QUANDO = timezone.now() - datetime.timedelta(hours=2)
MES = timezone.localtime(QUANDO).date().replace(day=1)
# The request's own (session, user, lotação, permissions, tenant, menu) and the
# installation, then three for the numbers: fichas by group, records without ficha (one
# UNION ALL over REGISTRO) and the invalid fichas. The same with ten times the rows.
CONSULTAS = 13


@dataclass
class Mundo:
    base: mundo_envio.MundoEnvio
    norte: Lotacao  # Rui, a médico of UBS Norte without a CNS: his fichas are invalid
    coordenacao: Lotacao  # UBS Centro's coordinator
    joao: Cidadao

    @property
    def municipio(self) -> Municipio:
        return self.base.municipio


def _mundo() -> Mundo:
    """UBS Centro: Bob (team ESF Azul) with two atendimentos, one accepted by the receiving
    API and one written to a folder but refused by the API, and Maria's cadastro waiting;
    Nina with a dose waiting and an escuta typed after the last run (no ficha yet).
    UBS Norte: Rui, whose cadastro of João and atendimento are invalid (no CNS)."""
    base = mundo_envio.mundo()
    mundo_envio.identificar(base.municipio)
    municipio = base.municipio
    with tenant_context(municipio.id):
        equipe = Equipe.objects.create(
            municipio=municipio,
            ine="0000123456",
            nome="ESF Azul",
            tipo_codigo="70",
            estabelecimento=base.bob.estabelecimento,
        )
        Lotacao.objects.filter(id=base.bob.id).update(equipe=equipe)
    base.bob = fabricas.recarregar(base.bob)
    norte = fabricas.lotacao_com_perfis(
        municipio,
        fabricas.usuario("Rui"),
        cbo="225142",
        estabelecimento=fabricas.estabelecimento(municipio, "UBS Norte"),
    )
    coordenacao = fabricas.lotacao_com_perfis(
        municipio, fabricas.usuario("Cora"), cbo="131210", estabelecimento=base.bob.estabelecimento
    )
    joao = fabricas.cidadao(
        norte, nome="JOAO DA SILVA", sexo=0, data_nascimento=datetime.date(1980, 1, 2), cpf=fabricas.cpf()
    )
    aceita = mundo_envio.atendimento(base, quando=QUANDO)
    recusada = mundo_envio.atendimento(base, quando=QUANDO)
    mundo_envio.vacina(base, quando=QUANDO)
    fabricas.atendimento_finalizado(joao, fabricas.recarregar(norte), quando=QUANDO)
    envio.fichas_gerar(municipio_id=municipio.id)
    mundo_envio.escuta(base, quando=QUANDO)  # typed after the run: no ficha yet
    with tenant_context(municipio.id):
        api = DestinoSisab.objects.create(municipio=municipio, nome="API", tipo="http", url="http://127.0.0.1:9")
        pasta = DestinoSisab.objects.create(municipio=municipio, nome="Pasta", tipo="pasta", pasta="/tmp")
        ficha = {f.origem_id: f for f in FichaSisab.objects.filter(origem="atendimento")}
        EntregaSisab.objects.bulk_create(
            [
                EntregaSisab(municipio=municipio, ficha=ficha[aceita.id], destino=api, status="enviado"),
                EntregaSisab(municipio=municipio, ficha=ficha[recusada.id], destino=pasta, status="enviado"),
                EntregaSisab(municipio=municipio, ficha=ficha[recusada.id], destino=api, status="erro"),
            ]
        )
    return Mundo(base, fabricas.recarregar(norte), coordenacao, joao)


@pytest.fixture
def m() -> Mundo:
    return _mundo()


def _pagina(lotacao: Lotacao, **parametros: str):  # type: ignore[no-untyped-def]
    resposta = fabricas.entrar(lotacao).get(URL, {"competencia": f"{MES:%Y-%m}", **parametros})
    assert resposta.status_code == 200, resposta.status_code
    return resposta


def test_the_administrator_sees_every_ubs_team_and_professional_with_the_right_numbers(m):
    resposta = _pagina(m.base.admin)
    painel = resposta.context["painel"]
    assert painel.escopo.municipal and painel.competencia == MES
    assert painel.total == Contagem(sem_ficha=1, invalidas=2, aguardando=2, enviadas=2, aceitas=1, recusadas=1)
    assert painel.por_tipo == {
        2: Contagem(invalidas=1, aguardando=1),  # João's cadastro (Rui, invalid), Maria's (Bob)
        4: Contagem(invalidas=1, enviadas=2, aceitas=1, recusadas=1),
        7: Contagem(sem_ficha=1),
        14: Contagem(aguardando=1),
    }
    centro, norte = painel.unidades
    assert (centro.nome, norte.nome) == ("UBS Centro", "UBS Norte")
    assert centro.total == Contagem(sem_ficha=1, aguardando=2, enviadas=2, aceitas=1, recusadas=1)
    assert norte.total == Contagem(invalidas=2)
    equipes = {e.nome: e for e in centro.equipes.values()}
    assert equipes["ESF Azul"].total == Contagem(aguardando=1, enviadas=2, aceitas=1, recusadas=1)
    (nina,) = equipes["Sem equipe"].profissionais.values()
    assert nina.nome == "Nina" and nina.por_tipo == {7: Contagem(sem_ficha=1), 14: Contagem(aguardando=1)}
    # Each invalid ficha says why and links to the record to fix and to the ficha.
    invalidas = {f["tipo"]: f for f in painel.invalidas}
    assert set(invalidas) == {2, 4} and all("CNS" in " ".join(f["erros"]) for f in invalidas.values())
    assert invalidas[2]["corrigir"] == reverse("cidadao_editar", args=[m.joao.id])
    html = resposta.content.decode()
    assert invalidas[2]["corrigir"] in html and f"/administracao/sisab/fichas/{invalidas[4]['id']}/" in html
    assert "<svg" in html and 'class="invalida"' in html and "UBS Norte" in html


def test_the_coordinator_sees_the_whole_ubs_and_nothing_of_the_other(m):
    painel = _pagina(m.coordenacao).context["painel"]
    assert painel.escopo.estabelecimento_id == m.base.bob.estabelecimento_id
    assert [u.nome for u in painel.unidades] == ["UBS Centro"]
    assert painel.total == Contagem(sem_ficha=1, aguardando=2, enviadas=2, aceitas=1, recusadas=1)
    assert painel.invalidas == []


def test_a_professional_sees_their_own_records_only_and_the_link_to_fix_them(m):
    nina = _pagina(m.base.nina).context["painel"]
    assert nina.total == Contagem(sem_ficha=1, aguardando=1)
    rui = _pagina(m.norte)
    painel = rui.context["painel"]
    assert painel.total == Contagem(invalidas=2) and [u.nome for u in painel.unidades] == ["UBS Norte"]
    assert {f["ficha"] for f in painel.invalidas} == {None}  # the ficha page is the administrator's
    assert reverse("cidadao_editar", args=[m.joao.id]) in rui.content.decode()


def test_another_municipality_sees_nothing_of_ours(m):
    outro = mundo_envio.mundo("Município B")
    resposta = _pagina(outro.admin)
    painel = resposta.context["painel"]
    # Only B's own Maria, registered by no lotação's ficha yet.
    assert painel.total == Contagem(sem_ficha=1) and painel.invalidas == []
    assert [u.nome for u in painel.unidades] == ["Sem profissional"]
    assert "UBS Norte" not in resposta.content.decode()


def test_those_who_type_no_fichas_do_not_get_the_page_nor_the_menu(m):
    recepcao = fabricas.lotacao_com_perfis(
        m.municipio, fabricas.usuario("Rita"), cbo="422110", estabelecimento=m.base.bob.estabelecimento
    )
    cliente = fabricas.entrar(recepcao)
    assert cliente.get(URL).status_code == 403
    assert URL not in cliente.get("/").content.decode()
    assert URL in fabricas.entrar(m.base.nina).get("/").content.decode()


def test_a_bad_month_is_refused_with_a_message_and_the_open_one_is_shown(m):
    for ruim in ("2026-13", "x", "1999-01", "2026-1' OR 1=1"):
        resposta = fabricas.entrar(m.base.admin).get(URL, {"competencia": ruim})
        assert resposta.status_code == 200
        assert "Competência inválida" in resposta.content.decode()


def test_days_left_to_the_deadline_turn_red_when_few(m):
    with tenant_context(m.municipio.id):
        prazo_dia = envio.instalacao_do_municipio(municipio_id=m.municipio.id).prazo_dia
    escopo = competencia.Escopo(m.municipio.id)
    prazo = datetime.date(2026, 12, prazo_dia)
    folgado = competencia.painel(
        escopo=escopo, competencia=datetime.date(2026, 11, 1), prazo_dia=prazo_dia, hoje=prazo - datetime.timedelta(9)
    )
    apertado = competencia.painel(
        escopo=escopo, competencia=datetime.date(2026, 11, 1), prazo_dia=prazo_dia, hoje=prazo - datetime.timedelta(2)
    )
    assert (folgado.prazo, folgado.dias_restantes, folgado.critico) == (prazo, 9, False)
    assert (apertado.dias_restantes, apertado.critico) == (2, True)


def test_the_page_costs_the_same_queries_with_ten_times_the_rows(m, django_assert_num_queries):
    cliente = fabricas.entrar(m.base.admin)
    parametros = {"competencia": f"{MES:%Y-%m}"}
    cliente.get(URL, parametros)  # the session and the permissions' first read
    with django_assert_num_queries(CONSULTAS):
        cliente.get(URL, parametros)
    outra_ubs = fabricas.lotacao_com_perfis(
        m.municipio,
        fabricas.usuario("Vera"),
        cbo="223565",
        estabelecimento=fabricas.estabelecimento(m.municipio, "UBS Sul"),
    )
    with tenant_context(m.municipio.id):
        Profissional.objects.filter(id=outra_ubs.profissional_id).update(cns=fabricas.cns_provisorio())
    for _ in range(10):
        fabricas.vacinacao(m.base.maria, fabricas.recarregar(outra_ubs), quando=QUANDO)
        mundo_envio.atendimento(m.base, quando=QUANDO)
    envio.fichas_gerar(municipio_id=m.municipio.id)
    for _ in range(5):
        mundo_envio.escuta(m.base, quando=QUANDO)
    with django_assert_num_queries(CONSULTAS):
        resposta = cliente.get(URL, parametros)
    total = resposta.context["painel"].total
    assert (total.total, total.sem_ficha) == (7 + 10 + 10 + 5, 5)


def test_a_ficha_type_added_to_the_registry_appears_without_changing_the_page(m, monkeypatch):
    """A mapping registered later (here the escuta again, as if it were the Ficha de
    Atendimento Odontológico) shows its records without ficha under its own type."""
    novo = fichas.Mapeamento(
        "odonto", 5, fichas.procedimentos_escuta, fichas._sem_ficha(EscutaInicial, "odonto"), EscutaInicial
    )
    monkeypatch.setitem(fichas.REGISTRO, "odonto", novo)
    painel = _pagina(m.base.nina).context["painel"]
    assert painel.por_tipo[5] == Contagem(sem_ficha=1) and painel.por_tipo[7] == Contagem(sem_ficha=1)
    assert any("Odontol" in nome for nome, _ in painel.tipos)


def test_a_dose_deleted_before_it_was_sent_is_counted_apart_not_as_an_error_to_fix(m):
    with tenant_context(m.municipio.id):
        dose = Vacinacao.objects.get(lotacao=m.base.nina)
        vacinacao_excluir(
            vacinacao=dose,
            lotacao=m.base.nina,
            permissoes=permissoes_da_lotacao(lotacao=m.base.nina),
            motivo="Registro duplicado",
            ator=ator_de(m.base.nina),
        )
    assert outbox_drenar(municipio_id=m.municipio.id, destino="sisab") == {Outbox.Status.ENVIADO: 1}
    painel = _pagina(m.base.nina).context["painel"]
    assert painel.por_tipo[14] == Contagem(excluidas=1) and painel.invalidas == []
    assert painel.total == Contagem(sem_ficha=1, excluidas=1) and painel.total.total == 1
