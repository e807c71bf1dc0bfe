"""Atendimento SOAP: LEDI coding rules, problem list, autosaved drafts with optimistic
versions, lock after finalisation, addenda with audit, outbox rows written with the
record (and not at all on rollback), documents, and 404 for another municipality."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from pec.models import EventoAuditoria, Outbox
from pec.tenancy import tenant_context
from prontuario.clinico import services as clinico
from prontuario.clinico.regras import ItemAvaliado, encaminhamento_erros, problemas_erros
from prontuario.models import Adendo, Atendimento, EntradaLista, Problema, ProblemaAvaliado
from tests.mundo import entrar, na_fila
from tests.prontuario.clinica import clinica, formulario_atendimento

pytestmark = pytest.mark.django_db

ADULTA = datetime.date(1990, 1, 1)
HOJE = datetime.date(2026, 6, 1)


def erros(*itens: ItemAvaliado, nascimento: datetime.date = ADULTA) -> list[str]:
    return problemas_erros(itens=list(itens), nascimento=nascimento, dia=HOJE)


def test_w78_so_com_z34():
    assert erros(ItemAvaliado("W78", "Z340", 0)) == []
    assert erros(ItemAvaliado("W78", "", 0)) == []
    assert erros(ItemAvaliado("W78", "O80", 0)) == [
        "A CIAP2 W78 (pré-natal) não pode ser registrada com a CID-10 O80, de desfecho da gestação.",
        "A CIAP2 W78 (gravidez) só pode ser vinculada a uma CID-10 da família Z34, não a O80.",
    ]
    assert erros(ItemAvaliado("W78", "J069", 0)) == [
        "A CIAP2 W78 (gravidez) só pode ser vinculada a uma CID-10 da família Z34, não a J069."
    ]


@pytest.mark.parametrize(
    "itens, nascimento, mensagem",
    [
        ([ItemAvaliado("", "Z340"), ItemAvaliado("", "Z348")], ADULTA, "Só é permitida uma CID-10 da família Z34"),
        ([ItemAvaliado("W84", "O800")], ADULTA, "não pode ser registrada com a CID-10 O800, de desfecho da gestação"),
        ([ItemAvaliado("W78", "Z340")], datetime.date(2019, 1, 1), "não é permitida para menores de 9 anos"),
        ([ItemAvaliado("W78", "Z340", 1)], ADULTA, 'não pode ter a situação "latente"'),
        ([ItemAvaliado("A30")], ADULTA, "A CIAP2 A30 é um procedimento"),
        ([ItemAvaliado("A03"), ItemAvaliado("A03")], ADULTA, "A CIAP2 A03 foi informada mais de uma vez"),
        ([ItemAvaliado("", "J00"), ItemAvaliado("R05", "J00")], ADULTA, "A CID-10 J00 foi informada mais de uma vez"),
        ([ItemAvaliado("ABP005", "", 0)], ADULTA, "O código ABP005 não entra na lista de problemas"),
        ([ItemAvaliado()], ADULTA, "precisa de uma CIAP2 ou de uma CID-10"),
    ],
)
def test_regras_ledi_de_problemas_e_condicoes(itens, nascimento, mensagem):
    assert any(mensagem in erro for erro in erros(*itens, nascimento=nascimento))


def test_encaminhamento_cid_xor_ciap_e_ciap_com_cid():
    assert encaminhamento_erros(ciap="", cid10="I10") == []
    assert encaminhamento_erros(ciap="K86", cid10="") == []
    assert "apenas uma" in encaminhamento_erros(ciap="K86", cid10="I10")[0]
    # Every CIAP2 code has a CID-10 in the official relation; the AB codes do not.
    assert encaminhamento_erros(ciap="ABP005", cid10="") == [
        "A CIAP2 ABP005 não tem CID-10 correspondente e não pode justificar um encaminhamento."
    ]


def _iniciar(mundo, lotacao=None, entrada=None):
    lotacao = lotacao or mundo.bob
    with tenant_context(mundo.a.id):
        return clinico.atendimento_iniciar(cidadao=mundo.maria, lotacao=lotacao, entrada=entrada)


def _qd(dados):
    consulta = QueryDict(mutable=True)
    for chave, valor in dados.items():
        consulta.setlist(chave, valor if isinstance(valor, list) else [valor])
    return consulta


def test_finalizar_grava_linhas_lista_de_problemas_fila_e_outbox():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    atendimento = _iniciar(mundo, entrada=entrada)
    dados = formulario_atendimento(
        **{
            "problemas-1-ciap": "W78",
            "problemas-1-cid10": "Z340",
            "problemas-1-situacao": "0",
            "prescricoes-0-medicamento": "BR0268315 - Abacavir 300 mg, Comprimido",
            "prescricoes-0-dose": "1 comprimido",
            "prescricoes-0-via": "0",
            "prescricoes-0-posologia": "de 12 em 12 horas",
            "prescricoes-0-uso_continuo": "on",
            "exames-0-sigtap": "02.02.01.047-3",
            "atestado-dias": "2",
            "alergias-0-agente": "Dipirona",
            "alergias-0-categoria": "medicamento",
            "alergias-0-criticidade": "alta",
        }
    )
    with tenant_context(mundo.a.id):
        clinico.atendimento_finalizar(atendimento=atendimento, lotacao=mundo.bob, dados=_qd(dados), versao=1)
        atendimento.refresh_from_db()
        entrada.refresh_from_db()
        assert atendimento.status == Atendimento.Status.FINALIZADO and atendimento.versao == 2
        assert set(Problema.objects.values_list("ciap", "cid10", "situacao")) == {
            ("A03", "R509", 0),
            ("W78", "Z340", 0),
        }
        assert atendimento.prescricoes.get().medicamento == "Abacavir 300 mg, Comprimido"
        assert atendimento.exames.get().sigtap == "0202010473"
        assert atendimento.atestado.dias == 2
        assert entrada.situacao == EntradaLista.Situacao.ATENDIDO
        saidas = set(Outbox.objects.values_list("destino", "tipo", "chave", "objeto_id"))
    assert saidas == {
        ("rnds", "rac", f"rac:{atendimento.uuid}", atendimento.pk),
        ("sisab", "ficha_atendimento_individual", f"fai:{atendimento.uuid}", atendimento.pk),
    }


def test_problema_evolui_e_e_resolvido_em_outro_atendimento_de_outra_ubs():
    mundo = clinica()
    primeiro = _iniciar(mundo)
    with tenant_context(mundo.a.id):
        clinico.atendimento_finalizar(
            atendimento=primeiro, lotacao=mundo.bob, dados=_qd(formulario_atendimento()), versao=1
        )
    segundo = _iniciar(mundo, lotacao=mundo.olga)
    with tenant_context(mundo.a.id):
        clinico.atendimento_finalizar(
            atendimento=segundo,
            lotacao=mundo.olga,
            versao=1,
            dados=_qd(formulario_atendimento(**{"problemas-0-situacao": "2"})),
        )
        problema = Problema.objects.get()
        assert problema.situacao == Problema.Situacao.RESOLVIDO and problema.fim == timezone.localdate()
        assert problema.evolucoes == 2
        assert list(ProblemaAvaliado.objects.order_by("id").values_list("sequencial", flat=True)) == [1, 2]


def test_regra_violada_nada_e_gravado():
    mundo = clinica()
    atendimento = _iniciar(mundo)
    dados = formulario_atendimento(**{"problemas-0-ciap": "W78", "problemas-0-cid10": "O80"})
    with tenant_context(mundo.a.id):
        with pytest.raises(ValidationError) as exc:
            clinico.atendimento_finalizar(atendimento=atendimento, lotacao=mundo.bob, dados=_qd(dados), versao=1)
        assert any("família Z34" in m for m in exc.value.messages)
        atendimento.refresh_from_db()
        assert atendimento.status == Atendimento.Status.RASCUNHO
        assert not Outbox.objects.exists() and not Problema.objects.exists()


def test_outbox_some_junto_quando_a_transacao_desfaz():
    mundo = clinica()
    atendimento = _iniciar(mundo)
    with tenant_context(mundo.a.id):
        with pytest.raises(RuntimeError), transaction.atomic():
            clinico.atendimento_finalizar(
                atendimento=atendimento, lotacao=mundo.bob, dados=_qd(formulario_atendimento()), versao=1
            )
            assert Outbox.objects.count() == 2
            raise RuntimeError("falha depois de finalizar")
        atendimento.refresh_from_db()
        assert atendimento.status == Atendimento.Status.RASCUNHO
        assert not Outbox.objects.exists() and not Problema.objects.exists()


def test_rascunho_salvo_e_versao_desatualizada_recebe_conflito():
    mundo = clinica()
    atendimento = _iniciar(mundo)
    bob, outra_aba = entrar(mundo.bob), entrar(mundo.bob)
    url = f"/prontuario/atendimentos/{atendimento.pk}/rascunho/"
    resposta = bob.post(url, {"versao": "1", "subjetivo": "Tosse"})
    assert resposta.status_code == 200 and resposta.json() == {"versao": 2}
    # Bob's other tab (another computer) still holds version 1: refused, never overwriting.
    resposta = outra_aba.post(url, {"versao": "1", "subjetivo": "Outra coisa"})
    assert resposta.status_code == 409
    assert "Bob Médico salvou este atendimento" in resposta.json()["erro"]
    with tenant_context(mundo.a.id):
        atendimento.refresh_from_db()
    assert atendimento.rascunho["subjetivo"] == "Tosse" and atendimento.versao == 2
    # The page reloads the draft typed so far.
    assert "Tosse" in bob.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    # Finalising from an outdated version is refused with a clear message, nothing written.
    pagina = outra_aba.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(), "versao": "1"})
    assert "depois da versão que você editava" in pagina.content.decode()
    with tenant_context(mundo.a.id):
        assert Atendimento.objects.get(pk=atendimento.pk).status == Atendimento.Status.RASCUNHO


def test_finalizado_fica_travado_e_correcao_e_adendo_auditado():
    mundo = clinica()
    atendimento = _iniciar(mundo)
    bob = entrar(mundo.bob)
    resposta = bob.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(), "versao": "1"})
    assert resposta.status_code == 302
    rascunho = bob.post(f"/prontuario/atendimentos/{atendimento.pk}/rascunho/", {"versao": "2", "subjetivo": "x"})
    assert rascunho.status_code == 409 and "adendo" in rascunho.json()["erro"]
    with tenant_context(mundo.a.id), pytest.raises(clinico.JaFinalizado):
        clinico.atendimento_finalizar(
            atendimento=atendimento, lotacao=mundo.bob, dados=_qd(formulario_atendimento()), versao=2
        )
    pagina = bob.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    assert "Registrar adendo" in pagina and "Finalizar atendimento" not in pagina
    bob.post(f"/prontuario/atendimentos/{atendimento.pk}/adendo/", {"texto": "Corrigindo: febre há 3 dias."})
    with tenant_context(mundo.a.id):
        assert Adendo.objects.get().texto == "Corrigindo: febre há 3 dias."
        assert Atendimento.objects.get(pk=atendimento.pk).subjetivo == "Febre há 2 dias."
        assert EventoAuditoria.objects.filter(evento="prontuario_adendo", cidadao_id=mundo.maria.pk).count() == 1


def test_documentos_em_pdf():
    mundo = clinica()
    atendimento = _iniciar(mundo)
    dados = formulario_atendimento(
        **{
            "prescricoes-0-medicamento": "BR0268315",
            "prescricoes-0-dose": "1 comprimido",
            "prescricoes-0-via": "0",
            "prescricoes-0-posologia": "de 12 em 12 horas",
            "prescricoes-0-duracao_dias": "7",
            "exames-0-sigtap": "0202010473",
            "atestado-dias": "1",
        }
    )
    bob = entrar(mundo.bob)
    bob.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**dados, "versao": "1"})
    for tipo in ("atestado", "prescricao", "exames"):
        resposta = bob.get(f"/prontuario/atendimentos/{atendimento.pk}/{tipo}.pdf")
        assert resposta.status_code == 200 and resposta["Content-Type"] == "application/pdf"
        assert resposta.content.startswith(b"%PDF")
    with tenant_context(mundo.a.id):
        assert EventoAuditoria.objects.filter(evento="leitura_prontuario", o_que="documento: atestado").exists()
    assert bob.get(f"/prontuario/atendimentos/{atendimento.pk}/outro.pdf").status_code == 302


def test_outro_municipio_recebe_404_em_toda_view_com_id():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    atendimento = _iniciar(mundo)
    bob = entrar(mundo.bob)
    bob.post(f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(), "versao": "1"})
    charlie = entrar(mundo.charlie)
    c, a, e = mundo.maria.pk, atendimento.pk, entrada.pk
    for metodo, url in [
        ("get", f"/prontuario/lista/{e}/escuta/"),
        ("get", f"/prontuario/cidadaos/{c}/"),
        ("get", f"/prontuario/cidadaos/{c}/historico/"),
        ("post", f"/prontuario/cidadaos/{c}/atendimento/"),
        ("get", f"/prontuario/atendimentos/{a}/"),
        ("post", f"/prontuario/atendimentos/{a}/rascunho/"),
        ("post", f"/prontuario/atendimentos/{a}/adendo/"),
        ("get", f"/prontuario/atendimentos/{a}/atestado.pdf"),
    ]:
        assert getattr(charlie, metodo)(url, {"versao": "1", "texto": "x"}).status_code == 404, url


@pytest.mark.django_db(transaction=True)
def test_com_o_broker_fora_do_ar_a_finalizacao_salva_responde_normalmente(broker_fora_do_ar):
    """Redis down: the atendimento and its outbox rows are committed, so the page must say
    so (302 to the folha de rosto), not 500; the sweeper delivers later."""
    mundo = clinica()
    atendimento = _iniciar(mundo)
    resposta = entrar(mundo.bob).post(
        f"/prontuario/atendimentos/{atendimento.pk}/", {**formulario_atendimento(), "versao": "1"}
    )
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        atendimento.refresh_from_db()
        assert atendimento.status == Atendimento.Status.FINALIZADO
        assert set(Outbox.objects.values_list("destino", "status")) == {("rnds", "pendente"), ("sisab", "pendente")}
