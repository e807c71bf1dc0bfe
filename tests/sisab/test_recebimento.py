"""Receiving LEDI fichas: the PEC-compatible API, lote import and the admin pages."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from pec.tenancy import tenant_context
from sisab import ledi
from sisab.models import CredencialRecebimento, FichaRecebida, LoteRecebido
from sisab.recebimento import credencial_autenticar, credencial_emitir, ficha_receber, lote_importar
from tests import mundo as fabricas
from tests.sisab.test_ledi import BROKEN, EXAMPLES, VALID

pytestmark = pytest.mark.django_db

IBGE_EXEMPLOS = "4205407"  # every official example declares this municipality


@pytest.fixture
def municipio():
    return fabricas.municipio_com_perfis("Florianópolis", ibge=IBGE_EXEMPLOS)


@pytest.fixture
def admin(municipio):
    usuario = fabricas.usuario("Íris")
    lot = fabricas.lotacao_com_perfis(municipio, usuario, cbo="131205", perfis=["admin_municipal"])
    return usuario, lot


@pytest.fixture
def credencial(municipio, admin):
    with tenant_context(municipio.id):
        return credencial_emitir(
            municipio_id=municipio.id,
            nome="Servidor local",
            responsavel="Fulano",
            documento="12345678000199",
            email="ti@exemplo.gov.br",
            por=admin[0],
        )


def api_client(credencial) -> Client:
    registro, senha = credencial
    client = Client()
    resposta = client.post("/api/recebimento/login", {"usuario": registro.usuario, "senha": senha})
    assert resposta.status_code == 200, resposta.content
    assert "JSESSIONID" in resposta.cookies
    return client


def enviar(client: Client, nome: str, conteudo: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/recebimento/ficha", {"ficha": _arquivo(nome, conteudo)})


def _arquivo(nome: str, conteudo: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(nome, conteudo, content_type="application/octet-stream")


def exemplo(nome: str) -> tuple[str, bytes]:
    conteudo = (EXAMPLES / nome).read_bytes()
    dado = ledi.de_xml(conteudo)
    return f"{dado.uuid}.esus", conteudo


def test_credential_authenticates_without_any_tenant_and_only_with_its_password(credencial):
    registro, senha = credencial
    assert credencial_autenticar(usuario=registro.usuario, senha=senha).id == registro.id
    assert credencial_autenticar(usuario=registro.usuario, senha="errada") is None
    assert credencial_autenticar(usuario="ledi-naoexiste", senha=senha) is None
    # Outside that lookup, the row stays behind row-level security.
    assert not CredencialRecebimento.objects.exists()


def test_password_is_not_stored_in_clear(credencial):
    registro, senha = credencial
    assert senha not in registro.senha_hash and registro.senha_hash.startswith("argon2")


@pytest.mark.parametrize("nome", VALID)
def test_every_valid_official_example_is_accepted_as_xml_and_as_thrift(municipio, credencial, nome):
    client = api_client(credencial)
    arquivo, conteudo = exemplo(nome)
    resposta = enviar(client, arquivo, conteudo)
    assert resposta.status_code == 200, resposta.content.decode()
    with tenant_context(municipio.id):
        recebida = FichaRecebida.objects.get()
    assert recebida.formato == "xml" and recebida.credencial_id == credencial[0].id
    assert recebida.ficha == ledi.de_xml(conteudo).ficha
    # The same ficha as .esus is the same uuid: accepted again, stored once.
    resposta = enviar(client, arquivo, ledi.para_esus(ledi.de_xml(conteudo)))
    assert resposta.status_code == 200
    with tenant_context(municipio.id):
        assert FichaRecebida.objects.count() == 1


@pytest.mark.parametrize("nome,elemento", sorted(BROKEN.items()))
def test_broken_official_examples_are_refused_with_the_reason(municipio, credencial, nome, elemento):
    # A well-formed name (checked before decoding), so that the refusal is the XSD's.
    arquivo, conteudo = "0019615-1bb84623-72c6-4300-b505-c7c6b84ae616.esus", (EXAMPLES / nome).read_bytes()
    resposta = enviar(api_client(credencial), arquivo, conteudo)
    assert resposta.status_code == 400
    texto = resposta.content.decode()
    assert texto.startswith("Erro de validação") and elemento in texto
    with tenant_context(municipio.id):
        assert not FichaRecebida.objects.exists()


def test_thrift_ficha_of_another_municipality_is_refused(credencial):
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.cod_ibge = "3550308"
    resposta = enviar(api_client(credencial), f"{dado.uuid}.esus", ledi.para_esus(dado))
    assert resposta.status_code == 400 and "codIbge 3550308" in resposta.content.decode()


def test_file_must_be_named_after_its_uuid(credencial):
    _, conteudo = exemplo("Procedimentos.esus.xml")
    resposta = enviar(api_client(credencial), "qualquer.esus", conteudo)
    assert resposta.status_code == 400 and "uuidDadoSerializado" in resposta.content.decode()


def test_zip_sent_to_the_ficha_endpoint_is_refused(credencial):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as arquivo_zip:
        arquivo_zip.writestr("a.esus", b"x")
    resposta = enviar(api_client(credencial), "a.esus", buffer.getvalue())
    assert resposta.status_code == 400


def test_login_errors_follow_pec(credencial, municipio):
    client = Client()
    assert client.post("/api/recebimento/login", {"usuario": "x", "senha": "y"}).content.decode() == (
        "Usuário ou senha inválidos"
    )
    with tenant_context(municipio.id):
        CredencialRecebimento.objects.filter(id=credencial[0].id).update(ativo=False)
    resposta = client.post("/api/recebimento/login", {"usuario": credencial[0].usuario, "senha": credencial[1]})
    assert (resposta.status_code, resposta.content.decode()) == (400, "Credencial inativa")


def test_ficha_without_session_or_with_forged_cookie_is_refused(credencial):
    _, conteudo = exemplo("Procedimentos.esus.xml")
    client = Client()
    assert enviar(client, "x.esus", conteudo).status_code == 401
    client.cookies["JSESSIONID"] = '{"c": 1, "m": 1}'
    assert enviar(client, "x.esus", conteudo).status_code == 401


def test_deactivated_credential_stops_an_open_session(credencial, municipio):
    client = api_client(credencial)
    with tenant_context(municipio.id):
        CredencialRecebimento.objects.filter(id=credencial[0].id).update(ativo=False)
    arquivo, conteudo = exemplo("Procedimentos.esus.xml")
    assert enviar(client, arquivo, conteudo).content.decode() == "Credencial inativa"


def lote_zip(*arquivos: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as arquivo_zip:
        for nome, conteudo in arquivos:
            arquivo_zip.writestr(nome, conteudo)
    return buffer.getvalue()


def test_lote_accepts_good_fichas_lists_refusals_and_counts_repeats(municipio, admin):
    bons = [exemplo(nome) for nome in VALID[:5]]
    conteudo = lote_zip(
        *bons,
        ("quebrado.esus.xml", (EXAMPLES / "Vacinacao.esus.xml").read_bytes()),
        ("lixo.esus", b"\x00\x01\x02"),
        (bons[0][0] + ".xml", ledi.para_xml(ledi.de_xml(bons[0][1]))),
    )
    lote = lote_importar(municipio=municipio, nome="lote.zip", conteudo=conteudo, por=admin[0])
    assert (lote.total, lote.aceitas, lote.repetidas) == (8, 5, 1)
    assert sorted(recusa["arquivo"] for recusa in lote.recusas) == ["lixo.esus", "quebrado.esus.xml"]
    with tenant_context(municipio.id):
        assert FichaRecebida.objects.filter(lote=lote).count() == 5


def test_an_unreadable_member_is_refused_and_the_rest_imported(municipio, admin):
    bom = exemplo(VALID[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as arquivo_zip:
        arquivo_zip.writestr(*bom)
        arquivo_zip.writestr("ruim.esus", bytes(range(256)) * 200)
    conteudo = fabricas.zip_com_membro_corrompido(buffer.getvalue(), "ruim.esus")
    lote = lote_importar(municipio=municipio, nome="lote.zip", conteudo=conteudo, por=admin[0])
    assert (lote.total, lote.aceitas) == (2, 1)
    assert [r["arquivo"] for r in lote.recusas] == ["ruim.esus"] and "ilegível" in lote.recusas[0]["motivo"]


def test_not_a_zip_is_refused_whole(municipio, admin):
    with pytest.raises(ledi.LediErro, match="zip"):
        lote_importar(municipio=municipio, nome="x.zip", conteudo=b"not a zip", por=admin[0])
    with tenant_context(municipio.id):
        assert not LoteRecebido.objects.exists()


def test_import_lote_command(municipio, tmp_path, capsys):
    caminho = tmp_path / "lote.zip"
    caminho.write_bytes(lote_zip(*(exemplo(nome) for nome in VALID[:3])))
    call_command("import_lote", str(caminho), "--municipio", IBGE_EXEMPLOS)
    assert "3 accepted" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No municipality"):
        call_command("import_lote", str(caminho), "--municipio", "1234567")


def test_admin_issues_credential_shown_once_and_it_works(municipio, admin):
    client = fabricas.entrar(*admin, pela_escolha=True)
    assert client.get("/administracao/recebimento-ledi/").status_code == 200
    resposta = client.post(
        "/administracao/recebimento-ledi/credenciais/nova/",
        {"nome": "Sistema X", "responsavel": "Fulano", "documento": "12.345.678/0001-99", "email": "a@b.br"},
    )
    assert resposta.status_code == 200
    senha = resposta.context["senha"]
    usuario = resposta.context["credencial"].usuario
    assert Client().post("/api/recebimento/login", {"usuario": usuario, "senha": senha}).status_code == 200
    pagina = client.get("/administracao/recebimento-ledi/").content.decode()
    assert usuario in pagina and senha not in pagina


ENVIAR_LOTE = "/administracao/recebimento-ledi/lotes/enviar/"


def test_admin_uploads_lote_imported_by_a_worker_and_sees_its_report(
    municipio, admin, celery_eager, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.LEDI_LOTES_DIR = tmp_path
    client = fabricas.entrar(*admin, pela_escolha=True)
    conteudo = lote_zip(exemplo(VALID[0]), ("lixo.esus", b"\x00"))
    with django_capture_on_commit_callbacks() as tarefas:
        resposta = client.post(ENVIAR_LOTE, {"arquivo": _arquivo("lote.zip", conteudo)})
    assert resposta.status_code == 302
    # The request only stored and queued it: the page says so and refreshes itself.
    pagina = client.get(resposta["Location"]).content.decode()
    assert "Importação na fila" in pagina and 'http-equiv="refresh"' in pagina
    with tenant_context(municipio.id):
        assert not FichaRecebida.objects.exists()
    assert len(tarefas) == 1 and len(list(tmp_path.iterdir())) == 1
    tarefas[0]()  # after the commit: the worker (eager here) imports it
    pagina = client.get(resposta["Location"]).content.decode()
    assert "1 ficha(s) aceita(s)" in pagina and "lixo.esus" in pagina and "refresh" not in pagina
    assert list(tmp_path.iterdir()) == []  # the stored upload is gone once read


def test_lote_whose_import_fails_in_the_worker_says_so_and_its_file_goes(
    municipio, admin, celery_eager, django_capture_on_commit_callbacks, settings, tmp_path, monkeypatch
):
    """The import rolled back (here a fault injected in it): the lote must not stay "em
    andamento" with a page refreshing forever."""
    from sisab import recebimento

    settings.LEDI_LOTES_DIR = tmp_path
    client = fabricas.entrar(*admin, pela_escolha=True)
    with django_capture_on_commit_callbacks() as tarefas:
        resposta = client.post(ENVIAR_LOTE, {"arquivo": _arquivo("lote.zip", lote_zip(exemplo(VALID[0])))})

    def falhar(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker fault")

    monkeypatch.setattr(recebimento, "_importar", falhar)
    tarefas[0]()  # the eager worker records the task's failure, as a real one would
    pagina = client.get(resposta["Location"]).content.decode()
    assert "Erro interno ao importar o lote" in pagina and "refresh" not in pagina
    with tenant_context(municipio.id):
        assert LoteRecebido.objects.get().status == LoteRecebido.Status.FALHOU
    assert list(tmp_path.iterdir()) == []


def test_lote_that_is_not_a_zip_is_refused_at_upload_and_nothing_is_kept(municipio, admin, settings, tmp_path):
    settings.LEDI_LOTES_DIR = tmp_path
    resposta = fabricas.entrar(*admin, pela_escolha=True).post(
        ENVIAR_LOTE, {"arquivo": _arquivo("lote.zip", b"not a zip")}, follow=True
    )
    assert "não é um zip válido" in resposta.content.decode()
    with tenant_context(municipio.id):
        assert not LoteRecebido.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_upload_over_the_cap_is_refused_before_its_body_is_read(municipio, admin, credencial, settings, tmp_path):
    """The declared size is refused before Django parses the body: here the body is a few
    bytes that declare 60 MB, and reading it would fail the test client's payload."""
    settings.LEDI_LOTES_DIR = tmp_path
    grande: dict[str, Any] = {"CONTENT_LENGTH": str(60 * 1024 * 1024)}
    client = fabricas.entrar(*admin, pela_escolha=True)
    resposta = client.post(ENVIAR_LOTE, {"arquivo": _arquivo("lote.zip", b"PK")}, **grande)
    assert resposta.status_code == 302
    pagina = client.get(resposta["Location"])
    assert "Arquivo grande demais (máximo de 50 MB)." in [str(m) for m in pagina.context["messages"]]
    resposta = api_client(credencial).post(
        "/api/v1/recebimento/ficha", {"ficha": _arquivo("a.esus", b"x")}, CONTENT_LENGTH=str(6 * 1024 * 1024)
    )
    assert (resposta.status_code, resposta.content.decode()) == (
        400,
        "Erro de validação: Arquivo grande demais (máximo de 5 MB).",
    )
    with tenant_context(municipio.id):
        assert not LoteRecebido.objects.exists() and not FichaRecebida.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_pages_need_the_admin_permission(municipio):
    medico = fabricas.usuario("Bruno")
    lot = fabricas.lotacao_com_perfis(municipio, medico, cbo="225142")
    assert fabricas.entrar(medico, lot, pela_escolha=True).get("/administracao/recebimento-ledi/").status_code == 403


def test_other_municipality_gets_404_on_lote_and_credential(municipio, admin, credencial):
    lote = lote_importar(municipio=municipio, nome="a.zip", conteudo=lote_zip(exemplo(VALID[0])), por=admin[0])
    outro = fabricas.municipio_com_perfis("Outro")
    charlie = fabricas.usuario("Charlie")
    client = fabricas.entrar(
        charlie,
        fabricas.lotacao_com_perfis(outro, charlie, cbo="131205", perfis=["admin_municipal"]),
        pela_escolha=True,
    )
    assert client.get(f"/administracao/recebimento-ledi/lotes/{lote.id}/").status_code == 404
    resposta = client.post(f"/administracao/recebimento-ledi/credenciais/{credencial[0].id}/desativar/")
    assert resposta.status_code == 404
    with tenant_context(municipio.id):
        assert CredencialRecebimento.objects.get(id=credencial[0].id).ativo


def test_credential_of_a_cannot_send_into_b(credencial):
    """The session is bound to the credential's municipality: B's codIbge is refused."""
    outro = fabricas.municipio_com_perfis("Outro", ibge="3550308")
    dado = ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())
    dado.cod_ibge = outro.ibge
    resposta = enviar(api_client(credencial), f"{dado.uuid}.esus", ledi.para_esus(dado))
    assert resposta.status_code == 400
    with tenant_context(outro.id):
        assert not FichaRecebida.objects.exists()


