"""The Ficha de Cadastro Domiciliar e Territorial (LEDI type 3) from cds territory typed
through its services: valid against the official XSD, decoded from .esus by a fresh load
of the official IDL with the same content, updated through its originadora, kept to its
municipality, and a non-domicílio imóvel with its own rules."""

from __future__ import annotations

import copy
import datetime
import io
import zipfile
from typing import Any

import pytest

from cds.models import Imovel
from cds.territorio import services
from pec.ator import Ator
from pec.models import EventoAuditoria, Lotacao
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from sisab import envio, fichas, ledi, regras, selectors
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


def _ator(lot: Lotacao) -> Ator:
    return Ator(municipio_id=lot.municipio_id, lotacao=lot, usuario=lot.usuario)


def _pessoa(lot: Lotacao, nome: str, nascimento: datetime.date) -> Cidadao:
    return fabricas.cidadao(lot, nome=nome, cpf=fabricas.cpf(), data_nascimento=nascimento)


def _rua(lot: Lotacao) -> Any:
    dados = {
        "tipo_dne": "81",
        "nome": "Rua das Flores",
        "cep": "30140071",
        "bairro": "Centro",
        "municipio_ibge": "3106200",
    }
    with tenant_context(lot.municipio_id):
        return services.logradouro_cadastrar(ator=_ator(lot), dados=dados)


def _casa_com_duas_familias(m: mundo_envio.MundoEnvio) -> tuple[Imovel, list[Cidadao]]:
    """A domicílio typed by the enfermeira (a CBO allowed to register the FCD)."""
    lot = m.nina
    rua = _rua(lot)
    maria, joao = (
        _pessoa(lot, "Maria Jose Souza", datetime.date(1980, 3, 2)),
        _pessoa(lot, "Joao Pedro Souza", datetime.date(2010, 7, 9)),
    )
    rosa = _pessoa(lot, "Rosa Lima Costa", datetime.date(1955, 1, 20))
    with tenant_context(lot.municipio_id):
        casa = services.imovel_cadastrar(
            ator=_ator(lot),
            dados={
                "logradouro": rua,
                "tipo": 1,
                "numero": "120",
                "complemento": "Fundos",
                "microarea": "03",
                "telefone_residencia": "3133334444",
                "latitude": "-19.91670000",
                "longitude": "-43.93450000",
                "localizacao": 83,
                "situacao_moradia": 75,
                "tipo_domicilio": 85,
                "tipo_acesso": 89,
                "material_paredes": 109,
                "comodos": 5,
                "moradores": 4,
                "abastecimento_agua": 117,
                "agua_consumo": 219,
                "escoamento_banheiro": 122,
                "destino_lixo": 93,
                "energia_eletrica": True,
                "origem_energia": 230,
                "tem_animais": True,
                "animais": [129, 128],
                "quantos_animais": 3,
            },
        )
        services.familia_cadastrar(
            ator=_ator(lot),
            imovel=casa,
            responsavel=maria,
            membros=[joao],
            dados={"renda": 3, "reside_desde": datetime.date(2019, 5, 1), "numero_prontuario": "F01"},
        )
        services.familia_cadastrar(ator=_ator(lot), imovel=casa, responsavel=rosa, dados={"renda": 8})
    return casa, [maria, joao, rosa]


@pytest.fixture
def m() -> mundo_envio.MundoEnvio:
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    return mundo


def _fichas(m: mundo_envio.MundoEnvio) -> list[FichaSisab]:
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        return list(FichaSisab.objects.filter(tipo=3).order_by("origem_versao"))


def _exportado(m: mundo_envio.MundoEnvio, ficha: FichaSisab, formato: str) -> bytes:
    return mundo_envio.exportado(m.municipio, ficha, formato)


def _independente(conteudo: bytes) -> Any:
    return mundo_envio.decodificado_pela_idl_oficial(conteudo, 3)


