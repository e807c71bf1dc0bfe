"""Patient identifiers stay out of URLs and access logs: the citizen searches (lista,
agendar, unificar) and the professionals' search are POSTs with CSRF, shown at an opaque
?busca=<id> that paging and reloading keep using; gunicorn and nginx log paths without
query strings or Referer. (CADSUS: tests/rnds/test_paginas.py::_cadsus.)"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from tests import mundo as fabricas
from tests.mundo import entrar

pytestmark = pytest.mark.django_db

RAIZ = Path(__file__).resolve().parents[2]
CPF = "52998224725"


def test_citizen_search_is_a_post_and_the_url_carries_only_an_id(alice, mundo):
    fabricas.cidadao(mundo.alice, cpf=CPF)
    pagina = alice.get(reverse("cidadao_lista")).content.decode()
    assert re.search(r'<form method="post" role="search"[^>]*><input type="hidden" name="csrfmiddlewaretoken"', pagina)
    resposta = alice.post(reverse("cidadao_lista"), {"q": "529.982.247-25"})
    assert resposta.status_code == 302
    assert CPF not in resposta.url and "529" not in resposta.url and "busca=" in resposta.url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    html = alice.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert "MARIA JOSÉ DA SILVA" in html and 'value="529.982.247-25"' in html
    # A query string is not a search any more: nothing is looked up from it.
    assert "MARIA JOSÉ DA SILVA" not in alice.get(reverse("cidadao_lista"), {"q": CPF}).content.decode()


def test_the_search_id_belongs_to_the_session(alice, mundo):
    fabricas.cidadao(mundo.alice)
    url = alice.post(reverse("cidadao_lista"), {"q": "maria silva"}).url
    outra = entrar(mundo.bob)
    assert "MARIA JOSÉ DA SILVA" not in outra.get(url).content.decode()


def test_search_without_csrf_token_is_refused(mundo):
    cliente = entrar(mundo.alice, client=Client(enforce_csrf_checks=True))
    assert cliente.post(reverse("cidadao_lista"), {"q": "maria"}).status_code == 403


def test_agendar_and_unificar_searches_are_posts(alice, mundo):
    from pec.tenancy import tenant_context
    from prontuario.agenda import services as agenda

    cidadao = fabricas.cidadao(mundo.alice, cpf=CPF)
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.bob, duracao_minutos=20, periodos=[(d, datetime.time(7), datetime.time(17)) for d in range(7)]
        )
    inicio = (datetime.datetime.now() + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    resposta = alice.post(reverse("agendar", args=[mundo.bob.pk]), {"inicio": inicio.isoformat(), "q": CPF})
    assert resposta.status_code == 302 and CPF not in resposta.url and "inicio=" in resposta.url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert f"cidadao={cidadao.pk}" in alice.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it

    coordenador = fabricas.dar_perfis(
        fabricas.lotacao(mundo.a, fabricas.usuario("Heitor"), cbo="131210", estabelecimento=mundo.ubs)
    )
    outro = fabricas.cidadao(mundo.alice, nome="Maria José da Silva Souza")
    cliente = entrar(coordenador)
    resposta = cliente.post(reverse("cidadao_unificar", args=[cidadao.pk]), {"q": "maria jose"})
    assert resposta.status_code == 302 and "maria" not in resposta.url.lower()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert f"?outro={outro.pk}" in cliente.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it


def test_professionals_search_pages_by_id(mundo, monkeypatch):
    from pec.administracao import views as views_admin

    monkeypatch.setattr(views_admin, "POR_PAGINA", 5)
    admin_usuario = fabricas.usuario("Ana Admin")
    admin = fabricas.entrar(
        admin_usuario, fabricas.lotacao_com_perfis(mundo.a, admin_usuario, cbo="131205"), pela_escolha=True
    )
    for n in range(7):
        fabricas.lotacao_com_perfis(mundo.a, fabricas.usuario(f"Souza Profissional {n:02d}"), cbo="225142")
    resposta = admin.post(reverse("admin_profissionais"), {"q": "souza"})
    assert resposta.status_code == 302 and "souza" not in resposta.url.lower()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    pagina = admin.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    seguinte = re.search(r'href="\?(busca=[^"&]+&amp;pagina=2)"', pagina)
    assert seguinte and "souza" not in seguinte.group(1).lower()
    segunda = admin.get(reverse("admin_profissionais") + "?" + seguinte.group(1).replace("&amp;", "&")).content.decode()
    assert "Página 2 de" in segunda and "Souza Profissional" in segunda


def test_gunicorn_access_log_has_no_query_string_nor_referer():
    from gunicorn.config import Config
    from gunicorn.glogging import SafeAtoms

    conf: dict[str, object] = {}
    exec((RAIZ / "deploy" / "gunicorn.conf.py").read_text(), conf)
    cfg = Config()
    cfg.set("access_log_format", conf["access_log_format"])
    from gunicorn.glogging import Logger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/cidadaos/?q={CPF}",
        "PATH_INFO": "/cidadaos/",
        "QUERY_STRING": f"q={CPF}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://pec/cidadaos/?q={CPF}",
        "HTTP_USER_AGENT": "Firefox",
    }
    resposta = SimpleNamespace(status="200 OK", sent=10, headers=[])
    pedido = SimpleNamespace(headers=[("X-REQUEST-ID", "abc123")])
    atomos = Logger(cfg).atoms(resposta, pedido, environ, datetime.timedelta(milliseconds=5))
    linha = cfg.access_log_format % SafeAtoms(atomos)
    assert '"GET /cidadaos/ HTTP/1.1" 200' in linha and "abc123" in linha
    assert CPF not in linha


def test_nginx_logs_with_a_format_without_query_string():
    conf = (RAIZ / "deploy" / "nginx" / "pec.conf").read_text()
    formato = re.search(r"log_format pec_sem_consulta (.*?);", conf, re.S).group(1)
    for variavel in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$http_referer", "$arg_"):
        assert variavel not in formato
    assert "$uri" in formato
    servidores = conf.count("server {")
    assert conf.count("access_log /var/log/nginx/pec.access.log pec_sem_consulta;") == servidores == 2