def procedimentos() -> ledi.DadoTransporte:
    return ledi.de_xml((EXAMPLES / "Procedimentos.esus.xml").read_bytes())


UUID_LONGO = "0019615-6f783cac-ab7c-4246-8458-d3cd99164c10-0"  # 46 characters


@pytest.mark.parametrize(
    "campo,valor,motivo",
    [
        ("cnes", "12345678", "cnesDadoSerializado “12345678” deve ter 7 dígitos"),
        ("cnes", "ABCDEFG", "cnesDadoSerializado “ABCDEFG” deve ter 7 dígitos"),
        ("ine", "12345678901", "ineDadoSerializado “12345678901” deve ter 10 dígitos"),
        ("uuid", "0019615-6f783cac-ab7c-4246-8458-d3cd99164bf8k", "não é um UUID canônico"),
        ("uuid", UUID_LONGO, "não é um UUID canônico"),
    ],
)
def test_envelope_values_beyond_the_layout_are_refused_not_a_500(municipio, admin, campo, valor, motivo):
    """They pass the XSD (no length there) and overflowed the database columns."""
    dado = procedimentos()
    setattr(dado, campo, valor)
    conteudo = ledi.para_xml(dado)
    ledi.de_xml(conteudo)  # the XSD lets it through
    with tenant_context(municipio.id), pytest.raises(ledi.LediErro, match=motivo):
        ficha_receber(municipio=municipio, conteudo=conteudo)
    with tenant_context(municipio.id):
        assert not FichaRecebida.objects.exists()


