"""Administration pages: the municipal administrator's (professionals, lotações, perfis)
and the installation administrator's (municipalities). Alice's administrator in A must
never reach B's objects."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pec.identity.permissoes import PERFIS_PADRAO
from pec.models import EventoAuditoria, Lotacao, Municipio, Perfil
from pec.tenancy import tenant_context
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


@pytest.fixture
def mundo():
    """Íris administers A, where Alice is a médica; Charlie works in B."""
    a = fabricas.municipio_com_perfis("A")
    b = fabricas.municipio_com_perfis("B")
    iris = fabricas.usuario("Íris")
    alice = fabricas.usuario("Alice Souza")
    charlie = fabricas.usuario("Charlie")
    lot_iris = fabricas.lotacao_com_perfis(a, iris, cbo="131205")
    lot_alice = fabricas.lotacao_com_perfis(a, alice, cbo="225142")
    lot_charlie = fabricas.lotacao_com_perfis(b, charlie, cbo="131205")
    return {
        "a": a,
        "b": b,
        "iris": iris,
        "alice": alice,
        "charlie": charlie,
        "lot_iris": lot_iris,
        "lot_alice": lot_alice,
        "lot_charlie": lot_charlie,
        "admin": fabricas.entrar(iris, lot_iris, pela_escolha=True),
    }


def eventos(municipio_id: int, acao: str) -> list[EventoAuditoria]:
    with tenant_context(municipio_id):
        return [e for e in EventoAuditoria.objects.filter(evento="admin_alteracao") if e.detalhes.get("acao") == acao]


def perfil(municipio_id: int, codigo: str) -> Perfil:
    with tenant_context(municipio_id):
        return Perfil.objects.get(municipio_id=municipio_id, codigo=codigo)


def test_list_and_search_professionals(mundo):
    admin = mundo["admin"]
    link_iris = reverse("admin_profissional", args=[mundo["lot_iris"].profissional_id])
    pagina = admin.get(reverse("admin_profissionais")).content.decode()
    assert "Alice Souza" in pagina and link_iris in pagina and "Charlie" not in pagina
    pagina = admin.post(reverse("admin_profissionais"), {"q": "souza"}, follow=True).content.decode()
    assert "Alice Souza" in pagina and link_iris not in pagina
    cpf = mundo["alice"].cpf
    pagina = admin.post(reverse("admin_profissionais"), {"q": f"{cpf[:3]}.{cpf[3:6]}"}, follow=True).content.decode()
    assert "Alice Souza" in pagina
    pagina = admin.post(reverse("admin_profissionais"), {"q": mundo["charlie"].cpf}, follow=True).content.decode()
    assert "Nenhum profissional encontrado" in pagina


def test_professional_page_shows_lotacoes_and_perfis(mundo):
    pagina = (
        mundo["admin"].get(reverse("admin_profissional", args=[mundo["lot_alice"].profissional_id])).content.decode()
    )
    assert "Alice Souza" in pagina and "225142" in pagina and "Médico" in pagina and "Desativar" in pagina


def test_every_url_of_b_objects_is_404_for_a_admin(mundo):
    admin = mundo["admin"]
    b = mundo["b"]
    lot_b = mundo["lot_charlie"]
    perfil_b = perfil(b.id, "medico")
    gets = [
        reverse("admin_profissional", args=[lot_b.profissional_id]),
        reverse("admin_lotacao_perfis", args=[lot_b.id]),
        reverse("admin_perfil", args=[perfil_b.id]),
    ]
    for url in gets:
        assert admin.get(url).status_code == 404, url
    posts = [
        (reverse("admin_profissional_desbloquear", args=[lot_b.profissional_id]), {}),
        (reverse("admin_lotacao_ativa", args=[lot_b.id]), {"ativo": "0"}),
        (reverse("admin_lotacao_perfis", args=[lot_b.id]), {"perfis": [perfil(mundo["a"].id, "medico").id]}),
        (reverse("admin_perfil", args=[perfil_b.id]), {"nome": "Invadido", "permissoes": ["admin.municipio"]}),
        (reverse("admin_perfil_copiar", args=[perfil_b.id]), {}),
    ]
    for url, dados in posts:
        assert admin.post(url, dados).status_code == 404, url
    with tenant_context(b.id):
        assert Lotacao.objects.get(pk=lot_b.pk).ativo
        assert Perfil.objects.get(pk=perfil_b.pk).nome == "Médico"
        assert Perfil.objects.filter(municipio=b).count() == len(PERFIS_PADRAO)
    # And the reverse: B's administrator cannot reach A's professional either.
    charlie = fabricas.entrar(mundo["charlie"], lot_b, pela_escolha=True)
    assert charlie.get(reverse("admin_profissional", args=[mundo["lot_alice"].profissional_id])).status_code == 404


def test_deactivate_and_reactivate_a_lotacao_is_audited(mundo):
    admin, lot = mundo["admin"], mundo["lot_alice"]
    alice = fabricas.entrar(mundo["alice"], lot, pela_escolha=True)
    admin.post(reverse("admin_lotacao_ativa", args=[lot.id]), {"ativo": "0"})
    with tenant_context(mundo["a"].id):
        assert not Lotacao.objects.get(pk=lot.pk).ativo
    assert alice.get("/").status_code == 302  # her session lost the lotação at once
    admin.post(reverse("admin_lotacao_ativa", args=[lot.id]), {"ativo": "1"})
    with tenant_context(mundo["a"].id):
        assert Lotacao.objects.get(pk=lot.pk).ativo
    [desativada] = eventos(mundo["a"].id, "lotacao_desativada")
    assert desativada.usuario_id == mundo["iris"].id and desativada.detalhes["lotacao_id"] == lot.id
    assert len(eventos(mundo["a"].id, "lotacao_ativada")) == 1


def test_last_administrator_cannot_deactivate_own_lotacao(mundo):
    admin, lot = mundo["admin"], mundo["lot_iris"]
    resposta = admin.post(reverse("admin_lotacao_ativa", args=[lot.id]), {"ativo": "0"}, follow=True)
    assert "ficaria sem nenhum administrador" in resposta.content.decode()
    with tenant_context(mundo["a"].id):
        assert Lotacao.objects.get(pk=lot.pk).ativo
    assert eventos(mundo["a"].id, "lotacao_desativada") == []


def test_change_perfis_of_a_lotacao_marks_them_edited(mundo):
    admin, lot = mundo["admin"], mundo["lot_alice"]
    a = mundo["a"]
    url = reverse("admin_lotacao_perfis", args=[lot.id])
    assert "Médico" in admin.get(url).content.decode()
    novos = [perfil(a.id, "medico").id, perfil(a.id, "coordenacao").id]
    resposta = admin.post(url, {"perfis": novos})
    assert resposta.status_code == 302
    with tenant_context(a.id):
        lot = Lotacao.objects.get(pk=lot.pk)
        assert sorted(lot.perfis.values_list("codigo", flat=True)) == ["coordenacao", "medico"]
        assert lot.perfis_editados
    [evento] = eventos(a.id, "lotacao_perfis")
    assert evento.detalhes["antes"] == ["medico"] and evento.detalhes["depois"] == ["coordenacao", "medico"]


def test_empty_perfis_is_refused_and_changes_nothing(mundo):
    admin, lot = mundo["admin"], mundo["lot_alice"]
    pagina = admin.post(reverse("admin_lotacao_perfis", args=[lot.id]), {}).content.decode()
    assert "Escolha ao menos um perfil" in pagina
    with tenant_context(mundo["a"].id):
        lot = Lotacao.objects.get(pk=lot.pk)
        assert list(lot.perfis.values_list("codigo", flat=True)) == ["medico"] and not lot.perfis_editados


def test_copy_and_edit_a_perfil(mundo):
    admin, a = mundo["admin"], mundo["a"]
    original = perfil(a.id, "recepcao")
    resposta = admin.post(reverse("admin_perfil_copiar", args=[original.id]))
    with tenant_context(a.id):
        copia = Perfil.objects.get(municipio=a, codigo="recepcao-copia")
    assert resposta["Location"] == reverse("admin_perfil", args=[copia.id])
    assert not copia.padrao and copia.permissoes == original.permissoes
    pagina = admin.get(reverse("admin_perfil", args=[copia.id])).content.decode()
    assert 'type="checkbox" name="permissoes" value="agenda.gerenciar"' in pagina

    resposta = admin.post(
        reverse("admin_perfil", args=[copia.id]),
        {"nome": "Recepção com unificação", "permissoes": ["cidadao.unificar", "cidadao.ver"]},
    )
    assert resposta.status_code == 302
    with tenant_context(a.id):
        copia.refresh_from_db()
        assert copia.nome == "Recepção com unificação" and copia.permissoes == ["cidadao.unificar", "cidadao.ver"]
    assert len(eventos(a.id, "perfil_copiado")) == 1
    [alterado] = eventos(a.id, "perfil_alterado")
    assert alterado.detalhes["depois"]["permissoes"] == ["cidadao.unificar", "cidadao.ver"]
    # A second copy gets its own code.
    admin.post(reverse("admin_perfil_copiar", args=[original.id]))
    with tenant_context(a.id):
        assert Perfil.objects.filter(municipio=a, codigo="recepcao-copia-2").exists()


def test_invalid_perfil_edits_leave_the_database_unchanged(mundo):
    admin, a = mundo["admin"], mundo["a"]
    medico = perfil(a.id, "medico")
    antes = list(medico.permissoes)
    pagina = admin.post(reverse("admin_perfil", args=[medico.id]), {"nome": "Médico", "permissoes": ["admin.tudo"]})
    assert "Faça uma escolha válida" in pagina.content.decode()
    pagina = admin.post(reverse("admin_perfil", args=[medico.id]), {"nome": "", "permissoes": ["cidadao.ver"]})
    assert "Este campo é obrigatório" in pagina.content.decode()
    # Removing admin.municipio from the only administrators' perfil would lock A out.
    admin_perfil = perfil(a.id, "admin_municipal")
    pagina = admin.post(reverse("admin_perfil", args=[admin_perfil.id]), {"nome": "Adm", "permissoes": ["cidadao.ver"]})
    assert "ficaria sem nenhum administrador" in pagina.content.decode()
    with tenant_context(a.id):
        assert Perfil.objects.get(pk=medico.pk).permissoes == antes
        assert "admin.municipio" in Perfil.objects.get(pk=admin_perfil.pk).permissoes
        assert Perfil.objects.get(pk=admin_perfil.pk).nome == "Administrador municipal"
    assert eventos(a.id, "perfil_alterado") == []


def test_perfis_page_lists_the_municipality_perfis_only(mundo):
    pagina = mundo["admin"].get(reverse("admin_perfis")).content.decode()
    for nome, _ in PERFIS_PADRAO.values():
        assert nome in pagina
    assert pagina.count("Copiar") == len(PERFIS_PADRAO)


# --- Installation administrator -------------------------------------------------------------------


@pytest.fixture
def ana():
    return fabricas.entrar(fabricas.usuario("Ana", administrador_instalacao=True))


def test_create_municipality_with_default_perfis(ana):
    resposta = ana.post(
        reverse("instalacao_municipio_novo"),
        {"ibge": "3106200", "nome": "Belo Horizonte", "uf": "MG", "modo": "treinamento"},
    )
    assert resposta.status_code == 302
    novo = Municipio.objects.get(ibge="3106200")
    assert novo.em_treinamento and novo.uf == "MG"
    with tenant_context(novo.id):
        assert set(Perfil.objects.values_list("codigo", flat=True)) == set(PERFIS_PADRAO)
        [evento] = EventoAuditoria.objects.filter(evento="admin_alteracao")
    assert evento.detalhes["acao"] == "municipio_criado" and evento.detalhes["ibge"] == "3106200"
    [na_instalacao] = EventoAuditoria.objects.filter(municipio_id=None, evento="admin_alteracao")
    assert na_instalacao.detalhes == evento.detalhes
    assert "Belo Horizonte/MG" in ana.get(reverse("instalacao_municipios")).content.decode()


def test_invalid_municipality_is_refused_in_portuguese(ana):
    fabricas.municipio("Existente", ibge="3106200")
    for dados, mensagem in [
        ({"ibge": "31062", "nome": "X", "uf": "MG", "modo": "producao"}, "O código IBGE tem 7 dígitos."),
        ({"ibge": "3106200", "nome": "Outro", "uf": "MG", "modo": "producao"}, "já existe"),
        ({"ibge": "3106201", "nome": "X", "uf": "ZZ", "modo": "producao"}, "Faça uma escolha válida"),
    ]:
        pagina = ana.post(reverse("instalacao_municipio_novo"), dados).content.decode()
        assert mensagem in pagina, dados
    assert Municipio.objects.count() == 1


def test_edit_mode_and_session_settings(ana):
    m = fabricas.municipio_com_perfis("Editável")
    url = reverse("instalacao_municipio", args=[m.id])
    dados = {
        "nome": "Editável",
        "modo": "treinamento",
        "ativo": "on",
        "sessao_ociosa_minutos": "15",
        "sessao_maxima_horas": "8",
        "exigir_mfa_admin": "on",
    }
    assert ana.post(url, dados).status_code == 302
    m.refresh_from_db()
    assert (m.modo, m.sessao_ociosa_minutos, m.sessao_maxima_horas, m.exigir_mfa_admin) == ("treinamento", 15, 8, True)
    with tenant_context(m.id):
        [evento] = EventoAuditoria.objects.filter(evento="admin_alteracao")
    assert evento.detalhes["alteracoes"]["modo"] == ["producao", "treinamento"]

    pagina = ana.post(url, {**dados, "sessao_ociosa_minutos": "1"}).content.decode()
    assert "maior ou igual a 5" in pagina
    m.refresh_from_db()
    assert m.sessao_ociosa_minutos == 15


def test_municipal_admin_cannot_manage_municipalities(mundo):
    assert mundo["admin"].post(reverse("instalacao_municipio", args=[mundo["a"].id]), {"nome": "X"}).status_code == 403
    assert mundo["admin"].post(reverse("instalacao_municipio_novo"), {"ibge": "1234567"}).status_code == 403
