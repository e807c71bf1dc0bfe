"""The municipal administrator's SISAB pages: the identity and destination forms as real
POSTs and the late-records warning of the competência page. That another municipality's
administrator gets 404 on every page with an id is tests/test_isolamento_urls.py's."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from pec.models import EventoAuditoria
from pec.tenancy import tenant_context
from sisab import envio
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab, InstalacaoSisab
from tests import mundo as fabricas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db

IDENTIDADE = {
    "contra_chave": "PEC-centralizado - 1.0",
    "responsavel_documento": "12.345.678/0001-99",
    "responsavel_nome": "SECRETARIA MUNICIPAL DE SAUDE",
    "fone": "3133334444",
    "email": "sms@exemplo.gov.br",
    "janela_inicio": "22",
    "janela_fim": "5",
    "prazo_dia": "10",
}


@pytest.fixture
def m():
    return mundo_envio.mundo()


@pytest.fixture
def alice(m):
    return fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)


def _mensagens(resposta) -> str:
    return " ".join(str(mensagem) for mensagem in get_messages(resposta.wsgi_request))


# --- identity ------------------------------------------------------------------------------


def test_identity_form_saves_digits_only_and_updates_the_same_row(m, alice):
    resposta = alice.post("/administracao/sisab/instalacao/", IDENTIDADE, follow=True)
    assert "Identificação da instalação salva" in _mensagens(resposta)
    with tenant_context(m.municipio.id):
        instalacao = InstalacaoSisab.objects.get()
        assert instalacao.responsavel_documento == "12345678000199"
        assert (instalacao.janela_inicio, instalacao.janela_fim) == (22, 5)
        assert EventoAuditoria.objects.filter(detalhes__acao="sisab_instalacao_salva").count() == 1
    alice.post("/administracao/sisab/instalacao/", {**IDENTIDADE, "contra_chave": "NOVA-CHAVE"})
    with tenant_context(m.municipio.id):
        atual = InstalacaoSisab.objects.get()
    assert atual.contra_chave == "NOVA-CHAVE" and atual.uuid_instalacao == instalacao.uuid_instalacao


def test_identity_form_refuses_an_invalid_cpf_and_saves_nothing(m, alice):
    resposta = alice.post(
        "/administracao/sisab/instalacao/", {**IDENTIDADE, "responsavel_documento": "111.111.111-12"}, follow=True
    )
    assert "CPF válido" in _mensagens(resposta)
    resposta = alice.post("/administracao/sisab/instalacao/", {**IDENTIDADE, "contra_chave": ""}, follow=True)
    assert "Confira a identificação" in _mensagens(resposta)
    with tenant_context(m.municipio.id):
        assert not InstalacaoSisab.objects.exists()


# --- destinations ----------------------------------------------------------------------------


def test_destination_form_keeps_the_password_encrypted_at_rest(m, alice, settings):
    settings.PEC_HOSTS_SISAB = [*settings.PEC_HOSTS_SISAB, "pec.estado.gov.br"]  # the state's centralizer
    dados = {
        "nome": "Centralizador estadual",
        "tipo": "http",
        "url": "https://pec.estado.gov.br",
        "usuario": "ledi-municipio",
        "senha": "s3nha-secreta",
    }
    resposta = alice.post("/administracao/sisab/destinos/novo/", dados, follow=True)
    assert "cadastrado" in _mensagens(resposta)
    with tenant_context(m.municipio.id):
        destino = DestinoSisab.objects.get()
        linha = DestinoSisab.objects.filter(id=destino.id).values().get()
        auditoria = list(EventoAuditoria.objects.filter(detalhes__acao="sisab_destino_criado").values("detalhes"))
    assert destino.senha_cifrada.startswith("g1.")
    assert not any("s3nha-secreta" in str(valor) for valor in linha.values())
    assert len(auditoria) == 1 and "s3nha-secreta" not in str(auditoria)
    assert envio.destino_senha(destino) == "s3nha-secreta"
    assert "s3nha-secreta" not in resposta.content.decode()


def test_destination_form_refuses_incomplete_destinations(m, alice, settings):
    settings.PEC_HOSTS_SISAB = [*settings.PEC_HOSTS_SISAB, "pec.estado.gov.br"]
    sem_usuario = {"nome": "Centralizador", "tipo": "http", "url": "https://pec.estado.gov.br", "usuario": ""}
    assert "endereço e do usuário" in _mensagens(
        alice.post("/administracao/sisab/destinos/novo/", sem_usuario, follow=True)
    )
    sem_pasta = {"nome": "Pendrive", "tipo": "pasta", "pasta": ""}
    assert "Informe a pasta" in _mensagens(alice.post("/administracao/sisab/destinos/novo/", sem_pasta, follow=True))
    with tenant_context(m.municipio.id):
        assert not DestinoSisab.objects.exists()


def test_folder_destination_needs_no_password(m, alice, tmp_path):
    alice.post("/administracao/sisab/destinos/novo/", {"nome": "Pendrive", "tipo": "pasta", "pasta": str(tmp_path)})
    with tenant_context(m.municipio.id):
        destino = DestinoSisab.objects.get()
    assert destino.pasta == str(tmp_path) and destino.senha_cifrada == "" and destino.ativo


@pytest.mark.parametrize(
    "dados, mensagem",
    [
        ({"tipo": "http", "url": "http://centralizador.saude.gov.br", "usuario": "u"}, "Use https"),
        (
            {"tipo": "http", "url": "https://coleta.exemplo.com", "usuario": "u"},
            "O servidor coleta.exemplo.com não está entre os permitidos nesta instalação",
        ),
        ({"tipo": "http", "url": "https://saude.gov.br.exemplo.com", "usuario": "u"}, "não está entre os permitidos"),
        ({"tipo": "pasta", "pasta": "/etc/cron.d"}, "A pasta precisa ficar dentro de"),
        ({"tipo": "pasta", "pasta": "lotes/../../fora"}, "A pasta precisa ficar dentro de"),
    ],
)
def test_destination_form_keeps_to_the_installations_rules(m, alice, settings, tmp_path, dados, mensagem):
    """Production rules: https only, hosts from the installation's allowlist, folders under
    its base; the municipal admin reads why and nothing is saved."""
    settings.PEC_DESTINOS_HTTP, settings.PEC_HOSTS_LOCAIS = False, []
    settings.PEC_SISAB_PASTA_BASE = str(tmp_path / "sisab")
    resposta = alice.post("/administracao/sisab/destinos/novo/", {"nome": "Destino", **dados}, follow=True)
    assert mensagem in _mensagens(resposta)
    with tenant_context(m.municipio.id):
        assert not DestinoSisab.objects.exists()


def test_destination_form_takes_allowed_hosts_and_folders_under_the_base(m, alice, settings, tmp_path):
    settings.PEC_DESTINOS_HTTP, settings.PEC_HOSTS_LOCAIS = False, []
    settings.PEC_SISAB_PASTA_BASE = str(tmp_path / "sisab")
    for dados in (
        {"tipo": "http", "url": "https://centralizador.saude.gov.br", "usuario": "u", "senha": "s"},
        {"tipo": "pasta", "pasta": str(tmp_path / "sisab" / "pendrive")},
        {"tipo": "pasta", "pasta": "ubs-1"},
    ):
        resposta = alice.post("/administracao/sisab/destinos/novo/", {"nome": "Destino", **dados}, follow=True)
        assert "cadastrado" in _mensagens(resposta), _mensagens(resposta)
    with tenant_context(m.municipio.id):
        assert DestinoSisab.objects.count() == 3


# --- the competência page -----------------------------------------------------------------------


def test_late_records_are_warned_until_a_destination_accepts_them(m, alice):
    mundo_envio.identificar(m.municipio)
    antigo = mundo_envio.atendimento(m, quando=timezone.now() - datetime.timedelta(days=70))
    mundo_envio.vacina(m)  # this month: open, not late
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        atrasada = FichaSisab.objects.get(origem="atendimento", origem_id=antigo.id)
        em_dia = FichaSisab.objects.get(origem="vacinacao")
    assert atrasada.status == FichaSisab.Status.VALIDA

    pagina = alice.get("/administracao/sisab/").content.decode()
    assert "Registros atrasados" in pagina and "podem não contar para o financiamento" in pagina
    secao = pagina.split("Registros atrasados", 1)[1].split("Recusadas pelo destino", 1)[0]
    assert atrasada.uuid in secao and em_dia.uuid not in secao
    assert f"{atrasada.competencia:%m/%Y}" in secao

    with tenant_context(m.municipio.id):
        destino = DestinoSisab.objects.create(municipio=m.municipio, nome="Pasta", tipo="pasta", pasta="/tmp")
        EntregaSisab.objects.create(
            municipio=m.municipio,
            ficha=atrasada,
            destino=destino,
            status=EntregaSisab.Status.ENVIADO,
            enviado_em=timezone.now(),
        )
    assert "Registros atrasados" not in alice.get("/administracao/sisab/").content.decode()