def test_too_long_values_are_a_400_and_refuse_only_their_file_in_a_lote(municipio, admin, credencial):
    ruins = []
    for campo, valor in [("cnes", "12345678"), ("ine", "12345678901"), ("uuid", UUID_LONGO)]:
        dado = procedimentos()
        setattr(dado, campo, valor)
        ruins.append((f"{dado.uuid}.esus", ledi.para_xml(dado)))
    client = api_client(credencial)
    for nome, conteudo in ruins:
        resposta = enviar(client, nome, conteudo)
        assert resposta.status_code == 400 and resposta.content.decode().startswith("Erro de validação")
    lote = lote_importar(
        municipio=municipio, nome="lote.zip", conteudo=lote_zip(exemplo(VALID[0]), *ruins), por=admin[0]
    )
    assert (lote.total, lote.aceitas, len(lote.recusas)) == (4, 1, 3)


def test_file_name_is_checked_before_the_file_is_decoded(municipio):
    with tenant_context(municipio.id), pytest.raises(ledi.LediErro, match="nome do arquivo"):
        # The content would make the decoder fail; the name is refused first.
        ficha_receber(municipio=municipio, conteudo=b"\x0b\x00\x01\x7f\xff\xff\xffabc", nome_arquivo="../x.esus")


def _header(dado: ledi.DadoTransporte, **campos) -> ledi.DadoTransporte:
    dado.ficha["headerTransport"].update(campos)
    return dado


