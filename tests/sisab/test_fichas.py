"""Our records as LEDI fichas: every mapping validates against the official XSDs, reads
back from Thrift into the same values, and each LEDI rule refuses its failing case."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from lxml import etree

from dados import cbos_por_ficha
from pec.models import Outbox
from pec.outbox import outbox_drenar, outbox_registrar
from pec.tenancy import tenant_context
from prontuario.cadastro.services import cidadao_atualizar
from sisab import envio, fichas, ledi, regras
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


@pytest.fixture
def m():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    mundo_envio.atendimento(mundo)
    mundo_envio.escuta(mundo)
    mundo_envio.vacina(mundo)
    return mundo


def _todas(m) -> list[FichaSisab]:
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        return list(FichaSisab.objects.order_by("tipo"))


def test_every_mapping_makes_a_valid_ficha_that_round_trips_in_thrift_and_xml(m):
    todas = _todas(m)
    assert [f.tipo for f in todas] == [2, 4, 7, 14]
    assert all(f.status == FichaSisab.Status.VALIDA for f in todas), [(f.tipo, f.erros) for f in todas]
    with tenant_context(m.municipio.id):
        identidade = envio.instalacao_dados(envio.instalacao_do_municipio(municipio_id=m.municipio.id))
    for ficha in todas:
        dado = envio.dado_transporte(ficha, identidade)
        xml = ledi.para_xml(dado)
        ledi.validar_xml(etree.fromstring(xml))  # the official XSDs
        lido = ledi.de_esus(ledi.para_esus(dado))
        assert lido.ficha == ficha.dados and lido.uuid == ficha.uuid and lido.tipo == ficha.tipo
        assert lido.remetente["contraChave"] == "PEC-centralizado - 1.0" and lido.versao == ledi.VERSAO
        assert ledi.de_xml(xml).ficha["uuidFicha" if ficha.tipo != 2 else "uuid"] == ficha.uuid


def test_cadastro_update_is_a_new_ficha_pointing_to_the_same_originadora(m):
    primeira = _todas(m)[0]
    assert primeira.dados["uuid"] == primeira.dados["uuidFichaOriginadora"] and not primeira.dados["fichaAtualizada"]
    with tenant_context(m.municipio.id):
        cidadao_atualizar(
            cidadao=m.maria, lotacao=m.bob, dados={"telefone_celular": "31999998888"}, versao_esperada=m.maria.versao
        )
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        cadastros = list(FichaSisab.objects.filter(tipo=2).order_by("origem_versao"))
    assert len(cadastros) == 2
    segunda = cadastros[1]
    assert segunda.uuid != primeira.uuid and segunda.dados["fichaAtualizada"] is True
    assert segunda.dados["uuidFichaOriginadora"] == primeira.uuid
    assert segunda.dados["identificacaoUsuarioCidadao"]["telefoneCelular"] == "31999998888"


def test_generation_is_idempotent(m):
    _todas(m)
    assert envio.fichas_gerar(municipio_id=m.municipio.id)["novas"] == 0
    with tenant_context(m.municipio.id):
        assert FichaSisab.objects.count() == 4


def _outbox(m, *, tipo: str, objeto) -> Outbox:
    """The row the clinical services write (prontuario.clinico.services, prontuario.vacinacao.services)."""
    with tenant_context(m.municipio.id), transaction.atomic():
        return outbox_registrar(
            municipio=m.municipio, destino="sisab", tipo=tipo, chave=f"{tipo}:{objeto.uuid}", objeto=objeto
        )


def _drenar(m) -> dict[str, int]:
    return outbox_drenar(municipio_id=m.municipio.id, destino="sisab")


def test_outbox_rows_for_sisab_become_the_same_fichas_the_night_run_finds():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    atendimento, dose = mundo_envio.atendimento(mundo), mundo_envio.vacina(mundo)
    linhas = [
        _outbox(mundo, tipo="ficha_atendimento_individual", objeto=atendimento),
        _outbox(mundo, tipo="ficha_vacinacao", objeto=dose),
    ]
    assert _drenar(mundo) == {Outbox.Status.ENVIADO: 2}
    with tenant_context(mundo.municipio.id):
        fichas_ = {f.origem: f for f in FichaSisab.objects.filter(origem__in=["atendimento", "vacinacao"])}
        linhas = [Outbox.objects.get(id=linha.id) for linha in linhas]
    assert {f.origem_id for f in fichas_.values()} == {atendimento.id, dose.id}
    assert [linha.resposta for linha in linhas] == [
        {"ficha": fichas_["atendimento"].uuid, "status": FichaSisab.Status.VALIDA},
        {"ficha": fichas_["vacinacao"].uuid, "status": FichaSisab.Status.VALIDA},
    ]
    # The night run finds them made: only the citizen's cadastro is new.
    assert envio.fichas_gerar(municipio_id=mundo.municipio.id)["novas"] == 1


def test_outbox_deleted_dose_holds_its_ficha_back_or_cancels_it_once_accepted():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    retida, enviada = mundo_envio.vacina(mundo), mundo_envio.vacina(mundo)
    envio.fichas_gerar(municipio_id=mundo.municipio.id)
    with tenant_context(mundo.municipio.id):
        destino = DestinoSisab.objects.create(municipio=mundo.municipio, nome="Pasta", tipo="pasta", pasta="/tmp")
        EntregaSisab.objects.create(
            municipio=mundo.municipio,
            destino=destino,
            ficha=FichaSisab.objects.get(origem="vacinacao", origem_id=retida.id),
        )
        EntregaSisab.objects.create(
            municipio=mundo.municipio,
            destino=destino,
            status=EntregaSisab.Status.ENVIADO,
            ficha=FichaSisab.objects.get(origem="vacinacao", origem_id=enviada.id),
        )
    linhas = [_outbox(mundo, tipo="ficha_vacinacao_exclusao", objeto=dose) for dose in (retida, enviada)]
    assert _drenar(mundo) == {Outbox.Status.ENVIADO: 2}
    with tenant_context(mundo.municipio.id):
        ficha = FichaSisab.objects.get(origem="vacinacao", origem_id=retida.id)
        assert ficha.status == FichaSisab.Status.INVALIDA and "excluída" in ficha.erros[0]
        assert not ficha.entregas.exists()  # the pending delivery is gone
        cancelamento = FichaSisab.objects.get(origem="vacinacao", origem_id=enviada.id, origem_versao=2)
        assert Outbox.objects.get(id=linhas[1].id).resposta["cancelamento"] == cancelamento.uuid
        cancelada = FichaSisab.objects.get(origem="vacinacao", origem_id=enviada.id, origem_versao=1)
    assert cancelamento.dados["uuidFichaCancelada"] == cancelada.uuid


def test_outbox_row_without_a_mapping_is_a_dead_letter(m):
    linha = _outbox(m, tipo="ficha_desconhecida", objeto=mundo_envio.atendimento(m))
    assert _drenar(m) == {Outbox.Status.ERRO: 1}
    with tenant_context(m.municipio.id):
        assert "no LEDI mapping" in Outbox.objects.get(id=linha.id).ultimo_erro


def test_invalid_ficha_is_kept_with_its_reason_and_fixed_by_fixing_the_record(m):
    from pec.models import Profissional

    with tenant_context(m.municipio.id):
        Profissional.objects.filter(id=m.bob.profissional_id).update(cns="")
    todas = _todas(m)
    fai = next(f for f in todas if f.tipo == 4)
    assert fai.status == FichaSisab.Status.INVALIDA
    assert "não tem CNS" in " ".join(fai.erros)
    with tenant_context(m.municipio.id):
        Profissional.objects.filter(id=m.bob.profissional_id).update(cns="700000000000005")
    assert envio.fichas_gerar(municipio_id=m.municipio.id)["refeitas"] >= 1
    with tenant_context(m.municipio.id):
        refeita = FichaSisab.objects.get(id=fai.id)
    assert refeita.status == FichaSisab.Status.VALIDA and refeita.uuid == fai.uuid


# --- rules, one failing case each ------------------------------------------------------------


@pytest.fixture
def validas(m):
    return {f.tipo: f.dados for f in _todas(m)}


def _erros(tipo, dados, mudar):
    dados = copy.deepcopy(dados)
    mudar(dados)
    return " ".join(regras.ficha_erros(tipo=tipo, dados=dados))


def test_rules_pass_for_the_valid_fichas(validas):
    for tipo, dados in validas.items():
        assert regras.ficha_erros(tipo=tipo, dados=dados) == []


def test_rule_professional_cns_algorithm(validas):
    assert "CNS do profissional" in _erros(
        7, validas[7], lambda d: d["headerTransport"].update(profissionalCNS="700000000000001")
    )


def test_rule_cbo_allowed_per_ficha(validas):
    # 251605 (assistente social) may not type a vaccination ficha (regras/cbo.txt, table 12).
    assert "não pode registrar a ficha de Vacinação" in _erros(
        14, validas[14], lambda d: d["headerTransport"].update(cboCodigo_2002="251605")
    )
    assert cbos_por_ficha()[4]["225142"] is True and cbos_por_ficha()[4]["223565"] is False


def test_rule_dates_not_in_future_and_birth_before_atendimento(validas):
    futuro = int((timezone.now() + datetime.timedelta(days=2)).timestamp() * 1000)
    assert "no futuro" in _erros(4, validas[4], lambda d: d["headerTransport"].update(dataAtendimento=futuro))
    assert "nascimento é posterior" in _erros(
        4, validas[4], lambda d: d["atendimentosIndividuais"][0].update(dataNascimento=futuro)
    )


def test_rule_citizen_cpf_check_digits_and_cns_xor_cpf(validas):
    assert "CPF do cidadão" in _erros(14, validas[14], lambda d: d["vacinacoes"][0].update(cpfCidadao="12345678900"))
    assert "não os dois" in _erros(14, validas[14], lambda d: d["vacinacoes"][0].update(cnsCidadao="700000000000005"))


def test_rule_ciap_cid_w78_only_with_z34(validas):
    def w78(d):
        d["atendimentosIndividuais"][0]["problemasCondicoes"] = [{"ciap": "W78", "cid10": "O800", "isAvaliado": True}]

    assert "W78" in _erros(4, validas[4], w78)


def test_rule_ciap_procedure_codes_are_not_problems(validas):
    def procedimento(d):
        d["atendimentosIndividuais"][0]["problemasCondicoes"] = [{"ciap": "A31", "isAvaliado": True}]

    assert "é um procedimento" in _erros(4, validas[4], procedimento)


def test_rule_sigtap_groups_and_the_forbidden_escuta_code(validas):
    assert "grupos 01–04" in _erros(
        7, validas[7], lambda d: d["atendProcedimentos"][0].update(procedimentos=["0701010010"])
    )
    assert "escuta inicial" in _erros(
        7, validas[7], lambda d: d["atendProcedimentos"][0].update(procedimentos=["0301040079"])
    )
    assert "grupo 02" in _erros(
        4,
        validas[4],
        lambda d: d["atendimentosIndividuais"][0].update(
            exame=[{"codigoExame": "0301010072", "solicitadoAvaliado": ["S"]}]
        ),
    )


def test_rule_vaccine_table(validas):
    def fora_da_tabela(d):
        d["vacinacoes"][0]["vacinas"][0]["dose"] = 99999

    assert "tabela oficial de regras de vacinação" in _erros(14, validas[14], fora_da_tabela)

    def transcricao(d):
        vacina = d["vacinacoes"][0]["vacinas"][0]
        vacina.update(
            imunobiologico=15,
            dose=99999,
            stRegistroAnterior=True,
            dataRegistroAnterior=d["vacinacoes"][0]["dtNascimento"],
        )
        del vacina["estrategiaVacinacao"], vacina["grupoAtendimento"]
        d["vacinacoes"][0]["comunicanteHanseniase"] = False

    assert _erros(14, validas[14], transcricao) == ""  # a transcription may carry any dose


# --- vaccination: what the LEDI asks of each dose (dicionario-fv) ----------------------------


def test_vaccination_fichas_carry_group_manufacturer_name_hanseniase_and_validate_against_the_xsd():
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    antes = datetime.date(2022, 3, 1)
    doses = {
        "bcg": mundo_envio.vacina(mundo, imunobiologico="15", estrategia="1", dose="9", comunicante_hanseniase=False),
        "covid": mundo_envio.vacina(mundo, imunobiologico="102", estrategia="1", dose="1", fabricante="44618"),
        "covid transcrita": mundo_envio.vacina(
            mundo,
            imunobiologico="102",
            estrategia="1",
            dose="2",
            lote="",
            fabricante="",
            registro_anterior=True,
            data_aplicacao=antes,
        ),
        "bcg transcrita": mundo_envio.vacina(
            mundo,
            imunobiologico="15",
            estrategia="1",
            dose="9",
            lote="",
            fabricante="",
            comunicante_hanseniase=True,
            registro_anterior=True,
            data_aplicacao=antes,
        ),
        "sem grupo": mundo_envio.vacina(mundo, grupo_atendimento=""),
    }
    envio.fichas_gerar(municipio_id=mundo.municipio.id)
    with tenant_context(mundo.municipio.id):
        feitas = {nome: FichaSisab.objects.get(origem="vacinacao", origem_id=dose.id) for nome, dose in doses.items()}
        identidade = envio.instalacao_dados(envio.instalacao_do_municipio(municipio_id=mundo.municipio.id))
    filhos = {nome: ficha.dados["vacinacoes"][0] for nome, ficha in feitas.items()}
    vacinas = {nome: filho["vacinas"][0] for nome, filho in filhos.items()}
    # Applied: the LEDI group (121 = RNDS 000210, "faixa etária") and the manufacturer's name.
    assert vacinas["bcg"]["grupoAtendimento"] == 121 and vacinas["bcg"]["fabricante"] == "FIOCRUZ"
    assert filhos["bcg"]["comunicanteHanseniase"] is False and "comunicanteHanseniase" not in filhos["covid"]
    assert vacinas["covid"]["fabricante"] == "BIONTECH"  # fixed name of imunobiológico 102
    assert all("stAplicadoExterior" not in vacinas[nome] for nome in ("bcg", "covid", "bcg transcrita"))
    # Transcribed: no strategy but 11, no group; stAplicadoExterior only for COVID-19.
    for nome in ("covid transcrita", "bcg transcrita"):
        assert "estrategiaVacinacao" not in vacinas[nome] and "grupoAtendimento" not in vacinas[nome]
    assert vacinas["covid transcrita"]["stAplicadoExterior"] is False
    assert filhos["bcg transcrita"]["comunicanteHanseniase"] is True
    assert feitas.pop("sem grupo").status == FichaSisab.Status.INVALIDA
    assert all(f.status == FichaSisab.Status.VALIDA for f in feitas.values()), {n: f.erros for n, f in feitas.items()}
    for ficha in feitas.values():
        dado = envio.dado_transporte(ficha, identidade)
        ledi.validar_xml(etree.fromstring(ledi.para_xml(dado)))  # the official XSDs
        assert ledi.de_esus(ledi.para_esus(dado)).ficha == ficha.dados  # and the Thrift IDL


def _transcrita(f, v):
    v.update(stRegistroAnterior=True, dataRegistroAnterior=f["dtNascimento"])
    v.pop("grupoAtendimento")


@pytest.mark.parametrize(
    "mudar, trecho",
    [
        (lambda f, v: v.pop("grupoAtendimento"), "Informe o grupo de atendimento"),
        (lambda f, v: v.update(grupoAtendimento=9999), "não existe na tabela do e-SUS APS"),
        (lambda f, v: v.update(imunobiologico=9999, fabricante="149"), "pelo nome, não pelo código (149)"),
        (lambda f, v: v.update(imunobiologico=102, fabricante="PFIZER"), "o fabricante é BIONTECH"),
        (lambda f, v: v.update(lote="LT 2026"), "O lote aceita"),
        (lambda f, v: v.update(stAplicadoExterior=False), "stAplicadoExterior só é informado na transcrição"),
        (lambda f, v: v.update(imunobiologico=15), "Para a BCG, informe se o cidadão é comunicante de hanseníase"),
        (lambda f, v: f.update(comunicanteHanseniase=False), "só é informado com a BCG"),
        (lambda f, v: (_transcrita(f, v), v.update(estrategiaVacinacao=1)), "só a 11 (Pesquisa) é aceita"),
        (lambda f, v: (_transcrita(f, v), v.update(grupoAtendimento=121)), "não informa o grupo de atendimento"),
        (lambda f, v: (_transcrita(f, v), v.update(imunobiologico=102, fabricante="BIONTECH")), "aplicada no exterior"),
        (
            lambda f, v: (_transcrita(f, v), v.update(imunobiologico=15, stAplicadoExterior=False)),
            "só é informado na transcrição de vacinas de COVID-19",
        ),
        (lambda f, v: f.update(sexo=0), "não se aplica ao sexo masculino"),
        (lambda f, v: (f.update(sexo=5), f.pop("condicaoMaternal")), "Informe a condição maternal"),
    ],
)
def test_rule_vaccination_fields(validas, mudar, trecho):
    def mudanca(d):
        filho = d["vacinacoes"][0]
        mudar(filho, filho["vacinas"][0])

    assert trecho in _erros(14, validas[14], mudanca)


def test_rule_names(validas):
    erros = _erros(2, validas[2], lambda d: d["identificacaoUsuarioCidadao"].update(nomeCidadao="Maria  silva"))
    assert "maiúsculas" in erros
    assert "nome e sobrenome" in _erros(
        2, validas[2], lambda d: d["identificacaoUsuarioCidadao"].update(nomeCidadao="MARIA")
    )


def test_xsd_refuses_what_the_schema_forbids(m, validas):
    dados = copy.deepcopy(validas[14])
    dados["vacinacoes"][0]["turno"] = "manhã"  # xs:long in the XSD
    dado = ledi.novo_dado_transporte(
        tipo=14, ficha=dados, cnes="0000001", cod_ibge=m.municipio.ibge, ine="", instalacao=regras._VERIFICACAO
    )
    assert "XSD" in " ".join(regras.xsd_erros(dado))


def test_registry_has_one_mapping_per_ficha():
    assert {m.tipo for m in fichas.REGISTRO.values()} == {2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14}


def test_a_run_counts_each_new_invalid_ficha_once(m):
    from pec.models import Profissional

    with tenant_context(m.municipio.id):
        Profissional.objects.filter(id=m.bob.profissional_id).update(cns="")
    primeira = envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        invalidas = FichaSisab.objects.filter(status=FichaSisab.Status.INVALIDA).count()
    # Bob's fichas are invalid; made in this run, they are neither rebuilt nor counted twice.
    assert invalidas >= 1 and primeira == {"novas": 4, "refeitas": 0, "invalidas": invalidas}
    # The next run rebuilds each once (still invalid: nothing was fixed).
    assert envio.fichas_gerar(municipio_id=m.municipio.id) == {
        "novas": 0,
        "refeitas": invalidas,
        "invalidas": invalidas,
    }