def test_a_domicilio_with_two_families_exports_as_valid_xml_and_esus_with_the_same_content(m):
    casa, (maria, _joao, rosa) = _casa_com_duas_familias(m)
    [ficha] = _fichas(m)
    assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
    assert ficha.lotacao_id == m.nina.id and ficha.origem == "imovel" and ficha.origem_id == casa.id
    d = ficha.dados
    assert d["uuid"] == d["uuidFichaOriginadora"] == fichas.uuid_originadora_imovel(casa)
    assert d["fichaAtualizada"] is False and d["tipoDeImovel"] == 1 and d["statusTermoRecusa"] is False
    header = d["headerTransport"]
    assert header["cboCodigo_2002"] == "223565" and header["cnes"] == m.nina.estabelecimento.cnes
    assert header["codigoIbgeMunicipio"] == m.municipio.ibge
    endereco = d["enderecoLocalPermanencia"]
    assert endereco["tipoLogradouroNumeroDne"] == "081" and endereco["numeroDneUf"] == "14"  # IBGE 31: MG
    assert endereco["microArea"] == "03" and endereco["stForaArea"] is False and endereco["numero"] == "120"
    assert d["condicaoMoradia"]["nuMoradores"] == "4" and d["condicaoMoradia"]["nuComodos"] == "5"
    assert d["animaisNoDomicilio"] == [128, 129] and d["quantosAnimaisNoDomicilio"] == "3"
    assert "instituicaoPermanencia" not in d
    familias = d["familias"]
    assert [f["cpfResponsavel"] for f in familias] == [maria.cpf, rosa.cpf]
    assert [f["numeroMembrosFamilia"] for f in familias] == [2, 1]
    assert [f.get("rendaFamiliar") for f in familias] == [3, 8]
    assert familias[0]["resideDesde"] == fichas.epoch_ms(datetime.date(2019, 5, 1))
    assert familias[0]["dataNascimentoResponsavel"] == fichas.epoch_ms(datetime.date(1980, 3, 2))

    xml = _exportado(m, ficha, "xml")
    lido_xml = ledi.de_xml(xml)  # validates against the official XSD
    assert lido_xml.tipo == 3 and lido_xml.ficha == d

    esus = _exportado(m, ficha, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = _independente(esus)
    assert oficial.uuid == d["uuid"] and oficial.uuidFichaOriginadora == d["uuidFichaOriginadora"]
    assert oficial.tipoDeImovel == 1 and oficial.tipoEndereco == 3 and oficial.fichaAtualizada is False
    assert oficial.enderecoLocalPermanencia.nomeLogradouro == "Rua das Flores"
    assert oficial.enderecoLocalPermanencia.cep == "30140071"
    assert oficial.condicaoMoradia.situacaoMoradiaPosseTerra == 75
    assert oficial.condicaoMoradia.tipoOrigemEnergiaEletrica == 230
    assert oficial.latitude == pytest.approx(-19.9167) and oficial.longitude == pytest.approx(-43.9345)
    assert [(f.cpfResponsavel, f.numeroMembrosFamilia, f.stMudanca) for f in oficial.familias] == [
        (maria.cpf, 2, False),
        (rosa.cpf, 1, False),
    ]
    assert oficial.headerTransport.profissionalCNS == header["profissionalCNS"]
    assert oficial.headerTransport.dataAtendimento == header["dataAtendimento"]
    assert envio.fichas_gerar(municipio_id=m.municipio.id)["novas"] == 0  # idempotent


def test_a_change_to_a_family_is_an_update_pointing_to_the_originadora_credited_to_who_made_it(m):
    casa, (maria, _joao, rosa) = _casa_com_duas_familias(m)
    [primeira] = _fichas(m)
    with tenant_context(m.municipio.id):
        familia = rosa.familias_responsavel.get()
        services.familia_registrar_mudanca(ator=_ator(m.bob), familia=familia, data=datetime.date.today())
    cadastros = _fichas(m)
    assert len(cadastros) == 2
    segunda = cadastros[1]
    assert segunda.status == FichaSisab.Status.VALIDA, segunda.erros
    assert segunda.uuid != primeira.uuid and segunda.dados["fichaAtualizada"] is True
    assert segunda.dados["uuidFichaOriginadora"] == primeira.uuid
    assert segunda.lotacao_id == m.bob.id and segunda.dados["headerTransport"]["cboCodigo_2002"] == "225142"
    assert [(f["cpfResponsavel"], f["stMudanca"]) for f in segunda.dados["familias"]] == [
        (maria.cpf, False),
        (rosa.cpf, True),
    ]
    oficial = _independente(_exportado(m, segunda, "esus"))
    assert oficial.uuidFichaOriginadora == primeira.uuid and oficial.fichaAtualizada is True
    ledi.de_xml(_exportado(m, segunda, "xml"))

    # A change to the imóvel itself is one more update, to the same originadora.
    with tenant_context(m.municipio.id):
        services.imovel_atualizar(ator=_ator(m.nina), imovel=casa, dados={"comodos": 6})
    terceira = _fichas(m)[2]
    assert terceira.dados["uuidFichaOriginadora"] == primeira.uuid
    assert terceira.dados["condicaoMoradia"]["nuComodos"] == "6"


def test_another_municipality_records_never_appear():
    a, b = mundo_envio.mundo("Município A"), mundo_envio.mundo("Município B")
    for mundo in (a, b):
        mundo_envio.identificar(mundo.municipio)
    _casa_com_duas_familias(b)
    envio.fichas_gerar(municipio_id=a.municipio.id)
    with tenant_context(a.municipio.id):
        assert not FichaSisab.objects.filter(municipio_id=a.municipio.id, tipo=3).exists()
        assert not fichas.REGISTRO["imovel"].pendentes(a.municipio.id).exists()
    saida = io.BytesIO()
    competencia = datetime.date.today().replace(day=1)
    envio.exportar(municipio=a.municipio, competencia=competencia, formato="xml", saida=saida)
    with zipfile.ZipFile(saida) as arquivo:
        assert [ledi.de_xml(arquivo.read(n)).tipo for n in arquivo.namelist()] == [2]  # only A's Maria
    assert len(_fichas(b)) == 1


def test_a_comercio_exports_only_the_address_and_its_own_rules_hold(m):
    lot = m.nina
    rua = _rua(lot)
    with tenant_context(lot.municipio_id):
        loja = services.imovel_cadastrar(
            ator=_ator(lot),
            dados={
                "logradouro": rua,
                "tipo": 2,
                "sem_numero": True,
                "fora_de_area": True,
                "telefone_contato": "31988887777",
            },
        )
    [ficha] = _fichas(m)
    assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
    d = ficha.dados
    assert d["tipoDeImovel"] == 2
    assert not {"condicaoMoradia", "familias", "stAnimaisNoDomicilio", "instituicaoPermanencia"} & set(d)
    assert d["enderecoLocalPermanencia"]["stSemNumero"] is True and "numero" not in d["enderecoLocalPermanencia"]
    assert d["enderecoLocalPermanencia"]["stForaArea"] is True and "microArea" not in d["enderecoLocalPermanencia"]
    ledi.de_xml(_exportado(m, ficha, "xml"))
    assert _independente(_exportado(m, ficha, "esus")).tipoDeImovel == 2
    assert loja.pk == ficha.origem_id

    # What a comércio may not carry is refused at export, with the reason.
    def erros(**extra: Any) -> list[str]:
        return regras.ficha_erros(tipo=3, dados={**copy.deepcopy(d), **extra})

    assert erros() == []
    assert any("Comércio não tem condições de moradia" in e for e in erros(condicaoMoradia={"localizacao": 83}))
    assert any("Comércio não leva familias" in e for e in erros(familias=[{"cpfResponsavel": "1"}]))
    endereco = {**d["enderecoLocalPermanencia"], "telefoneResidencia": "3133334444"}
    assert any("telefone residencial" in e for e in erros(enderecoLocalPermanencia=endereco))


@pytest.mark.parametrize(
    "mudar,trecho",
    [
        (lambda d: d["familias"][1].update(cpfResponsavel=d["familias"][0]["cpfResponsavel"]), "mesmo responsável"),
        (lambda d: d["familias"][0].update(cpfResponsavel="12345678900"), "CPF do responsável familiar"),
        (lambda d: d["familias"][0].update(numeroCnsResponsavel="700000000000000"), "não os dois"),
        (lambda d: d["familias"][0].update(numeroMembrosFamilia=0), "número de membros"),
        (
            lambda d: d["familias"][0].update(resideDesde=d["headerTransport"]["dataAtendimento"] + 40 * 86_400_000),
            "Reside desde",
        ),
        (
            lambda d: d["familias"][0].update(
                dataNascimentoResponsavel=d["headerTransport"]["dataAtendimento"] + 86_400_000
            ),
            "nascimento",
        ),
        (lambda d: d["condicaoMoradia"].update(nuMoradores="2"), "número de moradores"),
        (lambda d: d["condicaoMoradia"].update(areaProducaoRural=101), "localização rural"),
        (lambda d: d.update(quantosAnimaisNoDomicilio="1"), "quantidade de animais"),
        (lambda d: d["enderecoLocalPermanencia"].pop("microArea"), "microárea"),
        (lambda d: d.update(statusTermoRecusa=True), "termo de recusa"),
        (lambda d: d.update(fichaAtualizada=False, uuid="0000001-" + d["uuid"][:36]), "uuidFichaOriginadora"),
        (lambda d: d["headerTransport"].update(cboCodigo_2002="999999"), "CBO"),
    ],
)
def test_ledi_rules_the_services_do_not_hold_are_refused_at_export(m, mudar, trecho):
    _casa_com_duas_familias(m)
    [ficha] = _fichas(m)
    dados = copy.deepcopy(ficha.dados)
    mudar(dados)
    erros = regras.ficha_erros(tipo=3, dados=dados)
    assert any(trecho in e for e in erros), erros


def test_an_imovel_nobody_with_a_lotacao_touched_waits_for_one(m):
    with tenant_context(m.municipio.id):
        rua = _rua(m.nina)
        services.imovel_cadastrar(
            ator=Ator(municipio_id=m.municipio.id),
            dados={"logradouro": rua, "tipo": 3, "numero": "7", "microarea": "01"},
        )
    assert _fichas(m) == []


def test_reading_the_ficha_audits_a_read_of_each_responsavel(m):
    _, (maria, _joao, rosa) = _casa_com_duas_familias(m)
    [ficha] = _fichas(m)
    with tenant_context(m.municipio.id):
        antes = EventoAuditoria.objects.filter(evento="leitura_prontuario").count()
        selectors.ficha_ler(ator=_ator(m.admin), ficha_id=ficha.id)
        lidos = set(
            EventoAuditoria.objects.filter(evento="leitura_prontuario")
            .order_by("id")[antes:]
            .values_list("cidadao_id", flat=True)
        )
    assert lidos == {maria.id, rosa.id}


def test_an_institution_carries_its_permanencia_and_a_recusa_only_its_address(m):
    lot = m.nina
    rua = _rua(lot)
    with tenant_context(lot.municipio_id):
        abrigo = services.imovel_cadastrar(
            ator=_ator(lot),
            dados={
                "logradouro": rua,
                "tipo": 7,
                "numero": "12",
                "microarea": "02",
                "localizacao": 83,
                "moradores": 30,
                "instituicao_nome": "Abrigo Esperança",
                "instituicao_outros_profissionais": True,
                "instituicao_responsavel_nome": "José da Silva",
                "instituicao_responsavel_cns": fabricas.cns_provisorio(),
                "instituicao_responsavel_cargo": "Diretor",
            },
        )
        recusa = services.imovel_cadastrar(
            ator=_ator(lot), dados={"logradouro": rua, "tipo": 1, "numero": "14", "microarea": "02", "recusa": True}
        )
    por_imovel = {f.origem_id: f for f in _fichas(m)}
    for ficha in por_imovel.values():
        assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
        ledi.de_xml(_exportado(m, ficha, "xml"))
    instituicao = por_imovel[abrigo.id].dados["instituicaoPermanencia"]
    assert instituicao["nomeResponsavelTecnico"] == "JOSÉ DA SILVA"  # validar_nome: uppercase
    assert (
        _independente(_exportado(m, por_imovel[abrigo.id], "esus")).instituicaoPermanencia.cargoInstituicao == "Diretor"
    )
    assert "situacaoMoradiaPosseTerra" not in por_imovel[abrigo.id].dados["condicaoMoradia"]
    recusada = por_imovel[recusa.id].dados
    assert recusada["statusTermoRecusa"] is True
    assert not {"condicaoMoradia", "familias", "stAnimaisNoDomicilio", "instituicaoPermanencia"} & set(recusada)