def _cpf_invalido(dado: ledi.DadoTransporte) -> ledi.DadoTransporte:
    filho = dado.ficha["atendProcedimentos"][0]
    filho.pop("cnsCidadao", None)
    filho["cpfCidadao"] = "12345678900"
    return dado


EM_2100 = int(datetime.datetime(2100, 6, 15, 15, tzinfo=datetime.UTC).timestamp() * 1000)
QUEBRAS_DE_REGRA = {
    "CNS do profissional": (lambda d: _header(d, profissionalCNS="123456789012345"), "O CNS do profissional"),
    "CBO 999999": (lambda d: _header(d, cboCodigo_2002="999999"), "A CBO 999999 da lotação não pode registrar"),
    "data em 2100": (lambda d: _header(d, dataAtendimento=EM_2100), "(15/06/2100) está no futuro"),
    "CNES ABCDEFG": (lambda d: _header(d, cnes="ABCDEFG"), "O CNES da lotação deve ter 7 dígitos"),
    "CPF do cidadão": (_cpf_invalido, "O CPF do cidadão (12345678900) é inválido"),
}


@pytest.mark.parametrize("formato", ["xml", "esus"])
@pytest.mark.parametrize("quebra", sorted(QUEBRAS_DE_REGRA))
def test_ledi_rules_of_the_export_are_applied_on_receipt(municipio, credencial, quebra, formato):
    mudar, regra = QUEBRAS_DE_REGRA[quebra]
    dado = mudar(procedimentos())
    conteudo = ledi.para_xml(dado) if formato == "xml" else ledi.para_esus(dado)
    resposta = enviar(api_client(credencial), f"{dado.uuid}.esus", conteudo)
    assert resposta.status_code == 400, resposta.content.decode()
    assert regra in resposta.content.decode()
    with tenant_context(municipio.id):
        assert not FichaRecebida.objects.exists()


