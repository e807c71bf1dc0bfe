"""Vacinação: the official rule table decides what may be applied now; transcriptions are
free; origin rules and the vacina.corrigir permission guard corrections and deletions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pec.identity.acesso import permissoes_da_lotacao
from pec.models import EventoAuditoria, Outbox, Profissional
from pec.tenancy import tenant_context
from prontuario.models import Cidadao, Vacinacao
from prontuario.vacinacao import services as vacinacao
from tests.atores import ator_de
from tests.mundo import cidadao as novo_cidadao
from tests.mundo import cns_provisorio, cpf, entrar
from tests.prontuario.clinica import clinica

pytestmark = pytest.mark.django_db


def dose(**extra):
    # Nirsevimabe 50 mg (115), estratégia Especial (2), dose única (9): a row of the official table.
    dados = {
        "registro_anterior": False,
        "data_aplicacao": timezone.localdate(),
        "imunobiologico": "115",
        "estrategia": "2",
        "dose": "9",
        "lote": "L123",
        "fabricante": "149",
        "via": "10890",
        "local_aplicacao": "3",
        "grupo_atendimento": "000210",
        "condicao_maternal": "1",
        "cid10_motivo_indicacao": "P073",
    }
    dados.update(extra)
    return dados


def requisicao(lotacao):
    return ator_de(lotacao)


def test_aplicacao_conforme_tabela_grava_e_gera_outbox():
    mundo = clinica()
    with tenant_context(mundo.a.id):
        registro = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose())
        assert registro.origem == Vacinacao.Origem.PEC
        assert set(Outbox.objects.values_list("destino", "tipo", "chave")) == {
            ("rnds", "ria-r", f"ria-r:{registro.uuid}"),
            ("sisab", "ficha_vacinacao", f"fv:{registro.uuid}"),
        }


def test_combinacao_fora_da_tabela_so_como_transcricao():
    mundo = clinica()
    fora = dose(estrategia="1")  # Nirsevimabe in rotina: not in the table
    with tenant_context(mundo.a.id):
        with pytest.raises(ValidationError) as exc:
            vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=fora)
        assert "só pode ser registrada como transcrição de caderneta" in exc.value.message_dict["dose"][0]
        assert not Vacinacao.objects.exists() and not Outbox.objects.exists()
        antiga = dose(
            estrategia="1",
            registro_anterior=True,
            data_aplicacao=datetime.date(2020, 3, 1),
            lote="",
            fabricante="",
            via="",
            local_aplicacao="",
        )
        transcrita = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=antiga)
        # Transcriptions go to SISAB only; RNDS receives doses from whoever applied them.
        assert list(Outbox.objects.values_list("tipo", flat=True)) == ["ficha_vacinacao"]
        assert transcrita.registro_anterior


@pytest.mark.parametrize(
    "extra, campo, trecho",
    [
        ({"data_aplicacao": timezone.localdate() + datetime.timedelta(days=1)}, "data_aplicacao", "futuro"),
        (
            {"data_aplicacao": datetime.date(1980, 1, 1), "registro_anterior": True},
            "data_aplicacao",
            "anterior ao nascimento",
        ),
        ({"data_aplicacao": timezone.localdate() - datetime.timedelta(days=3)}, "data_aplicacao", "transcrição"),
        ({"lote": ""}, "lote", "Informe o lote"),
        ({"condicao_maternal": ""}, "condicao_maternal", "condição maternal"),
    ],
)
def test_validacoes_da_dose(extra, campo, trecho):
    mundo = clinica()
    with tenant_context(mundo.a.id), pytest.raises(ValidationError) as exc:
        vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose(**extra))
    assert trecho in exc.value.message_dict[campo][0]


def test_correcao_e_exclusao_so_com_permissao_so_origem_pec_e_auditadas():
    mundo = clinica()
    with tenant_context(mundo.a.id):
        registro = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose())
        tecnico = permissoes_da_lotacao(lotacao=mundo.tecnico)
        assert "vacina.corrigir" not in tecnico
        with pytest.raises(PermissionDenied):
            vacinacao.vacinacao_corrigir(
                vacinacao=registro,
                lotacao=mundo.tecnico,
                permissoes=tecnico,
                dados=dose(lote="L999"),
                ator=requisicao(mundo.tecnico),
            )
        enfermeira = permissoes_da_lotacao(lotacao=mundo.nina)
        nova = vacinacao.vacinacao_corrigir(
            vacinacao=registro,
            lotacao=mundo.nina,
            permissoes=enfermeira,
            dados=dose(lote="L999"),
            ator=requisicao(mundo.nina),
        )
        registro.refresh_from_db()
        assert nova.substitui_id == registro.id and nova.versao == 2 and registro.excluida_em is not None
        evento = EventoAuditoria.objects.get(evento="vacina_correcao")
        assert evento.detalhes["alteracoes"] == {"lote": ["L123", "L999"]}
        with pytest.raises(ValidationError):  # the replaced version cannot be corrected again
            vacinacao.vacinacao_corrigir(
                vacinacao=registro, lotacao=mundo.nina, permissoes=enfermeira, dados=dose(), ator=requisicao(mundo.nina)
            )
        vacinacao.vacinacao_excluir(
            vacinacao=nova,
            lotacao=mundo.nina,
            permissoes=enfermeira,
            motivo="Paciente errado",
            ator=requisicao(mundo.nina),
        )
        nova.refresh_from_db()
        assert nova.excluida_em is not None and Vacinacao.objects.count() == 2  # soft: nothing deleted
        assert EventoAuditoria.objects.filter(evento="vacina_exclusao", cidadao_id=mundo.maria.pk).exists()
        de_cds = Vacinacao.objects.create(
            municipio=mundo.a,
            cidadao=mundo.maria,
            lotacao=mundo.nina,
            estabelecimento=mundo.centro,
            origem=Vacinacao.Origem.CDS,
            data_aplicacao=timezone.localdate(),
            imunobiologico="115",
            estrategia="2",
            dose="9",
            registrado_em=timezone.now(),
        )
        with pytest.raises(ValidationError, match="corrigidas na origem"):
            vacinacao.vacinacao_excluir(
                vacinacao=de_cds, lotacao=mundo.nina, permissoes=enfermeira, motivo="x", ator=requisicao(mundo.nina)
            )


def test_views_de_vacinacao_permissao_e_404():
    mundo = clinica()
    with tenant_context(mundo.a.id):
        registro = vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=dose())
    assert entrar(mundo.tecnico).get(f"/prontuario/vacinacoes/{registro.pk}/corrigir/").status_code == 403
    assert entrar(mundo.bob).get(f"/prontuario/cidadaos/{mundo.maria.pk}/vacinacao/").status_code == 403
    dani = entrar(mundo.dani)  # may correct doses, but only in her municipality
    assert dani.get(f"/prontuario/cidadaos/{mundo.maria.pk}/vacinacao/").status_code == 404
    for url in (f"/prontuario/vacinacoes/{registro.pk}/corrigir/", f"/prontuario/vacinacoes/{registro.pk}/excluir/"):
        assert dani.post(url, {"motivo": "x"}).status_code == 404
    enfermeira = entrar(mundo.nina)
    assert enfermeira.get(f"/prontuario/vacinacoes/{registro.pk}/corrigir/").status_code == 200
    resposta = enfermeira.post(f"/prontuario/vacinacoes/{registro.pk}/excluir/", {"motivo": "Registro duplicado"})
    assert resposta.status_code == 302


def test_bcg_exige_comunicante_de_hanseniase_e_especial_exige_cid10_da_indicacao():
    mundo = clinica()
    bcg = dose(imunobiologico="15", estrategia="1", local_aplicacao="1", cid10_motivo_indicacao="")
    with tenant_context(mundo.a.id):
        with pytest.raises(ValidationError) as exc:
            vacinacao.vacinacao_registrar(cidadao=mundo.maria, lotacao=mundo.nina, dados=bcg)
        assert "comunicante de hanseníase" in exc.value.message_dict["comunicante_hanseniase"][0]
        with pytest.raises(ValidationError) as exc:
            vacinacao.vacinacao_registrar(
                cidadao=mundo.maria, lotacao=mundo.nina, dados=dose(cid10_motivo_indicacao="")
            )
        assert "CID-10 do motivo da indicação" in exc.value.message_dict["cid10_motivo_indicacao"][0]
        assert not Vacinacao.objects.exists()
        # "Não" is an answer: False is kept, unlike None.
        registrada = vacinacao.vacinacao_registrar(
            cidadao=mundo.maria, lotacao=mundo.nina, dados={**bcg, "comunicante_hanseniase": False}
        )
        assert registrada.comunicante_hanseniase is False and registrada.cid10_motivo_indicacao == ""


def test_formulario_de_vacinacao_carrega_as_tabelas_numa_consulta(django_assert_num_queries):
    from prontuario.clinico.forms import VacinacaoForm

    with django_assert_num_queries(1):
        form = VacinacaoForm()
    assert len(form.fields["imunobiologico"].choices) > 1 and len(form.fields["dose"].choices) > 1  # type: ignore[attr-defined]  # ChoiceFields


# --- one rule set: the form refuses what the export would hold invalid ------------------------


def _formulario(**extra):
    dados = {**dose(**extra), "comunicante_hanseniase": ""}
    dados["data_aplicacao"] = dados["data_aplicacao"].isoformat()
    return dados


@pytest.mark.parametrize(
    "sexo, condicao, mensagem",
    [
        (0, "1", "Condição maternal não se aplica ao sexo masculino: deixe o campo em branco."),
        (5, "", "Informe a condição maternal (nenhuma, gestante ou puérpera)."),
    ],
)
def test_formulario_recusa_com_a_mensagem_da_regra_da_exportacao(sexo, condicao, mensagem):
    from sisab import fichas, regras

    mundo = clinica()
    cidadao = novo_cidadao(mundo.bob, nome="ALEX SOUZA LIMA", sexo=sexo, cpf=cpf())
    resposta = entrar(mundo.nina).post(
        f"/prontuario/cidadaos/{cidadao.pk}/vacinacao/", _formulario(condicao_maternal=condicao)
    )
    assert resposta.status_code == 200
    assert resposta.context["form"].errors["condicao_maternal"] == [mensagem]
    with tenant_context(mundo.a.id):
        assert not Vacinacao.objects.exists() and not Outbox.objects.exists()
        # The same sentence the ledger would keep for the ficha of that dose.
        recusada = Vacinacao(
            municipio=mundo.a,
            cidadao=cidadao,
            lotacao=mundo.nina,
            estabelecimento=mundo.centro,
            registrado_em=timezone.now(),
            **{**dose(condicao_maternal=condicao), "registro_anterior": False},
        )
        assert mensagem in regras.ficha_erros(tipo=14, dados=fichas.vacinacao(recusada).dados)


def test_formulario_pede_o_grupo_e_o_lote_no_formato_do_ledi_e_o_que_aceita_vai_valido_ao_sisab():
    from sisab import envio
    from sisab.models import FichaSisab

    mundo = clinica()
    with tenant_context(mundo.a.id):  # the documents the ficha's header and citizen need
        Profissional.objects.filter(id=mundo.nina.profissional_id).update(cns=cns_provisorio())
        Cidadao.objects.filter(id=mundo.maria.pk).update(cpf=cpf())
    cliente = entrar(mundo.nina)
    url = f"/prontuario/cidadaos/{mundo.maria.pk}/vacinacao/"
    assert 'value="000210" selected' in cliente.get(url).content.decode()  # faixa etária by default
    erros = cliente.post(url, _formulario(grupo_atendimento="", lote="L 123")).context["form"].errors
    assert "grupo de atendimento" in erros["grupo_atendimento"][0] and "O lote aceita" in erros["lote"][0]
    assert cliente.post(url, _formulario()).status_code == 302
    envio.fichas_gerar(municipio_id=mundo.a.id)
    with tenant_context(mundo.a.id):
        ficha = FichaSisab.objects.get(origem="vacinacao")
    assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
    assert ficha.dados["vacinacoes"][0]["vacinas"][0]["grupoAtendimento"] == 121
