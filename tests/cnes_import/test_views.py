"""Alice administers Taboleiro Grande, Bob is a doctor there, Charlie administers another
municipality: "Charlie should have no access to Alice's stuff". Preview and apply run in a
Celery worker (eager here, once the request has committed); the request only queues them."""

from __future__ import annotations

import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cnes_import.models import ImportacaoCnes
from cnes_import.services import envio_caminho
from cnes_import.views import SESSAO_PREVIA
from pec.identity.permissoes import perfis_garantir_padrao
from pec.models import EventoAuditoria, LotacaoPerfil, Perfil, Profissional
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.cnes_import.conftest import XML_2021, XML_2022, foto_do_banco

pytestmark = pytest.mark.django_db


def dar_perfil(lotacao, codigo: str) -> None:
    with tenant_context(lotacao.municipio_id):
        perfil = perfis_garantir_padrao(municipio_id=lotacao.municipio_id)[codigo]
        LotacaoPerfil.objects.create(municipio_id=lotacao.municipio_id, lotacao=lotacao, perfil=perfil)


@pytest.fixture
def pessoas(taboleiro):
    outro = fabricas.municipio("Outro")
    alice, bob, charlie = fabricas.usuario("Alice Admin"), fabricas.usuario("Bob Médico"), fabricas.usuario("Charlie")
    lotacoes = {
        "alice": fabricas.lotacao(taboleiro, alice, cbo="131205"),
        "bob": fabricas.lotacao(taboleiro, bob),
        "charlie": fabricas.lotacao(outro, charlie, cbo="131205"),
    }
    dar_perfil(lotacoes["alice"], "admin_municipal")
    dar_perfil(lotacoes["bob"], "medico")
    dar_perfil(lotacoes["charlie"], "admin_municipal")
    return {
        "lotacoes": lotacoes,
        "alice": fabricas.entrar(alice, lotacoes["alice"], client=Client(REMOTE_ADDR="198.51.100.7")),
        "bob": fabricas.entrar(bob, lotacoes["bob"], client=Client(REMOTE_ADDR="198.51.100.7")),
        "charlie": fabricas.entrar(charlie, lotacoes["charlie"], client=Client(REMOTE_ADDR="198.51.100.7")),
        "outro": outro,
    }