def test_esus_is_held_to_the_xsd_too(municipio, credencial):
    """A FAI with no header was accepted as .esus: nothing checked it."""
    dado = ledi.de_xml((EXAMPLES / "Atendimento_Individual.esus.xml").read_bytes())
    del dado.ficha["headerTransport"]
    resposta = enviar(api_client(credencial), f"{dado.uuid}.esus", ledi.para_esus(dado))
    assert resposta.status_code == 400 and "headerTransport" in resposta.content.decode()
    dado = procedimentos()
    del dado.remetente["contraChave"]  # required by the XSD, optional in the IDL
    resposta = enviar(api_client(credencial), f"{dado.uuid}.esus", ledi.para_esus(dado))
    assert resposta.status_code == 400 and "XSD" in resposta.content.decode()
    assert "contraChave" in resposta.content.decode()


def test_hostile_esus_is_a_400_through_the_api_and_one_refusal_each_in_a_lote(municipio, admin, credencial):
    """Issue 15 item 1 end to end (timing and memory: bench/ledi_recebimento_bench.py)."""
    from tests.sisab.test_ledi import STRING_DE_2_GIB

    nome = "0019615-6f783cac-ab7c-4246-8458-d3cd99164c10.esus"
    resposta = enviar(api_client(credencial), nome, STRING_DE_2_GIB)
    assert resposta.status_code == 400 and "declara 2147483647 bytes" in resposta.content.decode()
    nomes = [nome.replace("c10", f"c1{n}") for n in range(3)]
    lote = lote_importar(
        municipio=municipio, nome="bomba.zip", conteudo=lote_zip(*((n, STRING_DE_2_GIB) for n in nomes)), por=admin[0]
    )
    assert (lote.total, lote.aceitas) == (3, 0)
    assert all("declara 2147483647 bytes" in recusa["motivo"] for recusa in lote.recusas)


