"""Who may put what in an atendimento, and whose name it carries.

Prescrição, exames and atestado follow the actor's perfil on the server (finalising and
printing), and the page hides what the perfil may not issue. A draft belongs to the
professional who conducts it: another one continues it only by assuming it, audited, and
the record, its PDFs, the RAC and the FAI then name the one who finalised."""

from __future__ import annotations

import re
import zlib

import pytest

from pec.models import EventoAuditoria, Perfil, Profissional
from pec.tenancy import tenant_context
from prontuario.clinico import services as clinico
from prontuario.clinico.models import Atendimento, Atestado, ExameSolicitado, Prescricao
from rnds.mapeamento import atendimento_para_registro
from sisab.fichas import atendimento_individual
from tests.mundo import cns_provisorio, entrar
from tests.prontuario.clinica import clinica, formulario_atendimento

pytestmark = pytest.mark.django_db

PRESCRICAO = {
    "prescricoes-0-medicamento": "BR0268315",
    "prescricoes-0-dose": "1 comprimido",
    "prescricoes-0-via": "0",
    "prescricoes-0-posologia": "de 12 em 12 horas",
    "prescricoes-0-duracao_dias": "7",
}
EXAME = {"exames-0-sigtap": "0202010473"}
ATESTADO = {"atestado-dias": "3"}
# permission -> (what the form carries, model written, PDF type, field label on the page)
CASOS = {
    "prescricao.emitir": (PRESCRICAO, Prescricao, "prescricao", "Medicamento (CATMAT)"),
    "exame.solicitar": (EXAME, ExameSolicitado, "exames", "Exame (SIGTAP)"),
    "atestado.emitir": (ATESTADO, Atestado, "atestado", "Dias de afastamento"),
}


def _sem(lotacao, codigo):
    """The lotação's perfis lose one permission (the municipal admin edited the perfil)."""
    with tenant_context(lotacao.municipio_id):
        for perfil in Perfil.objects.filter(lotacoes=lotacao):
            perfil.permissoes = [p for p in perfil.permissoes if p != codigo]
            perfil.save()


def _iniciar(mundo, lotacao):
    with tenant_context(mundo.a.id):
        return clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=lotacao)


@pytest.mark.parametrize("codigo", sorted(CASOS))
def test_finalising_with_a_document_the_perfil_may_not_issue_is_refused(codigo):
    dados, modelo, _, rotulo = CASOS[codigo]
    mundo = clinica()
    _sem(mundo.bob, codigo)
    atendimento = _iniciar(mundo, mundo.bob)
    bob = entrar(mundo.bob)
    assert rotulo not in bob.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    pagina = bob.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(**dados), "versao": "1"})
    assert pagina.status_code == 200
    assert "Seu perfil nesta lotação não permite" in pagina.content.decode()
    with tenant_context(mundo.a.id):
        assert Atendimento.objects.get(pk=atendimento.pk).status == Atendimento.Status.RASCUNHO
        assert not modelo.objects.exists()  # type: ignore[attr-defined]  # each concrete model has objects


def test_nurse_without_atestado_emitir_cannot_issue_an_atestado():
    """The reported case: the default enfermeiro perfil has no atestado.emitir."""
    mundo = clinica()
    atendimento = _iniciar(mundo, mundo.nina)
    nina = entrar(mundo.nina)
    pagina = nina.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    assert "Dias de afastamento" not in pagina and "Medicamento (CATMAT)" in pagina
    nina.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(**ATESTADO), "versao": "1"})
    with tenant_context(mundo.a.id):
        assert Atendimento.objects.get(pk=atendimento.pk).status == Atendimento.Status.RASCUNHO
        assert not Atestado.objects.exists()


@pytest.mark.parametrize("codigo", sorted(CASOS))
def test_printing_a_document_needs_the_permission_to_issue_it(codigo):
    dados, _, tipo, _ = CASOS[codigo]
    mundo = clinica()
    atendimento = _iniciar(mundo, mundo.bob)
    bob = entrar(mundo.bob)
    bob.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(**dados), "versao": "1"})
    url = f"/prontuario/atendimentos/{atendimento.pk}/{tipo}.pdf"
    assert bob.get(url).status_code == 200
    assert url in bob.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    _sem(mundo.bob, codigo)
    assert bob.get(url).status_code == 403
    assert url not in bob.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()


