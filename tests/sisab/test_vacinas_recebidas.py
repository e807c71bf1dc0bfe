"""Received Fichas de Vacinação put their doses on the citizens' vaccination cards (origin
CDS), say why when they cannot, catch up when re-sent, and are taken out when a later
ficha cancels theirs."""

from __future__ import annotations

import copy
import datetime
import uuid

import pytest
from django.utils import timezone

from pec.models import Outbox
from pec.tenancy import tenant_context
from prontuario.models import Vacinacao
from sisab import fichas, ledi, regras
from sisab.recebimento import ficha_receber
from tests import mundo as fabricas
from tests.mundo import cpf
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


@pytest.fixture
def m():
    return mundo_envio.mundo()


def ficha_cds(m, *, cidadao=None, lote="CDS123", quando=None) -> dict:
    """What a CDS UBS of the municipality would send: the LEDI ficha of one dose."""
    regra = fabricas.regra_vacina()
    quando = quando or timezone.now() - datetime.timedelta(days=2)
    dose = Vacinacao(
        municipio=m.municipio,
        cidadao=cidadao or m.maria,
        lotacao=m.nina,
        estabelecimento=m.nina.estabelecimento,
        imunobiologico=regra.imunobiologico,
        estrategia=regra.estrategia,
        dose=regra.dose,
        lote=lote,
        fabricante="149",
        data_aplicacao=timezone.localtime(quando).date(),
        registrado_em=quando,
        uuid=uuid.uuid4(),
        condicao_maternal="1",  # Maria and Joana: required for women (a rule checked on receipt too)
        grupo_atendimento="000210",
    )
    return fichas.vacinacao(dose).dados


def receber(m, dados: dict, instalacao: ledi.Instalacao = regras._VERIFICACAO):
    dado = ledi.novo_dado_transporte(
        tipo=14, ficha=dados, cnes=m.nina.estabelecimento.cnes, cod_ibge=m.municipio.ibge, ine="", instalacao=instalacao
    )
    with tenant_context(m.municipio.id):
        ficha, _ = ficha_receber(municipio=m.municipio, conteudo=ledi.para_esus(dado))
        ficha.refresh_from_db()
        return ficha


def doses(m) -> list[Vacinacao]:
    with tenant_context(m.municipio.id):
        return list(Vacinacao.objects.filter(origem=Vacinacao.Origem.CDS).order_by("id"))


def test_dose_entra_na_caderneta_como_ficha_cds(m):
    dados = ficha_cds(m)
    ficha = receber(m, dados)
    assert (ficha.doses_incluidas, ficha.pendencias) == (1, [])
    [dose] = doses(m)
    regra = fabricas.regra_vacina()
    assert (dose.cidadao_id, dose.lotacao_id, dose.ficha_origem) == (m.maria.id, m.nina.id, ficha.uuid)
    assert (dose.imunobiologico, dose.estrategia, dose.dose, dose.lote) == (
        regra.imunobiologico,
        regra.estrategia,
        regra.dose,
        "CDS123",
    )
    assert dose.data_aplicacao == (timezone.localdate() - datetime.timedelta(days=2))
    with tenant_context(m.municipio.id):
        assert not Outbox.objects.exists()  # the ficha goes on to the SISAB; the dose is not sent again
    pagina = (
        fabricas.entrar(m.bob.usuario, m.bob, pela_escolha=True)
        .get(f"/prontuario/cidadaos/{m.maria.pk}/")
        .content.decode()
    )
    assert "Ficha CDS" in pagina and "CDS123" in pagina
    # The same ficha again (a sender's retry) adds nothing.
    assert receber(m, dados).doses_incluidas == 1 and len(doses(m)) == 1


def test_cidadao_desconhecido_fica_pendente_e_entra_quando_reenviada(m):
    joana_cpf = cpf()
    ausente = fabricas.cidadao(
        m.bob, nome="JOANA DARC LIMA", sexo=1, data_nascimento=datetime.date(2001, 2, 3), cpf=joana_cpf
    )
    dados = ficha_cds(m, cidadao=ausente)
    with tenant_context(m.municipio.id):  # as if she had never been registered here
        ausente.__class__.objects.filter(pk=ausente.pk).update(cpf="", ativo=False)
    ficha = receber(m, dados)
    assert ficha.doses_incluidas == 0
    assert ficha.pendencias == [
        f"Atendimento 1: cidadão {joana_cpf} não está cadastrado no município: 1 dose(s) fora do prontuário."
    ]
    with tenant_context(m.municipio.id):
        ausente.__class__.objects.filter(pk=ausente.pk).update(cpf=joana_cpf, ativo=True)
    ficha = receber(m, dados)
    assert (ficha.doses_incluidas, ficha.pendencias) == (1, [])
    assert [d.cidadao_id for d in doses(m)] == [ausente.pk]


def test_profissional_sem_lotacao_fica_pendente(m):
    dados = ficha_cds(m)
    dados["headerTransport"]["cboCodigo_2002"] = "322205"  # no such lotação of Nina
    ficha = receber(m, dados)
    assert ficha.doses_incluidas == 0 and "não tem lotação no estabelecimento CNES" in ficha.pendencias[0]


def test_ficha_que_cancela_outra_tira_a_dose_dela(m):
    original = ficha_cds(m, lote="ERRADO1")
    receber(m, original)
    correcao = copy.deepcopy(original)
    correcao["uuidFicha"] = f"{m.nina.estabelecimento.cnes}-{uuid.uuid4()}"
    correcao["uuidFichaCancelada"] = original["uuidFicha"]
    correcao["vacinacoes"][0]["vacinas"][0]["lote"] = "CERTO22"
    receber(m, correcao)
    antiga, nova = doses(m)
    assert (
        antiga.lote == "ERRADO1" and antiga.excluida_em is not None and original["uuidFicha"] in antiga.motivo_exclusao
    )
    assert nova.lote == "CERTO22" and nova.excluida_em is None


