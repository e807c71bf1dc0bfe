"""The clinical record and the RNDS joined: what the RNDS would refuse is caught when the
professional finalises; corrections replace and voided doses delete the delivered
documents; the prontuário shows each record's status; and an atendimento finalised
through the page reaches the local national peer as one RAC."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.utils import timezone

from pec.identity.acesso import permissoes_da_lotacao
from pec.models import Lotacao, Municipio, Outbox, Profissional
from pec.outbox import outbox_drenar
from pec.tenancy import tenant_context
from prontuario.cadastro.services import cidadao_atualizar
from prontuario.clinico import services as clinico
from prontuario.models import Atendimento, Cidadao, Vacinacao
from prontuario.vacinacao import services as vacinacao
from rnds.models import ConfiguracaoRNDS
from rnds.tasks import pendencias_liberar_todas
from tests import mundo as fabricas
from tests.atores import ator_de
from tests.mundo import cidadao as novo_cidadao
from tests.mundo import cns_provisorio, cpf
from tests.prontuario.clinica import formulario_atendimento
from tests.rnds.conftest import CNS_PROFISSIONAL

pytestmark = pytest.mark.django_db


@dataclass
class Posto:
    municipio: Municipio
    medico: Lotacao  # demo-like doctor: CBO 225142, CNS from the CNES import
    enfermeira: Lotacao
    maria: Cidadao  # with CPF


def posto(municipio: Municipio, *, cns_medico: str = CNS_PROFISSIONAL) -> Posto:
    ubs = fabricas.estabelecimento(municipio, "UBS Centro")
    medico = fabricas.lotacao_com_perfis(municipio, fabricas.usuario("Bruno Médico"), cbo="225142", estabelecimento=ubs)
    enfermeira = fabricas.lotacao_com_perfis(
        municipio, fabricas.usuario("Elza Enfermeira"), cbo="223565", estabelecimento=ubs
    )
    with tenant_context(municipio.id):
        Profissional.objects.filter(pk=medico.profissional_id).update(cns=cns_medico)
        Profissional.objects.filter(pk=enfermeira.profissional_id).update(cns=cns_provisorio())
        medico.profissional.refresh_from_db()
        enfermeira.profissional.refresh_from_db()
    maria = novo_cidadao(medico, nome="MARIA JOSE DA SILVA", cpf=cpf())
    return Posto(municipio, medico, enfermeira, maria)


def rnds_habilitada(municipio: Municipio) -> None:
    """Enabled, without certificate: enough for the check at finalisation (nothing is sent)."""
    with tenant_context(municipio.id):
        ConfiguracaoRNDS.objects.create(municipio=municipio, habilitado=True, identificador_solicitante="1")


def bcg(**extra):
    dados = {
        "registro_anterior": "",
        "data_aplicacao": timezone.localdate().isoformat(),
        "imunobiologico": "15",
        "estrategia": "1",
        "dose": "9",
        "lote": "BCG2026",
        "fabricante": "149",
        "via": "10890",
        "local_aplicacao": "1",
        "grupo_atendimento": "000210",
        "condicao_maternal": "1",
        "comunicante_hanseniase": "False",
        "cid10_motivo_indicacao": "",
    }
    dados.update(extra)
    return dados


def _qd(dados):
    consulta = QueryDict(mutable=True)
    for chave, valor in dados.items():
        consulta.setlist(chave, valor if isinstance(valor, list) else [valor])
    return consulta


def linhas(municipio: Municipio) -> list[Outbox]:
    with tenant_context(municipio.id):
        return list(Outbox.objects.filter(destino="rnds").order_by("id"))


def requisicao(lotacao: Lotacao):
    return ator_de(lotacao)


# --- 2. Check at finalisation ----------------------------------------------------------------


def test_medico_sem_cns_finaliza_e_o_rac_aguarda_ate_o_admin_informar_o_cns(municipio_rnds, simulador):
    """The CNES import brought no CNS for this doctor: the atendimento finalises, its RAC
    waits as a pendência the doctor and the RNDS panel see, and goes once the municipal
    administrator enters the CNS."""
    p = posto(municipio_rnds, cns_medico="")
    medico = fabricas.entrar(p.medico.usuario, p.medico, pela_escolha=True)
    url = medico.post(f"/prontuario/cidadaos/{p.maria.pk}/atendimento/").url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    resposta = medico.post(url, {**formulario_atendimento(), "versao": "1"}, follow=True)
    pagina = resposta.content.decode()
    assert "Atendimento finalizado." in pagina
    assert "RNDS: aguardando dados" in pagina and "O CNS do profissional não está cadastrado" in pagina
    with tenant_context(municipio_rnds.id):
        atendimento = Atendimento.objects.get()
    assert atendimento.status == Atendimento.Status.FINALIZADO
    assert "RNDS: aguardando dados" in medico.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()
    # The deliverer holds it too: never sent without the CNS, never a dead letter.
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"pendente": 1}
    assert not simulador.estado.recebidos

    admin_lot = fabricas.lotacao_com_perfis(municipio_rnds, fabricas.usuario("Íris Admin"), cbo="131205")
    admin = fabricas.entrar(admin_lot.usuario, admin_lot, pela_escolha=True)
    painel = admin.get("/administracao/rnds/").content.decode()
    assert "Registros aguardando dados" in painel and "O CNS do profissional não está cadastrado" in painel
    assert f"/administracao/profissionais/{p.medico.profissional_id}/registro/" in painel
    outro = fabricas.municipio_com_perfis("Outro")
    outro_lot = fabricas.lotacao_com_perfis(outro, fabricas.usuario("Charlie Admin"), cbo="131205")
    painel_b = (
        fabricas.entrar(outro_lot.usuario, outro_lot, pela_escolha=True).get("/administracao/rnds/").content.decode()
    )
    assert "Nenhum registro aguardando dados" in painel_b and "Bruno" not in painel_b
    saida = io.StringIO()
    call_command("rnds_status", municipio=municipio_rnds.ibge, stdout=saida)
    assert f"waiting for documents: prontuario.atendimento {atendimento.pk}" in saida.getvalue()
    resposta = admin.post(
        f"/administracao/profissionais/{p.medico.profissional_id}/registro/",
        {"cns": CNS_PROFISSIONAL, "conselho": "", "uf_conselho": "", "registro_conselho": ""},
    )
    assert resposta.status_code == 302
    assert pendencias_liberar_todas() == 1  # the beat, a minute later at most
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    assert dict(simulador.estado.recebidos) == {str(atendimento.uuid): 1}
    [documento] = simulador.estado.documentos.values()
    contato = next(e["resource"] for e in documento["entry"] if e["resource"]["resourceType"] == "Encounter")
    assert contato["participant"][0]["individual"]["identifier"]["value"].startswith(CNS_PROFISSIONAL)
    assert "RNDS: enviado" in medico.get(f"/prontuario/cidadaos/{p.maria.pk}/").content.decode()
    assert "Nenhum registro aguardando dados" in admin.get("/administracao/rnds/").content.decode()


def test_documento_que_falta_na_entrega_abre_a_pendencia(municipio_rnds, simulador):
    """The deliverer notes the pendência too (RNDS enabled after finalising, or a document
    removed since): the row waits and the folha says why."""
    p = posto(municipio_rnds)
    with tenant_context(municipio_rnds.id):
        atendimento = clinico.atendimento_iniciar(cidadao=p.maria, lotacao=p.medico)
        clinico.atendimento_finalizar(
            atendimento=atendimento, lotacao=p.medico, versao=1, dados=_qd(formulario_atendimento())
        )
        Profissional.objects.filter(pk=p.medico.profissional_id).update(cns="")
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"pendente": 1}
    assert not simulador.estado.recebidos
    folha = (
        fabricas.entrar(p.medico.usuario, p.medico, pela_escolha=True)
        .get(f"/prontuario/cidadaos/{p.maria.pk}/")
        .content.decode()
    )
    assert "RNDS: aguardando dados" in folha and "O CNS do profissional não está cadastrado" in folha


@pytest.mark.parametrize("caso", ["treinamento", "sem_rnds"])
def test_treinamento_ou_sem_rnds_nao_bloqueia(caso):
    if caso == "treinamento":
        municipio = fabricas.municipio_com_perfis("Treino", modo=Municipio.Modo.TREINAMENTO)
        rnds_habilitada(municipio)
    else:
        municipio = fabricas.municipio_com_perfis("Sem RNDS")
    p = posto(municipio, cns_medico="")
    cliente = fabricas.entrar(p.medico.usuario, p.medico, pela_escolha=True)
    url = cliente.post(f"/prontuario/cidadaos/{p.maria.pk}/atendimento/").url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    resposta = cliente.post(url, {**formulario_atendimento(), "versao": "1"}, follow=True)
    assert "Atendimento finalizado." in resposta.content.decode()
    with tenant_context(municipio.id):
        assert Atendimento.objects.get().status == Atendimento.Status.FINALIZADO


def test_dose_em_cidadao_sem_documento_e_gravada_e_vai_quando_o_cadastro_ganha_cpf(municipio_rnds, simulador):
    """A newborn without CPF or CNS is vaccinated: the dose is recorded and its RIA-R waits;
    the reception adds the CPF and the dose goes, without anyone resending it."""
    p = posto(municipio_rnds)
    with tenant_context(municipio_rnds.id):
        Cidadao.objects.filter(pk=p.maria.pk).update(cpf="", cns="")
    enfermeira = fabricas.entrar(p.enfermeira.usuario, p.enfermeira, pela_escolha=True)
    assert enfermeira.post(f"/prontuario/cidadaos/{p.maria.pk}/vacinacao/", bcg()).status_code == 302
    folha = enfermeira.get(f"/prontuario/cidadaos/{p.maria.pk}/").content.decode()
    assert "RNDS: aguardando dados" in folha and "O cidadão não tem CPF nem CNS" in folha
    with tenant_context(municipio_rnds.id):
        dose = Vacinacao.objects.get()
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"pendente": 1}
    assert pendencias_liberar_todas() == 0  # still no document: nothing made due
    novo_cpf = cpf()
    with tenant_context(municipio_rnds.id):
        maria = Cidadao.objects.get(pk=p.maria.pk)
        cidadao_atualizar(lotacao=p.enfermeira, cidadao=maria, dados={"cpf": novo_cpf})
    assert pendencias_liberar_todas() == 1
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    [documento] = simulador.estado.documentos.values()
    assert documento["identifier"]["value"] == str(dose.uuid)
    assert documento["entry"][0]["resource"]["subject"]["identifier"]["value"] == novo_cpf
    folha = enfermeira.get(f"/prontuario/cidadaos/{p.maria.pk}/").content.decode()
    assert "RNDS: enviado" in folha and "aguardando dados" not in folha


def test_dose_que_a_rnds_recusaria_nao_e_gravada_e_o_formulario_diz_por_que():
    """What the professional can fix in the record itself still holds it."""
    municipio = fabricas.municipio_com_perfis("Com RNDS")
    p = posto(municipio)
    rnds_habilitada(municipio)
    cliente = fabricas.entrar(p.enfermeira.usuario, p.enfermeira, pela_escolha=True)
    amanha = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    pagina = cliente.post(f"/prontuario/cidadaos/{p.maria.pk}/vacinacao/", bcg(data_aplicacao=amanha)).content.decode()
    assert "futuro" in pagina
    with tenant_context(municipio.id):
        assert not Vacinacao.objects.exists() and not Outbox.objects.exists()


def test_bcg_sem_comunicante_de_hanseniase_pede_o_campo():
    municipio = fabricas.municipio_com_perfis("Com RNDS")
    p = posto(municipio)
    cliente = fabricas.entrar(p.enfermeira.usuario, p.enfermeira, pela_escolha=True)
    pagina = cliente.post(
        f"/prontuario/cidadaos/{p.maria.pk}/vacinacao/", bcg(comunicante_hanseniase="")
    ).content.decode()
    assert "Para a BCG, informe se o cidadão é comunicante de hanseníase" in pagina
    assert 'name="comunicante_hanseniase"' in pagina and 'name="cid10_motivo_indicacao"' in pagina


# --- 3. Corrections and deletions --------------------------------------------------------------


def test_dose_corrigida_substitui_e_dose_excluida_e_apagada_na_rnds(municipio_rnds, simulador):
    p = posto(municipio_rnds)
    with tenant_context(municipio_rnds.id):
        dose = vacinacao.vacinacao_registrar(
            cidadao=p.maria,
            lotacao=p.enfermeira,
            dados={
                **bcg(),
                "data_aplicacao": timezone.localdate(),
                "registro_anterior": False,
                "comunicante_hanseniase": False,
            },
        )
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    primeiro = linhas(municipio_rnds)[0].resposta["rnds_id"]
    with tenant_context(municipio_rnds.id):
        permissoes = permissoes_da_lotacao(lotacao=p.enfermeira)
        nova = vacinacao.vacinacao_corrigir(
            vacinacao=dose,
            lotacao=p.enfermeira,
            permissoes=permissoes,
            ator=requisicao(p.enfermeira),
            dados={
                **bcg(),
                "data_aplicacao": timezone.localdate(),
                "registro_anterior": False,
                "comunicante_hanseniase": True,
                "lote": "BCG2027",
            },
        )
    # One replacement row in the correction's transaction, and no second "new dose" send.
    assert [(i.chave, i.payload.get("operacao")) for i in linhas(municipio_rnds)] == [
        (f"ria-r:{dose.uuid}", None),
        (f"ria-r:{dose.uuid}:substituicao", "substituir"),
    ]
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    substituto = linhas(municipio_rnds)[1].resposta["rnds_id"]
    documento = simulador.estado.documentos[substituto]
    assert documento["entry"][0]["resource"]["relatesTo"] == [
        {"code": "replaces", "targetReference": {"reference": f"Composition/{primeiro}"}}
    ]
    assert documento["identifier"]["value"] == str(dose.uuid)  # the first version's identifier
    assert documento["entry"][1]["resource"]["lotNumber"] == "BCG2027"
    assert primeiro in simulador.estado.substituidos

    with tenant_context(municipio_rnds.id):
        vacinacao.vacinacao_excluir(
            vacinacao=nova,
            lotacao=p.enfermeira,
            permissoes=permissoes,
            motivo="Registrada no cidadão errado",
            ator=requisicao(p.enfermeira),
        )
        assert Outbox.objects.filter(chave=f"ria-r:{dose.uuid}:substituicao:exclusao").exists()
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    # The standing document (the replacement) is the one deleted.
    assert simulador.estado.excluidos == {substituto}


def test_adendo_a_atendimento_entregue_envia_rac_substituto(municipio_rnds, simulador):
    p = posto(municipio_rnds)
    from tests.prontuario.test_folha_rosto import _qd

    with tenant_context(municipio_rnds.id):
        rascunho = clinico.atendimento_iniciar(cidadao=p.maria, lotacao=p.medico)
        atendimento = clinico.atendimento_finalizar(
            atendimento=rascunho, lotacao=p.medico, versao=1, dados=_qd(formulario_atendimento())
        )
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    primeiro = linhas(municipio_rnds)[0].resposta["rnds_id"]
    with tenant_context(municipio_rnds.id):
        atendimento = Atendimento.objects.select_related("municipio").get(pk=atendimento.pk)
        for texto in ("Corrige: febre há 3 dias.", "Complementa: sem alergias."):
            clinico.atendimento_adendar(
                atendimento=atendimento, lotacao=p.medico, texto=texto, ator=requisicao(p.medico)
            )
            assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    segundo, terceiro = (i.resposta["rnds_id"] for i in linhas(municipio_rnds)[1:])
    # Each replacement replaces the document standing at the time: never the same one twice (ERR870).
    for anterior, novo in ((primeiro, segundo), (segundo, terceiro)):
        assert simulador.estado.documentos[novo]["entry"][0]["resource"]["relatesTo"] == [
            {"code": "replaces", "targetReference": {"reference": f"Composition/{anterior}"}}
        ]
    assert simulador.estado.substituidos == {primeiro, segundo}


# --- 4 and 5. Status in the prontuário, end to end ---------------------------------------------


def test_finalizado_pela_pagina_chega_a_rnds_e_a_folha_mostra_enviado(municipio_rnds, simulador):
    p = posto(municipio_rnds)
    medico = fabricas.entrar(p.medico.usuario, p.medico, pela_escolha=True)
    url = medico.post(f"/prontuario/cidadaos/{p.maria.pk}/atendimento/").url  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    resposta = medico.post(
        url,
        {
            **formulario_atendimento(
                **{"problemas-1-ciap": "K86", "problemas-1-cid10": "I10", "problemas-1-situacao": "0"}
            ),
            "versao": "1",
        },
    )
    assert resposta.status_code == 302 and resposta.url == f"/prontuario/cidadaos/{p.maria.pk}/"  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    [item] = linhas(municipio_rnds)
    assert (item.tipo, item.status) == ("rac", Outbox.Status.PENDENTE)
    assert "RNDS: pendente" in medico.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it

    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"enviado": 1}
    with tenant_context(municipio_rnds.id):
        atendimento = Atendimento.objects.get()
    assert dict(simulador.estado.recebidos) == {str(atendimento.uuid): 1}
    [documento] = simulador.estado.documentos.values()
    composicao = documento["entry"][0]["resource"]
    assert composicao["type"]["coding"][0]["code"] == "RAC"
    assert composicao["subject"]["identifier"]["value"] == p.maria.cpf
    folha = medico.get(resposta.url).content.decode()  # type: ignore[attr-defined]  # a redirect carries .url; the test client type lacks it
    assert "RNDS: enviado" in folha and "RNDS: pendente" not in folha
    assert "RNDS: enviado" in medico.get(f"/prontuario/atendimentos/{atendimento.pk}/").content.decode()


def test_erro_da_rnds_aparece_com_a_mensagem_no_cartao_de_vacina(municipio_rnds, simulador):
    p = posto(municipio_rnds)
    simulador.estado.individuos_desconhecidos.add(p.maria.cpf)
    with tenant_context(municipio_rnds.id):
        vacinacao.vacinacao_registrar(
            cidadao=p.maria,
            lotacao=p.enfermeira,
            dados={
                **bcg(),
                "data_aplicacao": timezone.localdate(),
                "registro_anterior": False,
                "comunicante_hanseniase": False,
            },
        )
    assert outbox_drenar(municipio_id=municipio_rnds.id, destino="rnds") == {"erro": 1}
    folha = (
        fabricas.entrar(p.enfermeira.usuario, p.enfermeira, pela_escolha=True)
        .get(f"/prontuario/cidadaos/{p.maria.pk}/")
        .content.decode()
    )
    assert "RNDS: erro" in folha and "não encontrado no CADSUS" in folha