# --- The API's login: limits, timing, deactivation (pec.identity.tentativas) ------------------------------


def test_api_login_is_throttled_even_with_the_right_password_afterwards(credencial, settings):
    registro, senha = credencial
    client = Client()
    for _ in range(settings.PEC_LOGIN_LIMITE_CONTA):
        assert (
            client.post("/api/recebimento/login", {"usuario": registro.usuario, "senha": "errada"}).status_code == 400
        )
    resposta = Client(REMOTE_ADDR="198.51.100.9").post(
        "/api/recebimento/login", {"usuario": registro.usuario, "senha": senha}
    )
    assert resposta.status_code == 429 and "aguarde" in resposta.content.decode()
    assert "JSESSIONID" not in resposta.cookies


def test_api_login_of_an_unknown_user_hashes_a_password_like_a_known_one(credencial):
    """Timing must not tell which logins exist: both paths run the password hasher once."""
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.test import override_settings

    chamadas = []

    class Contador(Argon2PasswordHasher):
        def encode(self, password, salt):  # type: ignore[no-untyped-def]
            chamadas.append("encode")
            return super().encode(password, salt)

        def verify(self, password, encoded):  # type: ignore[no-untyped-def]
            chamadas.append("verify")
            return super().verify(password, encoded)

    caminho = f"{__name__}.Contador"
    globals()["Contador"] = Contador
    with override_settings(PASSWORD_HASHERS=[caminho]):
        assert credencial_autenticar(usuario=credencial[0].usuario, senha="errada") is None
        assert chamadas == ["verify"]
        assert credencial_autenticar(usuario="ledi-naoexiste", senha="errada") is None
        assert chamadas == ["verify", "encode"]


def test_an_open_api_session_stops_when_its_municipality_is_deactivated(credencial, municipio):
    client = api_client(credencial)
    municipio.ativo = False
    municipio.save(update_fields=["ativo"])
    arquivo, conteudo = exemplo("Procedimentos.esus.xml")
    resposta = enviar(client, arquivo, conteudo)
    assert (resposta.status_code, resposta.content.decode()) == (400, "Credencial inativa")