def test_another_professional_neither_autosaves_nor_finalises_the_draft():
    mundo = clinica()
    atendimento = _iniciar(mundo, mundo.bob)
    olga = entrar(mundo.olga)
    resposta = olga.post(f"/prontuario/atendimentos/{atendimento.pk}/rascunho/", {"versao": "1", "subjetivo": "x"})
    assert resposta.status_code == 409 and "conduzido por Bob Médico" in resposta.json()["erro"]
    pagina = olga.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    assert "Finalizar atendimento" not in pagina and "Assumir atendimento" in pagina
    olga.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(), "versao": "1"})
    with tenant_context(mundo.a.id):
        atual = Atendimento.objects.get(pk=atendimento.pk)
        assert atual.status == Atendimento.Status.RASCUNHO and atual.versao == 1 and atual.rascunho == {}
        with pytest.raises(clinico.NaoEAutor):
            clinico.atendimento_finalizar(atendimento=atual, lotacao=mundo.olga, versao=1, dados={})


def test_handover_is_explicit_audited_and_the_records_name_who_finalised():
    mundo = clinica()
    with tenant_context(mundo.a.id):
        for lot in (mundo.bob, mundo.olga):
            Profissional.objects.filter(pk=lot.profissional_id).update(
                cns=cns_provisorio(), registro_conselho="12345", conselho="CRM", uf_conselho="MG"
            )
    atendimento = _iniciar(mundo, mundo.bob)
    bob, olga = entrar(mundo.bob), entrar(mundo.olga)
    assert (
        bob.post(
            f"/prontuario/atendimentos/{atendimento.pk}/rascunho/", {"versao": "1", "subjetivo": "Tosse"}
        ).status_code
        == 200
    )
    url = f"/prontuario/atendimentos/{atendimento.pk}/assumir/"
    olga.post(url, {"motivo": ""})
    with tenant_context(mundo.a.id):
        assert Atendimento.objects.get(pk=atendimento.pk).lotacao_id == mundo.bob.id
    assert olga.post(url, {"motivo": "Bob saiu do plantão"}).status_code == 302
    with tenant_context(mundo.a.id):
        atual = Atendimento.objects.get(pk=atendimento.pk)
        assert atual.lotacao_id == mundo.olga.id and atual.estabelecimento_id == mundo.jardim.id
        assert atual.rascunho["subjetivo"] == "Tosse" and atual.versao == 3
        evento = EventoAuditoria.objects.get(evento="atendimento_assumido")
    assert evento.cidadao_id == mundo.maria.pk and evento.lotacao_id == mundo.olga.id
    assert evento.detalhes["de_lotacao_id"] == mundo.bob.id and evento.detalhes["motivo"] == "Bob saiu do plantão"
    # Bob's page, still open, can no longer save over what is now Olga's.
    resposta = bob.post(f"/prontuario/atendimentos/{atendimento.pk}/rascunho/", {"versao": "2", "subjetivo": "y"})
    assert resposta.status_code == 409 and "Olga Médica" in resposta.json()["erro"]
    olga.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(**ATESTADO), "versao": "3"})
    with tenant_context(mundo.a.id):
        final = Atendimento.objects.select_related("lotacao__profissional", "estabelecimento", "cidadao").get(
            pk=atendimento.pk
        )
        assert final.status == Atendimento.Status.FINALIZADO
        assert final.lotacao_id == final.salvo_por_id == mundo.olga.id
        olga_cns = final.lotacao.profissional.cns
        assert atendimento_para_registro(final).quem.profissional_cns == olga_cns
        fai = atendimento_individual(final).dados["headerTransport"]["lotacaoFormPrincipal"]
        assert fai["profissionalCNS"] == olga_cns and fai["cnes"] == mundo.jardim.cnes
    pdf = olga.get(f"/prontuario/atendimentos/{atendimento.pk}/atestado.pdf")
    texto = _texto_pdf(pdf.content)
    assert pdf.status_code == 200 and b"Olga M" in texto and b"Bob M" not in texto


def _texto_pdf(conteudo: bytes) -> bytes:
    """The page streams of an fpdf2 PDF, inflated."""
    return b"".join(zlib.decompress(m) for m in re.findall(rb"stream\n(.*?)\nendstream", conteudo, re.S))
