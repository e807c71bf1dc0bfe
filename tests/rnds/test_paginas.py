"""Certificate upload, dashboard and CADSUS pages. Alice administers A, Bob is a doctor
in A, Charlie administers B: "Charlie should have no access to Alice's stuff"."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from pec.cripto import DecifrarErro, decifrar
from pec.models import EmailSaidaMunicipio, Outbox
from pec.outbox import outbox_drenar
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from rnds import pki
from rnds.models import CertificadoA1, ConfiguracaoRNDS
from rnds.services import certificado_segredos, certificados_avisar_vencimento
from tests import mundo as fabricas
from tests.rnds.conftest import atendimento, quem

pytestmark = pytest.mark.django_db


@pytest.fixture
def pessoas(municipio_rnds):
    outro = fabricas.municipio_com_perfis("Outro")
    alice, bob, charlie = (fabricas.usuario(n) for n in ("Alice", "Bob", "Charlie"))
    alice.email = "alice@vila.gov.br"
    alice.save()
    lot_a = fabricas.lotacao_com_perfis(municipio_rnds, alice, cbo="131205", perfis=["admin_municipal"])
    lot_b = fabricas.lotacao_com_perfis(municipio_rnds, bob, cbo="225142")
    lot_c = fabricas.lotacao_com_perfis(outro, charlie, cbo="131205", perfis=["admin_municipal", "recepcao"])
    return {
        "alice": fabricas.entrar(alice, lot_a, pela_escolha=True),
        "bob": fabricas.entrar(bob, lot_b, pela_escolha=True),
        "charlie": fabricas.entrar(charlie, lot_c, pela_escolha=True),
        "lot_a": lot_a,
        "lot_c": lot_c,
        "outro": outro,
    }


def enviar(cliente, conteudo: bytes, senha: str):
    return cliente.post(
        "/administracao/rnds/certificados/",
        {"arquivo": SimpleUploadedFile("cert.pfx", conteudo, "application/x-pkcs12"), "senha": senha},
    )


def test_upload_shows_the_certificate_and_stores_it_encrypted(pessoas, arquivos_pki, municipio_rnds):
    resposta = enviar(pessoas["alice"], arquivos_pki.pfx.read_bytes(), arquivos_pki.senha_pfx)
    assert resposta.status_code == 302
    pagina = pessoas["alice"].get(resposta["Location"]).content.decode()
    assert "11222333000181" in pagina and "20000000894" in pagina and "AC Intermediaria de Teste PEC" in pagina
    with tenant_context(municipio_rnds.id):
        cert = CertificadoA1.objects.get(ativo=True)
        assert CertificadoA1.objects.filter(ativo=False).count() == 1  # the fixture's, now history
    assert arquivos_pki.senha_pfx not in cert.senha_cifrada
    assert certificado_segredos(cert=cert) == (arquivos_pki.pfx.read_bytes(), arquivos_pki.senha_pfx)
    # A ciphertext copied to another municipality's row does not decrypt there.
    with pytest.raises(DecifrarErro):
        decifrar(
            cert.senha_cifrada,
            contexto=cert.contexto("senha").replace(f"rnds:{municipio_rnds.id}:", f"rnds:{pessoas['outro'].id}:"),
        )


@pytest.mark.parametrize(
    "caso, mensagem",
    [
        ("senha", "Senha incorreta"),
        ("vencido", "Certificado vencido em"),
        ("sem_chave", "não a chave privada"),
        ("aleatorio", "não é um certificado A1"),
    ],
)
def test_upload_refusals(pessoas, arquivos_pki, municipio_rnds, caso, mensagem):
    ac = pki.ac_criar()
    agora = datetime.datetime.now(datetime.UTC)
    arquivos = {
        "senha": (arquivos_pki.pfx.read_bytes(), "senha-errada"),
        "vencido": (
            pki.a1_criar(
                ac,
                titular="X",
                cnpj="11222333000181",
                cpf_responsavel="20000000894",
                senha="s",
                inicio=agora - datetime.timedelta(days=400),
                fim=agora - datetime.timedelta(days=2),
            ),
            "s",
        ),
        "sem_chave": (
            pki.a1_criar(
                ac, titular="X", cnpj="11222333000181", cpf_responsavel="20000000894", senha="s", com_chave=False
            ),
            "s",
        ),
        "aleatorio": (b"%PDF-1.4 isto nao e um certificado" * 20, "x"),
    }
    with tenant_context(municipio_rnds.id):
        antes = CertificadoA1.objects.count()
    resposta = enviar(pessoas["alice"], *arquivos[caso])
    assert resposta.status_code == 400
    assert mensagem in resposta.content.decode()
    with tenant_context(municipio_rnds.id):
        assert CertificadoA1.objects.count() == antes


def test_dashboard_shows_the_refusal_and_retry_requeues(pessoas, municipio_rnds, simulador, registros):
    simulador.estado.individuos_desconhecidos.add("11144477735")
    item, _ = registros.criar(municipio_rnds, atendimento(quem=quem(cpf="11144477735")))
    outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds")
    pagina = pessoas["alice"].get("/administracao/rnds/").content.decode()
    assert "(EDS-MSG001) Indivíduo 11144477735 não encontrado no CADSUS" in pagina
    assert pessoas["charlie"].post(f"/administracao/rnds/erros/{item.id}/reenviar/").status_code == 404
    simulador.estado.individuos_desconhecidos.clear()
    assert pessoas["alice"].post(f"/administracao/rnds/erros/{item.id}/reenviar/").status_code == 302
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    with tenant_context(municipio_rnds.id):
        assert Outbox.objects.get(id=item.id).status == Outbox.Status.ENVIADO


def test_other_municipality_gets_404_and_doctor_403(pessoas, municipio_rnds):
    with tenant_context(municipio_rnds.id):
        cert = CertificadoA1.objects.get(ativo=True)
    assert pessoas["alice"].get(f"/administracao/rnds/certificados/{cert.id}/").status_code == 200
    assert pessoas["charlie"].get(f"/administracao/rnds/certificados/{cert.id}/").status_code == 404
    assert "Vila RNDS" not in pessoas["charlie"].get("/administracao/rnds/certificados/").content.decode()
    assert pessoas["bob"].get("/administracao/rnds/").status_code == 403


def test_settings_page_requires_the_solicitante_to_enable(pessoas, municipio_rnds):
    resposta = pessoas["alice"].post("/administracao/rnds/configuracao/", {"habilitado": "on", "ambiente": "producao"})
    assert "Informe o identificador do solicitante" in resposta.content.decode()
    resposta = pessoas["alice"].post(
        "/administracao/rnds/configuracao/",
        {"habilitado": "on", "ambiente": "producao", "identificador_solicitante": "777"},
    )
    assert resposta.status_code == 302
    with tenant_context(municipio_rnds.id):
        config = ConfiguracaoRNDS.objects.select_related("municipio").get()
    config.url_servicos = ""
    assert config.base_servicos() == "https://mg-ehr-services.saude.gov.br"  # production host of the UF


@pytest.mark.parametrize(
    "campo, url, mensagem",
    [
        ("url_servicos", "https://ehr.exemplo.com", "O servidor ehr.exemplo.com não está entre os permitidos"),
        ("url_autenticacao", "https://ehr-auth.saude.gov.br.exemplo.com", "não está entre os permitidos"),
        ("url_cadsus", "http://servicos.saude.gov.br", "Use https"),
    ],
)
def test_settings_page_keeps_to_the_installations_allowlist(pessoas, municipio_rnds, settings, campo, url, mensagem):
    """The addresses get the A1 handshake, Bundles and gov.br tokens: production allows
    https to the official hosts only (or the installation's own list)."""
    settings.PEC_DESTINOS_HTTP, settings.PEC_HOSTS_LOCAIS = False, []
    with tenant_context(municipio_rnds.id):
        antes = ConfiguracaoRNDS.objects.values().get()
    resposta = pessoas["alice"].post(
        "/administracao/rnds/configuracao/", {"ambiente": "producao", "identificador_solicitante": "777", campo: url}
    )
    assert resposta.status_code == 200 and mensagem in resposta.content.decode()
    with tenant_context(municipio_rnds.id):
        assert ConfiguracaoRNDS.objects.values().get() == antes
    resposta = pessoas["alice"].post(
        "/administracao/rnds/configuracao/",
        {"ambiente": "producao", "identificador_solicitante": "777", campo: "https://mg-ehr-services.saude.gov.br"},
    )
    assert resposta.status_code == 302
    settings.PEC_HOSTS_RNDS = ["rnds.estado.gov.br"]  # the installation's own list replaces the official one
    resposta = pessoas["alice"].post(
        "/administracao/rnds/configuracao/",
        {"ambiente": "producao", "identificador_solicitante": "777", campo: "https://rnds.estado.gov.br/api"},
    )
    assert resposta.status_code == 302


def test_expiry_warnings_at_30_7_and_1_days(pessoas, municipio_rnds):
    with tenant_context(municipio_rnds.id):
        cert = CertificadoA1.objects.get(ativo=True)
        vence = cert.valido_ate

        def aviso(dias_antes: float) -> int:
            return certificados_avisar_vencimento(
                municipio_id=municipio_rnds.id, agora=vence - datetime.timedelta(days=dias_antes)
            )

        assert aviso(40) == 0
        assert aviso(29) == 1 and aviso(28) == 0
        assert aviso(6) == 1 and aviso(5) == 0
        assert aviso(0.5) == 1 and aviso(0.2) == 0
        emails = list(EmailSaidaMunicipio.objects.order_by("id"))
    assert [e.para for e in emails] == [["alice@vila.gov.br"]] * 3
    assert "vence em 29 dia(s)" in emails[0].assunto


def test_rotate_encryption_keys_reencrypts_with_the_newest(settings, municipio_rnds, arquivos_pki):
    import base64
    import os

    nova = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.PEC_ENCRYPTION_KEYS = [nova, *settings.PEC_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys")
    settings.PEC_ENCRYPTION_KEYS = [nova]  # the old key is gone: everything must still open
    with tenant_context(municipio_rnds.id):
        cert = CertificadoA1.objects.get(ativo=True)
    assert certificado_segredos(cert=cert)[1] == arquivos_pki.senha_pfx


def _cadsus(cliente, documento: str) -> str:
    """The search as the page does it: posted, then shown at ?busca=<id> (never the document)."""
    resposta = cliente.post("/administracao/rnds/cadsus/", {"cpf_cns": documento})
    assert resposta.status_code == 302 and documento not in resposta.url
    return cliente.get(resposta.url).content.decode()


def test_cadsus_search_and_import_creates_then_updates(pessoas, municipio_rnds):
    pagina = _cadsus(pessoas["charlie"], "799000000000101")
    assert "certificado A1 válido" in pagina  # Charlie's municipality has none
    with tenant_context(pessoas["outro"].id):
        assert not Cidadao.objects.exists()
    recepcao = fabricas.usuario("Rita")
    lot = fabricas.lotacao_com_perfis(municipio_rnds, recepcao, cbo="422110")
    cliente = fabricas.entrar(recepcao, lot, pela_escolha=True)
    pagina = _cadsus(cliente, "799000000000101")
    assert "CIDADAO FICTICIO DA SILVA" in pagina and "Cadastrar no município" in pagina
    assert "Nenhum cidadão encontrado" in _cadsus(cliente, "52998224725")
    assert cliente.post("/administracao/rnds/cadsus/importar/", {"documento": "799000000000101"}).status_code == 302
    with tenant_context(municipio_rnds.id):
        cidadao = Cidadao.objects.get(cns="799000000000101")
    # CADSUS sexo M → LEDI 0; raça 02 (preta) → LEDI 2.
    assert (cidadao.nome.upper(), cidadao.sexo, cidadao.raca_cor) == ("CIDADAO FICTICIO DA SILVA", 0, 2)
    assert cidadao.data_nascimento == datetime.date(1938, 6, 25)
    assert cidadao.municipio_nascimento_ibge == "3304557" and cidadao.pai_desconhecido
    cliente.post("/administracao/rnds/cadsus/importar/", {"documento": "799000000000101"})
    with tenant_context(municipio_rnds.id):
        assert Cidadao.objects.filter(cns="799000000000101").count() == 1


def test_cadsus_uses_the_govbr_variant_with_the_users_govbr_token(pessoas, municipio_rnds, simulador):
    from pec.identity.govbr.acesso import SESSION_GOVBR

    recepcao = fabricas.usuario("Rita")
    cliente = fabricas.entrar(
        recepcao, fabricas.lotacao_com_perfis(municipio_rnds, recepcao, cbo="422110"), pela_escolha=True
    )
    url = cliente.post("/administracao/rnds/cadsus/", {"cpf_cns": "799000000000101"}).url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert "CIDADAO FICTICIO DA SILVA" in cliente.get(url).content.decode()
    sessao = cliente.session
    sessao[SESSION_GOVBR] = {"access_token": "token-do-govbr-da-rita", "nivel": "prata"}
    sessao.save()
    assert "CIDADAO FICTICIO DA SILVA" in cliente.get(url).content.decode()
    assert simulador.estado.consultas_cadsus[-2:] == [
        ("/cadsus/v2/PDQSupplierJWT", ""),
        ("/cadsus/v2/PDQSupplierJWTGovBR", "token-do-govbr-da-rita"),
    ]


def test_cadsus_refusal_says_to_enter_with_govbr(municipio_rnds, simulador):
    simulador.estado.cadsus_exige_govbr = True  # as CADSUS does for PEC since 5.1.14
    recepcao = fabricas.usuario("Rita")
    cliente = fabricas.entrar(
        recepcao, fabricas.lotacao_com_perfis(municipio_rnds, recepcao, cbo="422110"), pela_escolha=True
    )
    pagina = _cadsus(cliente, "799000000000101")
    assert "ele exige a entrada com a conta gov.br" in pagina and "CIDADAO FICTICIO" not in pagina
    assert simulador.estado.consultas_cadsus[-1] == ("/cadsus/v2/PDQSupplierJWT", "")


def test_cadsus_at_an_address_not_allowed_says_why_not_try_later(municipio_rnds, simulador, settings):
    """The receptionist (and the admin she calls) reads the installation's rule, not a
    "try again in a few minutes" that would never come true."""
    settings.PEC_HOSTS_LOCAIS = []  # the local peer's 127.0.0.1 is no longer allowed
    recepcao = fabricas.usuario("Rita")
    cliente = fabricas.entrar(
        recepcao, fabricas.lotacao_com_perfis(municipio_rnds, recepcao, cbo="422110"), pela_escolha=True
    )
    pagina = _cadsus(cliente, "799000000000101")
    assert "não está entre os permitidos" in pagina and "Tente de novo em alguns minutos" not in pagina
    assert simulador.estado.consultas_cadsus == []


def test_status_and_retry_commands(municipio_rnds, simulador, registros, capsys):
    simulador.estado.individuos_desconhecidos.add("11144477735")
    registros.criar(municipio_rnds, atendimento(quem=quem(cpf="11144477735")))
    outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds")
    call_command("rnds_status", municipio=municipio_rnds.ibge)
    saida = capsys.readouterr().out
    assert "erro=1" in saida and "MSG001" in saida
    simulador.estado.individuos_desconhecidos.clear()
    call_command("rnds_retry", municipio=municipio_rnds.ibge)
    assert "requeued 1; delivery: enviado=1" in capsys.readouterr().out
