"""What reaches users is Portuguese: the error pages inside the layout, the CNES upload
error without lxml's English, the backups page without the log's English, and the
cadastro history with field labels and code descriptions instead of names and codes."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from cnes_import.parser import ArquivoCnesInvalido, ler_cnes
from tests import mundo as fabricas
from tests.mundo import entrar

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_portuguese_404_in_the_layout(mundo):
    resposta = entrar(mundo.alice).get("/nao-existe/")
    html = resposta.content.decode()
    assert resposta.status_code == 404
    assert "Página não encontrada" in html and 'lang="pt-BR"' in html and "Not Found" not in html
    assert "Sair" in html  # the layout, with the user's menu


def test_another_municipality_id_is_the_same_portuguese_404(mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    resposta = entrar(mundo.charlie).get(reverse("cidadao_detalhe", args=[cidadao.pk]))
    assert resposta.status_code == 404 and "Página não encontrada" in resposta.content.decode()


def test_server_error_page_is_portuguese():
    resposta = server_error(RequestFactory().get("/"))
    html = resposta.content.decode()
    assert resposta.status_code == 500 and "Erro no servidor" in html and "Server Error" not in html


def test_cnes_syntax_error_does_not_quote_lxml(tmp_path):
    arquivo = tmp_path / "cnes.xml"
    arquivo.write_bytes(b"isto nao e xml")
    with pytest.raises(ArquivoCnesInvalido) as exc:
        list(ler_cnes(arquivo))
    mensagem = str(exc.value)
    assert "malformado ou incompleto (erro na linha 1" in mensagem
    assert "Start tag" not in mensagem and "expected" not in mensagem


@override_settings(BACKUP_PUBLIC_KEY="")
def test_backups_page_explains_the_missing_key_in_portuguese():
    admin = fabricas.usuario("Ana Instalação")
    admin.administrador_instalacao = True
    admin.save()
    html = fabricas.entrar(admin).get(reverse("instalacao_backups")).content.decode()
    assert "Nenhuma chave pública de backup configurada" in html and "No backup public key" not in html


def test_history_shows_labels_and_descriptions_not_field_names_and_codes(alice, mundo):
    cidadao = fabricas.cidadao(mundo.alice)
    html = alice.get(reverse("cidadao_historico", args=[cidadao.pk])).content.decode()
    for esperado in (
        "Sexo",
        "Feminino",
        "Nome do pai desconhecido",
        "Sim",
        "Raça/cor",
        "Parda",
        "Município de nascimento (IBGE)",
        "Belo Horizonte/MG",
        "12/03/1980",
    ):
        assert esperado in html, esperado
    for cru in ("pai_desconhecido", "raca_cor", "data_nascimento", "True", "1980-03-12", "3106200"):
        assert cru not in html, cru


def test_merge_in_history_names_what_moved_in_portuguese(alice, mundo):
    import datetime as dt

    from django.utils import timezone

    from pec.tenancy import tenant_context
    from prontuario.agenda import services as agenda
    from prontuario.cadastro.services import cidadao_unificar

    um = fabricas.cidadao(mundo.alice, cpf=fabricas.cpf())
    dois = fabricas.cidadao(mundo.alice, cns=fabricas.cns_provisorio())
    with tenant_context(mundo.a.id):
        agenda.agenda_configurar(
            agenda=mundo.bob, duracao_minutos=20, periodos=[(d, dt.time(7), dt.time(17)) for d in range(7)]
        )
        inicio = (timezone.localtime() + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        agenda.agendar(agenda=mundo.bob, cidadao=dois, inicio=inicio, por=mundo.alice)
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=um, unificado=dois, motivo="Mesma pessoa")
    html = alice.get(reverse("cidadao_historico", args=[um.pk])).content.decode()
    assert "Registros movidos: agendamentos (1)" in html
    assert "prontuario.Agendamento" not in html and "Cadastro unificado a este" in html


def test_csrf_refusal_is_portuguese(mundo):
    cliente = entrar(mundo.alice, client=Client(enforce_csrf_checks=True))
    resposta = cliente.post(reverse("cidadao_novo"), {"nome": "X"})
    html = resposta.content.decode()
    assert resposta.status_code == 403 and "Formulário expirado" in html and "CSRF verification failed" not in html
