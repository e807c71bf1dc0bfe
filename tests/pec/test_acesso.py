"""Access by lotação: the permission matrix of the default perfis, the decorators, the
choice and switch of lotação, and the home page per perfil."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings
from django.urls import reverse

from pec.ator import ip_cliente
from pec.identity import acesso
from pec.identity.login import SESSION_LOTACAO, SESSION_MUNICIPIO
from pec.identity.permissoes import PERFIS_PADRAO, PERMISSOES
from pec.models import EventoAuditoria, Lotacao
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.pec.identidade import cliente_pela_pagina

pytestmark = pytest.mark.django_db

_COMUM = {"cidadao.ver", "agenda.ver", "fila.ver", "prontuario.ver", "territorio.ver"}
_TERRITORIO = {"territorio.ver", "territorio.editar"}
# The matrix, written out: a change to a default perfil must be deliberate (and change
# this table), never a side effect.
MATRIZ: dict[str, set[str]] = {
    "medico": _COMUM
    | {
        "cidadao.editar",
        "fila.gerenciar",
        "escuta.registrar",
        "atendimento.registrar",
        "prescricao.emitir",
        "exame.solicitar",
        "atestado.emitir",
        "agenda.gerenciar",
        "competencia.ver",
        "cds.digitar",
        "territorio.editar",
    },
    "enfermeiro": _COMUM
    | {
        "cidadao.editar",
        "fila.gerenciar",
        "escuta.registrar",
        "atendimento.registrar",
        "prescricao.emitir",
        "exame.solicitar",
        "vacina.registrar",
        "vacina.corrigir",
        "agenda.gerenciar",
        "competencia.ver",
        "cds.digitar",
        "territorio.editar",
    },
    "tecnico_enfermagem": _COMUM
    | {"fila.gerenciar", "escuta.registrar", "vacina.registrar", "competencia.ver", "cds.digitar", "territorio.editar"},
    "cirurgiao_dentista": _COMUM
    | {
        "cidadao.editar",
        "fila.gerenciar",
        "escuta.registrar",
        "prescricao.emitir",
        "exame.solicitar",
        "atestado.emitir",
        "agenda.gerenciar",
        "competencia.ver",
        "cds.digitar",
    },
    "acs": {"cidadao.ver", "cidadao.editar", "competencia.ver", "cds.digitar"} | _TERRITORIO,
    "digitador": {"cidadao.ver", "cds.digitar", "cds.digitar_outros"},
    "recepcao": {"cidadao.ver", "cidadao.editar", "agenda.ver", "agenda.gerenciar", "fila.ver", "fila.gerenciar"}
    | _TERRITORIO,
    "coordenacao": _COMUM
    | {"agenda.gerenciar", "fila.gerenciar", "cidadao.unificar", "competencia.ver", "competencia.ubs"},
    "admin_municipal": {"admin.municipio", "auditoria.ver", "cidadao.ver", "cidadao.unificar", "competencia.ver"},
    "visualizacao": _COMUM,
}
# CBO of the demo professional of each default perfil.
CBO = {
    "medico": "225142",
    "enfermeiro": "223565",
    "tecnico_enfermagem": "322245",
    "cirurgiao_dentista": "223293",
    "acs": "515105",
    "digitador": "412110",
    "recepcao": "422110",
    "coordenacao": "131210",
    "admin_municipal": "131205",
    "visualizacao": "999999",
}
ADMIN_MUNICIPAL_URLS = ["admin_profissionais", "admin_perfis"]
INSTALACAO_URLS = ["instalacao_municipios", "instalacao_municipio_novo", "instalacao_smtp", "instalacao_contas"]


def test_matrix_covers_every_default_perfil_and_only_known_codes():
    assert set(MATRIZ) == set(PERFIS_PADRAO)
    for permissoes in MATRIZ.values():
        assert permissoes <= set(PERMISSOES)


@pytest.mark.parametrize("perfil", sorted(MATRIZ))
def test_permission_matrix_per_default_perfil(perfil):
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario(perfil)
    lot = fabricas.lotacao_com_perfis(a, usuario, cbo=CBO[perfil])
    with tenant_context(a.id):
        assert acesso.permissoes_da_lotacao(lotacao=lot) == MATRIZ[perfil]

    client = fabricas.entrar(usuario, lot, pela_escolha=True)
    admin = "admin.municipio" in MATRIZ[perfil]
    for nome in ADMIN_MUNICIPAL_URLS:
        assert client.get(reverse(nome)).status_code == (200 if admin else 403), nome
    for nome in INSTALACAO_URLS:
        assert client.get(reverse(nome)).status_code == 403, nome
    # The home page offers exactly what the perfil may do among the features that exist.
    inicio = client.get("/").content.decode()
    assert (reverse("admin_profissionais") in inicio) is admin
    assert (reverse("admin_perfis") in inicio) is admin
    assert reverse("instalacao_municipios") not in inicio


def test_forbidden_page_is_portuguese_and_names_the_permission():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    client = fabricas.entrar(usuario, fabricas.lotacao_com_perfis(a, usuario, cbo="225142"), pela_escolha=True)
    resposta = client.get(reverse("admin_perfis"))
    assert resposta.status_code == 403
    pagina = resposta.content.decode()
    assert "Acesso não permitido" in pagina
    assert PERMISSOES["admin.municipio"] in pagina


def test_permissions_of_several_perfis_are_their_union():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario, perfis=["acs", "recepcao"])
    with tenant_context(a.id):
        assert acesso.permissoes_da_lotacao(lotacao=lot) == MATRIZ["acs"] | MATRIZ["recepcao"]


def test_stale_code_in_a_perfil_grants_nothing():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario, perfis=["visualizacao"])
    with tenant_context(a.id):
        perfil = lot.perfis.get()
        perfil.permissoes = [*perfil.permissoes, "admin.tudo"]
        perfil.save()
        assert "admin.tudo" not in acesso.permissoes_da_lotacao(lotacao=lot)


def test_unknown_permission_code_fails_at_decoration():
    with pytest.raises(ValueError, match="unknown permission"):
        acesso.requer_permissao("admin.municipo")


def test_permission_set_is_computed_once_per_request(django_assert_num_queries):
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario, perfis=["medico", "coordenacao"])
    request = RequestFactory().get("/")
    request.user = usuario
    with tenant_context(a.id):
        request.lotacao = Lotacao.objects.get(pk=lot.pk)
        with django_assert_num_queries(1):
            for codigo in PERMISSOES:
                acesso.tem_permissao(request, codigo)
            acesso.permissoes_ativas(request)


def test_decorated_view_raises_permission_denied_without_permission():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario, perfis=["visualizacao"])

    @acesso.requer_permissao("cidadao.editar")
    def view(request):  # type: ignore[no-untyped-def]
        raise AssertionError("must not run")

    request = RequestFactory().get("/")
    request.user = usuario
    with tenant_context(a.id):
        request.lotacao = Lotacao.objects.select_related("municipio").get(pk=lot.pk)
        with pytest.raises(PermissionDenied):
            view(request)


def test_every_page_of_this_app_asks_anonymous_users_to_log_in(client):
    nomes = ["inicio", "lotacao_escolher", *ADMIN_MUNICIPAL_URLS, *INSTALACAO_URLS]
    for nome in nomes:
        resposta = client.get(reverse(nome))
        assert resposta.status_code == 302 and resposta["Location"].startswith("/conta/login/"), nome
    com_id = {
        "admin_profissional": {"profissional_id": 1},
        "admin_lotacao_perfis": {"lotacao_id": 1},
        "admin_perfil": {"perfil_id": 1},
        "instalacao_municipio": {"municipio_id": 1},
    }
    for nome, kwargs in com_id.items():
        resposta = client.get(reverse(nome, kwargs=kwargs))
        assert resposta.status_code == 302 and resposta["Location"].startswith("/conta/login/"), nome


def test_installation_admin_pages_only_for_the_installation_admin():
    a = fabricas.municipio_com_perfis()
    iris = fabricas.usuario("Íris")
    admin_municipal = fabricas.entrar(iris, fabricas.lotacao_com_perfis(a, iris, cbo="131205"), pela_escolha=True)
    ana = fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))
    for nome in INSTALACAO_URLS:
        assert admin_municipal.get(reverse(nome)).status_code == 403
        assert ana.get(reverse(nome)).status_code == 200
    inicio = ana.get("/").content.decode()
    assert reverse("instalacao_municipios") in inicio and reverse("instalacao_smtp") in inicio
    assert reverse("admin_profissionais") not in inicio


# --- Choice of lotação -------------------------------------------------------------------------


def test_user_without_lotacao_sees_a_clear_page_not_an_error():
    usuario = fabricas.usuario()
    client = fabricas.entrar(usuario)
    resposta = client.get("/", follow=True)
    assert resposta.status_code == 200
    assert resposta.redirect_chain == [("/lotacao/", 302)]
    assert "Você não tem uma lotação ativa" in resposta.content.decode()
    # A deactivated lotação counts as none.
    a = fabricas.municipio_com_perfis()
    lot = fabricas.lotacao_com_perfis(a, usuario)
    with tenant_context(a.id):
        Lotacao.objects.filter(pk=lot.pk).update(ativo=False)
    assert "Você não tem uma lotação ativa" in client.get("/lotacao/").content.decode()


def test_single_lotacao_is_activated_after_login():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario)
    client = fabricas.entrar(usuario)
    resposta = client.get("/lotacao/")
    assert resposta.status_code == 302 and resposta["Location"] == "/"
    assert client.session[SESSION_LOTACAO] == lot.id
    assert client.session[SESSION_MUNICIPIO] == a.id


def test_lotacoes_in_two_municipalities_are_grouped_and_switching_changes_tenant_and_perfil():
    a = fabricas.municipio_com_perfis("Vila A")
    b = fabricas.municipio_com_perfis("Serra B")
    usuario = fabricas.usuario("Dupla")
    lot_a = fabricas.lotacao_com_perfis(
        a, usuario, cbo="225142", estabelecimento=fabricas.estabelecimento(a, "UBS do Rio")
    )
    lot_b = fabricas.lotacao_com_perfis(
        b, usuario, cbo="131205", estabelecimento=fabricas.estabelecimento(b, "UBS da Serra")
    )
    client = fabricas.entrar(usuario)

    pagina = client.get("/lotacao/").content.decode()
    assert "Vila A/MG" in pagina and "Serra B/MG" in pagina
    assert "UBS do Rio" in pagina and "UBS da Serra" in pagina
    assert pagina.index("UBS da Serra") < pagina.index("UBS do Rio")  # grouped: Serra B comes first

    client.post("/lotacao/", {"lotacao": lot_a.id})
    assert client.get(reverse("admin_perfis")).status_code == 403
    inicio = client.get("/").content.decode()
    assert "UBS do Rio" in inicio and reverse("admin_perfis") not in inicio

    client.post("/lotacao/", {"lotacao": lot_b.id})
    assert client.session[SESSION_MUNICIPIO] == b.id
    resposta = client.get(reverse("admin_profissionais"))
    assert resposta.status_code == 200
    assert "Serra B" in resposta.content.decode()
    with tenant_context(b.id):
        evento = EventoAuditoria.objects.filter(evento="lotacao_escolhida").latest("sequencia")
    assert evento.detalhes["lotacao_id"] == lot_b.id and evento.usuario_id == usuario.id


def test_choosing_someone_elses_lotacao_is_404_and_changes_nothing():
    a = fabricas.municipio_com_perfis()
    alice = fabricas.usuario("Alice")
    charlie = fabricas.usuario("Charlie")
    lot_alice = fabricas.lotacao_com_perfis(a, alice)
    lot_charlie = fabricas.lotacao_com_perfis(fabricas.municipio_com_perfis("B"), charlie)
    client = fabricas.entrar(alice, lot_alice, pela_escolha=True)
    assert client.post("/lotacao/", {"lotacao": lot_charlie.id}).status_code == 404
    assert client.post("/lotacao/", {"lotacao": "x"}).status_code == 404
    assert client.session[SESSION_LOTACAO] == lot_alice.id


def test_deactivated_lotacao_stops_working_at_once():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(a, usuario, cbo="131205")
    client = fabricas.entrar(usuario, lot, pela_escolha=True)
    assert client.get(reverse("admin_perfis")).status_code == 200
    with tenant_context(a.id):
        Lotacao.objects.filter(pk=lot.pk).update(ativo=False)
    resposta = client.get(reverse("admin_perfis"))
    assert resposta.status_code == 302 and resposta["Location"] == "/lotacao/"


def test_header_offers_switch_of_lotacao():
    a = fabricas.municipio_com_perfis()
    usuario = fabricas.usuario()
    client = fabricas.entrar(usuario, fabricas.lotacao_com_perfis(a, usuario), pela_escolha=True)
    assert 'href="/lotacao/">Trocar lotação' in client.get("/").content.decode()


# --- MFA required for administrators ------------------------------------------------------------


def test_municipality_requiring_mfa_sends_admins_to_enrolment_but_not_others():
    a = fabricas.municipio_com_perfis(exigir_mfa_admin=True)
    iris = fabricas.usuario("Íris")
    bruno = fabricas.usuario("Bruno")
    admin = cliente_pela_pagina(iris, fabricas.lotacao_com_perfis(a, iris, cbo="131205"))
    medico = cliente_pela_pagina(bruno, fabricas.lotacao_com_perfis(a, bruno, cbo="225142"))
    for url in ["/", reverse("admin_profissionais")]:
        resposta = admin.get(url)
        assert resposta.status_code == 302 and resposta["Location"] == reverse("mfa_activate_totp"), url
    assert medico.get("/").status_code == 200


# --- Client address behind the proxy --------------------------------------------------------------


def test_client_ip_ignores_forwarded_header_without_proxy():
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    with override_settings(AXES_IPWARE_PROXY_COUNT=0):
        assert ip_cliente(request) == "203.0.113.9"


def test_client_ip_behind_nginx_is_the_address_nginx_appended():
    # The client forged "1.2.3.4"; nginx appended the real peer 198.51.100.7.
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    with override_settings(AXES_IPWARE_PROXY_COUNT=1):
        assert ip_cliente(request) == "198.51.100.7"
    with override_settings(AXES_IPWARE_PROXY_COUNT=2):
        assert ip_cliente(request) == "1.2.3.4"
    sem_cabecalho = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    with override_settings(AXES_IPWARE_PROXY_COUNT=1):
        assert ip_cliente(sem_cabecalho) == "127.0.0.1"


def test_govbr_session_below_the_municipality_minimum_cannot_post_its_lotacao():
    from pec.identity.govbr.acesso import SESSION_GOVBR

    exigente = fabricas.municipio_com_perfis("Exigente", govbr_nivel_minimo="ouro")
    usuario = fabricas.usuario()
    lot = fabricas.lotacao_com_perfis(exigente, usuario)
    client = fabricas.entrar(usuario)
    sessao = client.session
    sessao[SESSION_GOVBR] = {"nivel": "bronze"}
    sessao.save()
    assert client.post("/lotacao/", {"lotacao": lot.id}).status_code == 404
    assert SESSION_LOTACAO not in client.session
    sessao = client.session
    sessao[SESSION_GOVBR] = {"nivel": "ouro"}
    sessao.save()
    assert client.post("/lotacao/", {"lotacao": lot.id}).status_code == 302


def test_installation_admin_who_is_also_a_professional_can_pick_a_lotacao():
    ana = fabricas.usuario("Ana", administrador_instalacao=True)
    client = fabricas.entrar(ana)
    assert "Trabalhar em uma das suas lotações" not in client.get("/").content.decode()
    fabricas.lotacao_com_perfis(fabricas.municipio_com_perfis(), ana)
    assert "Trabalhar em uma das suas lotações" in client.get("/").content.decode()


def _verificacoes_no_codigo() -> str:
    """The Python source of the apps (tests, migrations and the catalogue itself excluded)."""
    from pathlib import Path

    raiz = Path(__file__).resolve().parents[2]
    arquivos = [
        caminho
        for pasta in ("pec", "prontuario", "cds", "sisab", "rnds", "cnes_import")
        for caminho in (raiz / pasta).rglob("*.py")
        if "migrations" not in caminho.parts and caminho.name != "permissoes.py"
    ]
    return "\n".join(caminho.read_text(encoding="utf-8") for caminho in arquivos)


@pytest.mark.parametrize("codigo", sorted(PERMISSOES))
def test_every_declared_permission_is_checked_on_the_server(codigo):
    """A code in the catalogue that no server-side check reads grants or denies nothing, yet
    the perfil editor offers it: a view decorator, `tem_permissao` or a service's check of
    the actor's permission set must name it (a template's test only hides a link)."""
    import re

    fonte = _verificacoes_no_codigo()
    q = re.escape(f'"{codigo}"')
    padroes = [rf"requer_permissao\({q}\)", rf"tem_permissao\([^)]*{q}", rf"{q} (not )?in permissoes"]
    assert any(re.search(padrao, fonte) for padrao in padroes), f"{codigo} is declared but checked nowhere"
