"""No parameter gives a 500: every page of the project (allauth's excepted), GET and POST,
with every query and form parameter the views read set to crafted values (impossible
dates, letters where a number goes, Unicode digits, NUL bytes, huge numbers), answers
with a page, a message or a 4xx, never a server error.

The parameter names come from the views' source (`request.GET`/`request.POST`), so a new
parameter is walked as soon as a view reads it."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from pec.identity.permissoes import PERMISSOES
from pec.models import Perfil
from pec.tenancy import tenant_context
from prontuario.agenda import services as agenda
from prontuario.clinico import services as clinico
from prontuario.models import AgendaBloqueio
from tests.mundo import entrar, na_fila
from tests.prontuario.clinica import clinica

pytestmark = pytest.mark.django_db

RAIZ = Path(__file__).resolve().parents[2]
VALORES = ["2026-02-30", "2026-02-30T10:00", "abc", "²", "a\x00b", "9" * 25, "-1", "99999-01-01", ""]


def _parametros() -> set[str]:
    nomes: set[str] = set()
    for pasta in ("pec", "prontuario", "sisab", "rnds", "cnes_import"):
        for arquivo in (RAIZ / pasta).rglob("*.py"):
            fonte = arquivo.read_text(encoding="utf-8")
            nomes |= set(re.findall(r"request\.(?:GET|POST)(?:\.get|\.getlist)?[\(\[]\"(\w+)\"", fonte))
            nomes |= set(re.findall(r"request\.(?:GET|POST)\[(\w+)\]", fonte)) - {"nome", "chave"}
    return nomes | {"entrada", "dia", "inicio", "cidadao", "outro", "versao", "pagina"}


def _rotas(resolver: URLResolver | None = None, prefixo: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    rotas = []
    for padrao in resolver.url_patterns:
        rota = prefixo + str(padrao.pattern)
        if isinstance(padrao, URLResolver):
            if not rota.startswith("conta/"):
                rotas += _rotas(padrao, rota)
        elif isinstance(padrao, URLPattern) and not rota.startswith("conta/"):
            rotas.append(rota)
    return rotas


@pytest.fixture
def mundo():
    m = clinica()
    with tenant_context(m.a.id):
        for perfil in Perfil.objects.filter(lotacoes=m.bob):
            perfil.permissoes = sorted(PERMISSOES)
            perfil.save()
        m.bob.usuario.administrador_instalacao = True
        m.bob.usuario.save()
        agenda.agenda_configurar(
            agenda=m.bob, duracao_minutos=20, periodos=[(d, datetime.time(7), datetime.time(17)) for d in range(7)]
        )
        amanha = timezone.localtime() + datetime.timedelta(days=1)
        inicio = amanha.replace(hour=9, minute=0, second=0, microsecond=0)
        m.agendamento = agenda.agendar(agenda=m.bob, cidadao=m.maria, inicio=inicio, por=m.bob)
        m.bloqueio = AgendaBloqueio.objects.create(
            municipio_id=m.a.id,
            lotacao=m.bob,
            inicio=inicio + datetime.timedelta(hours=2),
            fim=inicio + datetime.timedelta(hours=3),
            motivo="Reunião",
            criado_por=m.bob,
        )
        m.entrada = na_fila(m.maria, m.bob)
        m.atendimento = clinico.atendimento_iniciar(cidadao=m.maria, lotacao=m.bob)
    return m


def _ids(m) -> dict[str, int | str]:  # type: ignore[no-untyped-def]
    return {
        "cidadao_id": m.maria.pk,
        "atendimento_id": m.atendimento.pk,
        "entrada_id": m.entrada.pk,
        "agenda_id": m.bob.pk,
        "agendamento_id": m.agendamento.pk,
        "bloqueio_id": m.bloqueio.pk,
        # Pages that switch things off get someone else's (the walk must keep Bob working).
        "lotacao_id": m.tecnico.pk,
        "profissional_id": m.tecnico.profissional_id,
        "municipio_id": m.b.pk,
        "perfil_id": Perfil.objects.filter(lotacoes=m.tecnico).first().pk,
        "tipo": "atestado",
        "acao": "remarcar",
        "tabela": "ciap2",
        "chave": "x",
    }


def _url(rota: str, ids: dict[str, int | str]) -> str:
    def trocar(achado: re.Match[str]) -> str:
        return str(ids.get(achado.group(2), 1))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", trocar, rota)


def test_crafted_parameters_never_give_a_server_error(mundo):
    with tenant_context(mundo.a.id):
        ids = _ids(mundo)
    cliente: Client = entrar(mundo.bob)
    cliente.raise_request_exception = False
    nomes_lidos = _parametros()
    assert {"dia", "entrada", "q", "novo_inicio", "inicio"} <= nomes_lidos
    # Plus every field of every form the pages show (forms parse them, but a clean_ method
    # or a service may still trip on what the field let through).
    campos: set[str] = set()
    for rota in _rotas():
        resposta = cliente.get(_url(rota, ids))
        if resposta.get("Content-Type", "").startswith("text/html"):
            campos |= set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', resposta.content.decode()))
    nomes = sorted(nomes_lidos | campos - {"csrfmiddlewaretoken"})
    assert {"cpf", "cep", "data_nascimento", "motivo_ciap"} <= set(nomes)
    falhas = []
    for rota in _rotas():
        url = _url(rota, ids)
        for valor in VALORES:
            dados = dict.fromkeys(nomes, valor)
            for metodo in ("get", "post"):
                if metodo == "get":
                    resposta = cliente.get(url, dados)
                else:  # as a browser posts a form
                    resposta = cliente.post(
                        url, urlencode(dados, doseq=True), content_type="application/x-www-form-urlencoded"
                    )
                if resposta.status_code == 500:
                    falhas.append(f"{metodo.upper()} {url} {valor!r}: {resposta.status_code}")
    assert not falhas, "\n".join(falhas)
    # The walk ran as Bob all along (no page it visited logged him out or switched him off).
    assert cliente.get("/agenda/").status_code == 200


def test_impossible_day_shows_today_with_a_message(mundo):
    cliente = entrar(mundo.bob)
    for url in ("/agenda/", f"/agenda/{mundo.bob.pk}/"):
        pagina = cliente.get(url, {"dia": "2026-02-30"})
        assert pagina.status_code == 200
        assert "Data inválida" in pagina.content.decode()


def test_atendimento_with_a_malformed_entrada_is_refused_with_a_message(mundo):
    from prontuario.clinico.models import Atendimento

    cliente = entrar(mundo.nina)
    resposta = cliente.post(f"/prontuario/cidadaos/{mundo.maria.pk}/atendimento/", {"entrada": "abc"}, follow=True)
    assert resposta.status_code == 200 and "Entrada da lista de atendimentos inválida" in resposta.content.decode()
    with tenant_context(mundo.a.id):
        assert not Atendimento.objects.filter(lotacao=mundo.nina).exists()


def test_nul_byte_in_a_search_is_a_400_in_portuguese(mundo):
    resposta = entrar(mundo.bob).get("/cidadaos/", {"q": "maria\x00"})
    assert resposta.status_code == 400 and "Pedido inválido" in resposta.content.decode()
