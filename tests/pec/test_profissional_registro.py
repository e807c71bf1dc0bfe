"""The municipal administrator enters a professional's CNS and council registration where
the CNES file lacked them (the RNDS needs the CNS of whoever signs): validated, audited,
and out of reach of another municipality's administrator."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pec.models import EventoAuditoria, Profissional
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.mundo import cns_provisorio

pytestmark = pytest.mark.django_db

VAZIO = {"cns": "", "conselho": "", "uf_conselho": "", "registro_conselho": ""}


@pytest.fixture
def mundo():
    """Íris administers A, where Alice is a médica without CNS; Charlie administers B."""
    a, b = fabricas.municipio_com_perfis("A"), fabricas.municipio_com_perfis("B")
    iris, alice, charlie = fabricas.usuario("Íris"), fabricas.usuario("Alice Souza"), fabricas.usuario("Charlie")
    lot_iris = fabricas.lotacao_com_perfis(a, iris, cbo="131205")
    lot_alice = fabricas.lotacao_com_perfis(a, alice, cbo="225142")
    lot_charlie = fabricas.lotacao_com_perfis(b, charlie, cbo="131205")
    return {
        "a": a,
        "b": b,
        "lot_alice": lot_alice,
        "lot_iris": lot_iris,
        "admin": fabricas.entrar(iris, lot_iris, pela_escolha=True),
        "admin_b": fabricas.entrar(charlie, lot_charlie, pela_escolha=True),
    }


def registro(municipio_id: int, profissional_id: int) -> dict[str, str]:
    with tenant_context(municipio_id):
        prof = Profissional.objects.get(pk=profissional_id)
    return {campo: getattr(prof, campo) for campo in VAZIO}


def url(profissional_id: int) -> str:
    return reverse("admin_profissional_registro", args=[profissional_id])


def test_admin_informa_cns_e_conselho_e_fica_auditado(mundo):
    alice = mundo["lot_alice"].profissional_id
    cns = cns_provisorio()
    pagina = mundo["admin"].get(reverse("admin_profissional", args=[alice])).content.decode()
    assert url(alice) in pagina and "Sem CNS, os registros deste profissional não vão para a RNDS" in pagina
    resposta = mundo["admin"].post(
        url(alice),
        {"cns": f"{cns[:3]} {cns[3:]}", "conselho": "CRM", "uf_conselho": "RN", "registro_conselho": "12345"},
    )
    assert resposta.status_code == 302
    depois = {"cns": cns, "conselho": "CRM", "uf_conselho": "RN", "registro_conselho": "12345"}
    assert registro(mundo["a"].id, alice) == depois
    with tenant_context(mundo["a"].id):
        [evento] = [
            e
            for e in EventoAuditoria.objects.filter(evento="admin_alteracao")
            if e.detalhes.get("acao") == "profissional_registro"
        ]
    assert evento.detalhes["profissional_id"] == alice
    assert (evento.detalhes["antes"]["cns"], evento.detalhes["depois"]) == ("", depois)


@pytest.mark.parametrize(
    "dados, mensagem",
    [
        ({"cns": "abc"}, "O CNS tem só dígitos"),
        ({"cns": "123456789012345"}, "CNS inválido"),
        ({"conselho": "CRM", "registro_conselho": "12345"}, "Informe o conselho, a UF e o número juntos"),
        ({"uf_conselho": "XX"}, "Faça uma escolha válida"),
    ],
)
def test_dados_invalidos_sao_recusados_em_portugues_e_nada_muda(mundo, dados, mensagem):
    alice = mundo["lot_alice"].profissional_id
    resposta = mundo["admin"].post(url(alice), {**VAZIO, **dados})
    assert resposta.status_code == 400 and mensagem in resposta.content.decode()
    assert registro(mundo["a"].id, alice) == VAZIO


def test_cns_valido_em_digitos_de_outra_escrita_e_recusado(mundo):
    """ "٧٠٠..." passes str.isdigit and int(): it was stored as the CNS, which no system reads."""
    alice = mundo["lot_alice"].profissional_id
    arabe = cns_provisorio().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    resposta = mundo["admin"].post(url(alice), {**VAZIO, "cns": arabe})
    assert resposta.status_code == 400 and "O CNS tem só dígitos" in resposta.content.decode()
    assert registro(mundo["a"].id, alice) == VAZIO


def test_cns_de_outro_profissional_do_municipio_e_recusado(mundo):
    cns = cns_provisorio()
    with tenant_context(mundo["a"].id):
        Profissional.objects.filter(pk=mundo["lot_iris"].profissional_id).update(cns=cns)
    alice = mundo["lot_alice"].profissional_id
    resposta = mundo["admin"].post(url(alice), {**VAZIO, "cns": cns})
    assert (
        resposta.status_code == 400
        and "Este CNS já é de outro profissional do município: Íris" in resposta.content.decode()
    )
    assert registro(mundo["a"].id, alice) == VAZIO


def test_admin_de_outro_municipio_recebe_404_e_nada_muda(mundo):
    alice = mundo["lot_alice"].profissional_id
    assert mundo["admin_b"].get(url(alice)).status_code == 404
    assert mundo["admin_b"].post(url(alice), {**VAZIO, "cns": cns_provisorio()}).status_code == 404
    assert registro(mundo["a"].id, alice) == VAZIO


def test_profissional_sem_lotacao_no_municipio_nao_e_editavel(mundo):
    with tenant_context(mundo["a"].id):
        sem_lotacao = Profissional.objects.create(
            municipio=mundo["a"],
            usuario=(usuario := fabricas.usuario("Sem Lotação")),
            cpf=usuario.cpf,
            nome="SEM LOTACAO",
        )
    assert mundo["admin"].get(url(sem_lotacao.id)).status_code == 404
    assert mundo["admin"].post(url(sem_lotacao.id), {**VAZIO, "cns": cns_provisorio()}).status_code == 404
    assert registro(mundo["a"].id, sem_lotacao.id) == VAZIO


def test_so_o_administrador_municipal_chega_a_tela(mundo, client):
    alice = mundo["lot_alice"]
    resposta = client.get(url(alice.profissional_id))
    assert resposta.status_code == 302 and resposta["Location"].startswith("/conta/login/")
    medica = fabricas.entrar(alice.usuario, alice, pela_escolha=True)
    assert medica.get(url(alice.profissional_id)).status_code == 403
    assert medica.post(url(alice.profissional_id), {**VAZIO, "cns": cns_provisorio()}).status_code == 403
    assert registro(mundo["a"].id, alice.profissional_id) == VAZIO