@pytest.fixture
def postar(celery_eager, django_capture_on_commit_callbacks):
    """A POST whose queued work runs once the request has committed, as a worker would."""

    def post(cliente: Client, url: str, dados: dict | None = None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return cliente.post(url, dados or {}, **extra)

    return post


def enviar(postar, cliente: Client, caminho, **extra):
    arquivo = SimpleUploadedFile(caminho.name, caminho.read_bytes(), content_type="application/xml")
    return postar(cliente, reverse("cnes_importacoes"), {"arquivo": arquivo, **extra})


def profissionais(municipio) -> set[str]:
    with tenant_context(municipio.id):
        return set(Profissional.objects.values_list("cpf", flat=True))


def test_upload_preview_then_apply(pessoas, taboleiro, celery_eager, django_capture_on_commit_callbacks):
    alice = pessoas["alice"]
    assert "Importação CNES" in alice.get(reverse("inicio")).content.decode()
    antes = foto_do_banco(taboleiro)

    arquivo = SimpleUploadedFile(XML_2021.name, XML_2021.read_bytes(), content_type="application/xml")
    with django_capture_on_commit_callbacks() as tarefas:
        resposta = alice.post(reverse("cnes_importacoes"), {"arquivo": arquivo})
    with tenant_context(taboleiro.id):
        simulada = ImportacaoCnes.objects.get()
    assert resposta.status_code == 302 and resposta.url == reverse("cnes_importacao", args=[simulada.id])
    # The request only stored and queued the file: its page says so and refreshes itself.
    assert simulada.status == ImportacaoCnes.Status.NA_FILA and simulada.simulacao
    pagina = alice.get(resposta.url).content.decode()
    assert "Prévia da importação: na fila" in pagina and 'http-equiv="refresh"' in pagina and "Aplicar" not in pagina
    # "Aplicar" before the preview is ready changes nothing and keeps the file for the worker.
    cedo = alice.post(reverse("cnes_importacao_aplicar", args=[simulada.id]))
    assert cedo.url == resposta.url and alice.session[SESSAO_PREVIA]["importacao_id"] == simulada.id
    assert len(tarefas) == 1
    tarefas[0]()  # after the commit: the worker (eager here) simulates it
    simulada.refresh_from_db()
    assert simulada.simulacao and simulada.ok and simulada.usuario is not None
    assert foto_do_banco(taboleiro) == antes  # the preview wrote nothing

    previa = alice.get(resposta.url).content.decode()
    assert "Prévia da importação" in previa and "Aplicar" in previa and "refresh" not in previa
    assert "PROFISSIONAL FICTICIO 101" in previa  # the change list names who joins
    # Alice's own lotação is not in the file: the preview warns that no administrator remains.
    assert "nenhuma lotação ativa terá a permissão de administrar" in previa

    with django_capture_on_commit_callbacks() as tarefas:
        resposta = alice.post(reverse("cnes_importacao_aplicar", args=[simulada.id]))
    with tenant_context(taboleiro.id):
        aplicada = ImportacaoCnes.objects.exclude(id=simulada.id).get()
    assert resposta.status_code == 302 and resposta.url == reverse("cnes_importacao", args=[aplicada.id])
    assert aplicada.status == ImportacaoCnes.Status.NA_FILA and len(profissionais(taboleiro)) == 2
    assert "Importação do CNES: na fila" in alice.get(resposta.url).content.decode()
    [tarefa] = tarefas
    tarefa()
    aplicada.refresh_from_db()
    assert aplicada.ok and not aplicada.simulacao
    assert aplicada.arquivo_sha256 == simulada.arquivo_sha256
    assert aplicada.contagens["lotacoes"]["criados"] == 57
    assert len(profissionais(taboleiro)) == 55 + 2  # the file's and Alice's and Bob's
    assert aplicada.mensagem.startswith("Importação concluída")
    # Audited as the request that asked for it: who, from where, which request.
    with tenant_context(taboleiro.id):
        evento = EventoAuditoria.objects.get(evento="admin_alteracao")
    assert evento.detalhes["acao"] == "importacao_cnes" and evento.detalhes["importacao_id"] == aplicada.id
    assert (evento.usuario_id, evento.lotacao_id) == (aplicada.usuario_id, pessoas["lotacoes"]["alice"].id)
    assert (evento.ip, evento.request_id) == ("198.51.100.7", resposta["X-Request-ID"])
    assert SESSAO_PREVIA not in alice.session
    assert envio_caminho(token=aplicada.token) is None  # the stored upload is gone once applied


def test_broker_down_marks_the_upload_failed_with_a_message(
    pessoas, taboleiro, broker_fora_do_ar, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.CNES_ENVIOS_DIR = tmp_path
    alice = pessoas["alice"]
    arquivo = SimpleUploadedFile(XML_2021.name, XML_2021.read_bytes(), content_type="application/xml")
    with django_capture_on_commit_callbacks(execute=True):
        resposta = alice.post(reverse("cnes_importacoes"), {"arquivo": arquivo})
    assert resposta.status_code == 302
    with tenant_context(taboleiro.id):
        falha = ImportacaoCnes.objects.get()
    assert falha.status == ImportacaoCnes.Status.FALHOU
    pagina = alice.get(resposta.url).content.decode()
    assert "A fila de tarefas está indisponível: envie o arquivo de novo." in pagina
    assert "refresh" not in pagina and "Aplicar" not in pagina
    assert list(tmp_path.iterdir()) == []  # nothing kept
    assert SESSAO_PREVIA not in alice.session


def test_file_changed_after_the_preview_is_not_applied(pessoas, taboleiro, postar):
    """The worker applies only the bytes that were previewed."""
    alice = pessoas["alice"]
    enviar(postar, alice, XML_2021)
    with tenant_context(taboleiro.id):
        simulada = ImportacaoCnes.objects.get()
    envio_caminho(token=alice.session[SESSAO_PREVIA]["token"]).write_bytes(XML_2022.read_bytes())
    resposta = postar(alice, reverse("cnes_importacao_aplicar", args=[simulada.id]))
    with tenant_context(taboleiro.id):
        aplicada = ImportacaoCnes.objects.exclude(id=simulada.id).get()
    assert aplicada.status == ImportacaoCnes.Status.FALHOU
    assert "Esta prévia não está mais disponível" in alice.get(resposta.url).content.decode()
    assert len(profissionais(taboleiro)) == 2
    assert envio_caminho(token=aplicada.token) is None


def test_apply_twice_or_without_preview_imports_nothing(pessoas, taboleiro, postar):
    alice = pessoas["alice"]
    enviar(postar, alice, XML_2022)
    with tenant_context(taboleiro.id):
        simulada = ImportacaoCnes.objects.get()
    token = alice.session[SESSAO_PREVIA]["token"]
    assert envio_caminho(token=token) is not None
    descartar = alice.post(reverse("cnes_importacao_descartar", args=[simulada.id]))
    assert descartar.status_code == 302
    assert envio_caminho(token=token) is None  # the stored upload is gone
    resposta = postar(alice, reverse("cnes_importacao_aplicar", args=[simulada.id]), follow=True)
    assert "não está mais disponível" in resposta.content.decode()
    with tenant_context(taboleiro.id):
        assert ImportacaoCnes.objects.count() == 1
    assert len(profissionais(taboleiro)) == 2


def test_file_of_another_municipality_is_refused_on_upload(pessoas, postar, settings, tmp_path):
    settings.CNES_ENVIOS_DIR = tmp_path
    charlie = pessoas["charlie"]
    resposta = enviar(postar, charlie, XML_2021)
    with tenant_context(pessoas["outro"].id):
        recusada = ImportacaoCnes.objects.get()
    assert recusada.status == ImportacaoCnes.Status.RECUSADA
    pagina = charlie.get(resposta.url).content.decode()
    assert "Importação recusada" in pagina and "2413805" in pagina and "Aplicar" not in pagina
    assert SESSAO_PREVIA not in charlie.session
    assert list(tmp_path.iterdir()) == []  # a refused file is not kept


def test_zip_upload_and_reset_perfis_flag(pessoas, taboleiro, tmp_path, postar):
    pacote = tmp_path / "cnes.zip"
    with zipfile.ZipFile(pacote, "w") as z:
        z.write(XML_2022, XML_2022.name)
    enviar(postar, pessoas["alice"], pacote, resetar_perfis="on")
    with tenant_context(taboleiro.id):
        simulada = ImportacaoCnes.objects.get()
    assert simulada.ok and simulada.resetar_perfis
    assert simulada.contagens["lotacoes"]["criados"] == 67


def test_wrong_extension_is_rejected_by_the_form(pessoas, taboleiro):
    arquivo = SimpleUploadedFile("planilha.csv", b"a,b", content_type="text/csv")
    resposta = pessoas["alice"].post(reverse("cnes_importacoes"), {"arquivo": arquivo})
    assert resposta.status_code == 200
    assert "Envie o arquivo .xml" in resposta.content.decode()
    with tenant_context(taboleiro.id):
        assert not ImportacaoCnes.objects.exists()


def test_charlie_gets_404_on_alices_imports(pessoas, taboleiro, django_capture_on_commit_callbacks):
    arquivo = SimpleUploadedFile(XML_2021.name, XML_2021.read_bytes(), content_type="application/xml")
    with django_capture_on_commit_callbacks():  # left in the queue: its status page
        pessoas["alice"].post(reverse("cnes_importacoes"), {"arquivo": arquivo})
    with tenant_context(taboleiro.id):
        importacao = ImportacaoCnes.objects.get()
    assert importacao.em_curso
    charlie = pessoas["charlie"]
    assert pessoas["alice"].get(reverse("cnes_importacao", args=[importacao.id])).status_code == 200
    assert charlie.get(reverse("cnes_importacao", args=[importacao.id])).status_code == 404
    assert charlie.post(reverse("cnes_importacao_aplicar", args=[importacao.id])).status_code == 404
    assert charlie.post(reverse("cnes_importacao_descartar", args=[importacao.id])).status_code == 404
    assert "XmlParaESUS21" not in charlie.get(reverse("cnes_importacoes")).content.decode()
    assert len(profissionais(taboleiro)) == 2


def test_every_cnes_url_with_an_object_id_is_in_the_404_test():
    """The import's page is also the status page of a queued upload: a new page with an id
    belongs in test_charlie_gets_404_on_alices_imports."""
    from cnes_import import urls

    com_id = {p.name for p in urls.urlpatterns if p.pattern.converters}
    assert com_id == {"cnes_importacao", "cnes_importacao_aplicar", "cnes_importacao_descartar"}


def test_only_municipal_admins_may_import(pessoas, taboleiro, postar):
    bob = pessoas["bob"]
    assert bob.get(reverse("cnes_importacoes")).status_code == 403
    assert enviar(postar, bob, XML_2021).status_code == 403
    assert "Importação CNES" not in bob.get(reverse("inicio")).content.decode()
    with tenant_context(taboleiro.id):
        assert not ImportacaoCnes.objects.exists()
        assert Perfil.objects.filter(codigo="admin_municipal").exists()
    anonimo = Client().get(reverse("cnes_importacoes"))
    assert anonimo.status_code == 302 and "/conta/" in anonimo.url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it


def test_upload_over_the_cap_is_refused_before_its_body_is_read(pessoas, taboleiro, settings, tmp_path):
    """The form's 200 MB check ran after Django had taken in the whole body. The body here
    is a few bytes declaring 250 MB: reading it would fail the test client's payload."""
    settings.CNES_ENVIOS_DIR = tmp_path
    alice = pessoas["alice"]
    arquivo = SimpleUploadedFile("cnes.xml", b"<x/>", content_type="application/xml")
    resposta = alice.post(reverse("cnes_importacoes"), {"arquivo": arquivo}, CONTENT_LENGTH=str(250 * 1024 * 1024))
    assert resposta.status_code == 302 and resposta.url == reverse("cnes_importacoes")
    mensagens = [str(m) for m in alice.get(resposta.url).context["messages"]]
    assert mensagens == ["Arquivo grande demais (máximo de 200 MB)."]
    with tenant_context(taboleiro.id):
        assert not ImportacaoCnes.objects.exists()
    assert list(tmp_path.iterdir()) == []