def test_pagina_do_lote_mostra_doses_e_pendencias(m):
    import io
    import zipfile

    from sisab.recebimento import lote_importar

    ok = ficha_cds(m)
    sem_lotacao = ficha_cds(m)
    sem_lotacao["headerTransport"]["cboCodigo_2002"] = "322205"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as arquivo:
        for dados in (ok, sem_lotacao):
            dado = ledi.novo_dado_transporte(
                tipo=14,
                ficha=dados,
                cnes=m.nina.estabelecimento.cnes,
                cod_ibge=m.municipio.ibge,
                ine="",
                instalacao=regras._VERIFICACAO,
            )
            arquivo.writestr(f"{dado.uuid}.esus", ledi.para_esus(dado))
    lote = lote_importar(municipio=m.municipio, nome="cds.zip", conteudo=buffer.getvalue(), por=None)
    pagina = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True).get(
        f"/administracao/recebimento-ledi/lotes/{lote.id}/"
    )
    html = pagina.content.decode()
    assert "1 dose de vacina incluída nos prontuários" in html
    assert "Fora dos registros do município" in html and sem_lotacao["uuidFicha"] in html


def test_ficha_feita_por_este_pec_nao_duplica_a_dose(m):
    from sisab.envio import instalacao_dados

    propria = mundo_envio.identificar(m.municipio)
    with tenant_context(m.municipio.id):
        instalacao = instalacao_dados(propria)
    ficha = receber(m, ficha_cds(m), instalacao=instalacao)
    assert ficha.doses_incluidas == 0 and ficha.pendencias == [] and doses(m) == []


def test_tentar_de_novo_inclui_as_doses_depois_do_cadastro(m):
    dados = ficha_cds(m)
    dados["headerTransport"]["cboCodigo_2002"] = "223505"  # Nina as a nurse: not yet a lotação here
    ficha = receber(m, dados)
    assert ficha.doses_incluidas == 0
    admin = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    pagina = admin.get("/administracao/recebimento-ledi/").content.decode()
    assert "Fora dos registros do município" in pagina and ficha.uuid in pagina and "não tem lotação" in pagina
    # Another municipality's admin does not see them (its lote URLs: test_paginas_envio's 404 test).
    outro = mundo_envio.mundo("Município B")
    assert (
        ficha.uuid
        not in fabricas.entrar(outro.admin.usuario, outro.admin, pela_escolha=True)
        .get("/administracao/recebimento-ledi/")
        .content.decode()
    )

    fabricas.lotacao_com_perfis(m.municipio, m.nina.usuario, cbo="223505", estabelecimento=m.nina.estabelecimento)
    resposta = admin.post("/administracao/recebimento-ledi/pendentes/", follow=True)
    assert "1 ficha(s) incluída(s) por inteiro nos registros do município." in resposta.content.decode()
    assert [d.lotacao.cbo for d in doses(m)] == ["223505"]
    assert "Fora dos registros do município" not in admin.get("/administracao/recebimento-ledi/").content.decode()


def test_dose_recebida_guarda_fabricante_e_grupo_nos_codigos_rnds_como_a_dose_local(m):
    """LEDI sends the manufacturer's name and its own group code; a dose typed here keeps
    the RNDS codes (BRFabricantePNI, BRGrupoAtendimento), and so must a received one."""
    dados = ficha_cds(m)
    vacina = dados["vacinacoes"][0]["vacinas"][0]
    assert vacina["imunobiologico"] == 102  # a COVID-19 vaccine: LEDI fixes its manufacturer's name
    vacina["fabricante"] = "BIONTECH"
    vacina["grupoAtendimento"] = 112  # LEDI GESTANTE = RNDS 001801
    receber(m, dados)
    [dose] = doses(m)
    assert (dose.fabricante, dose.grupo_atendimento) == ("44618", "001801")


@pytest.mark.parametrize(
    "nome,codigo",
    [
        ("FIOCRUZ", "149"),
        ("biontech", "44618"),
        ("SERUM-INDIA", "163"),
        ("Fundação Oswaldo Cruz", "149"),
        ("SINOVAC", ""),
        ("PFIZER/BIONTECH", ""),
        ("FUNDACAO", ""),
    ],
)
def test_fabricante_pelo_nome_so_quando_um_unico_tem_esse_nome(nome, codigo):
    from sisab.vacinas_recebidas import fabricante_rnds

    assert fabricante_rnds(nome) == codigo


def test_dose_com_codigo_fora_das_tabelas_fica_fora_com_o_motivo(m):
    """A transcribed dose is not checked against the vaccination rules; its codes were
    stored as they came (and a long one was a 500)."""
    dados = ficha_cds(m)
    vacina = dados["vacinacoes"][0]["vacinas"][0]
    for campo in ("estrategiaVacinacao", "grupoAtendimento", "stAplicadoExterior"):  # not in a transcription
        vacina.pop(campo, None)
    vacina.update(
        stRegistroAnterior=True,
        dataRegistroAnterior=dados["vacinacoes"][0]["dtNascimento"] + 86_400_000,
        imunobiologico=12345678901,
    )
    ficha = receber(m, dados)
    assert ficha.doses_incluidas == 0 and doses(m) == []
    assert ficha.pendencias == [
        "Atendimento 1, vacina 1: imunobiológico 12345678901 desconhecido: dose fora do prontuário."
    ]
