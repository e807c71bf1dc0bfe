"""Received Cadastros Individuais become citizens of the municipality's registry (through
its services, with the sender's professional as author), carry the same identification
when exported again, are idempotent, apply only newer updates, wait with a reason when
they cannot be placed and are placed by "Tentar de novo" once the cause is fixed."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from cds.models import Familia, Imovel, MembroFamilia
from cds.territorio.services import imovel_atualizar
from pec.ator import Ator
from pec.models import Equipe, Estabelecimento, Lotacao, Municipio, Profissional
from pec.tenancy import tenant_context
from prontuario.cadastro.services import cidadao_atualizar
from prontuario.models import Cidadao, CidadaoVersao
from sisab import fichas, ledi
from sisab.models import CadastroRecebido, FichaRecebida
from sisab.recebimento import credencial_emitir, lote_importar
from tests import mundo as fabricas
from tests.sisab.test_ledi import EXAMPLES

pytestmark = pytest.mark.django_db

IBGE_EXEMPLOS, CNES_EXEMPLOS, INE_EXEMPLOS = "4205407", "0019615", "0000471828"
CNS_ACS, CBO_ACS = "700609923387762", "515105"  # the professional of every official example
CPF_EXEMPLO = "31422733521"


@dataclasses.dataclass
class Mundo:
    municipio: Municipio
    ubs: Estabelecimento
    equipe: Equipe
    acs: Lotacao | None
    admin: Lotacao
    api: Client


def mundo(*, com_acs: bool = True) -> Mundo:
    """Florianópolis as the official examples declare it: the UBS, its team and the ACS
    who typed them, an admin, and a receiving credential logged in to the API."""
    municipio = fabricas.municipio_com_perfis("Florianópolis", ibge=IBGE_EXEMPLOS)
    with tenant_context(municipio.id):
        ubs = Estabelecimento.objects.create(municipio=municipio, cnes=CNES_EXEMPLOS, nome="CS Rio Tavares")
        equipe = Equipe.objects.create(
            municipio=municipio, ine=INE_EXEMPLOS, nome="ESF Rio Tavares", tipo_codigo="70", estabelecimento=ubs
        )
    admin = fabricas.lotacao_com_perfis(
        municipio, fabricas.usuario("Íris"), cbo="131205", perfis=["admin_municipal"], estabelecimento=ubs
    )
    m = Mundo(municipio, ubs, equipe, None, admin, Client())
    if com_acs:
        m.acs = acs_lotar(m)
    with tenant_context(municipio.id):
        credencial, senha = credencial_emitir(
            municipio_id=municipio.id,
            nome="Servidor CDS",
            responsavel="Fulano",
            documento="12345678000199",
            email="ti@exemplo.gov.br",
            por=admin.usuario,
        )
    resposta = m.api.post("/api/recebimento/login", {"usuario": credencial.usuario, "senha": senha})
    assert resposta.status_code == 200
    return m


def acs_lotar(m: Mundo) -> Lotacao:
    acs = fabricas.lotacao_com_perfis(
        m.municipio, fabricas.usuario("Ana ACS"), cbo=CBO_ACS, estabelecimento=m.ubs, equipe=m.equipe
    )
    with tenant_context(m.municipio.id):
        Profissional.objects.filter(id=acs.profissional_id).update(cns=CNS_ACS)
    return acs


def xml_do_exemplo(nome: str) -> bytes:
    """The official example as a LEDI 7.2.2 sender sends it: Cadastro_Individual carries
    informacoesSocioEconomicas, a block of LEDI 8 that the 7.2.2 XSD refuses (test_ledi's
    BROKEN), so it goes without that block, as a 7.2.2 installation's ficha has none."""
    raiz = etree.fromstring((EXAMPLES / nome).read_bytes())
    for bloco in raiz.iter("informacoesSocioEconomicas"):
        bloco.getparent().remove(bloco)
    return etree.tostring(raiz, xml_declaration=True, encoding="UTF-8")


def exemplo(nome: str) -> ledi.DadoTransporte:
    return ledi.de_xml(xml_do_exemplo(nome))


def enviar(m: Mundo, dado: ledi.DadoTransporte, *, como_xml: bytes | None = None) -> FichaRecebida:
    """Through the PEC-compatible API, as a CDS server sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    conteudo = como_xml if como_xml is not None else ledi.para_esus(dado)
    arquivo = SimpleUploadedFile(f"{dado.uuid}.esus{'.xml' if como_xml else ''}", conteudo)
    resposta = m.api.post("/api/v1/recebimento/ficha", {"ficha": arquivo})
    assert resposta.status_code == 200, resposta.content.decode()
    with tenant_context(m.municipio.id):
        return FichaRecebida.objects.get(uuid=dado.uuid)


def atualizacao(dado: ledi.DadoTransporte, uuid: str, *, dias: int, **identificacao: Any) -> ledi.DadoTransporte:
    """An update of the ficha: a new uuid, the same originadora, `dias` after it."""
    ficha = copy.deepcopy(dado.ficha)
    ficha |= {"uuid": uuid, "fichaAtualizada": True}
    ficha["headerTransport"]["dataAtendimento"] += dias * 86_400_000
    ficha["identificacaoUsuarioCidadao"] |= identificacao
    return dataclasses.replace(dado, uuid=uuid, ficha=ficha)


def cidadao_do_exemplo(m: Mundo) -> Cidadao:
    with tenant_context(m.municipio.id):
        return Cidadao.objects.get(cpf=CPF_EXEMPLO, ativo=True)


def _dia(epoch_ms: int) -> datetime.date:
    return timezone.localtime(datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)).date()


IDENTIFICACAO = (
    "nomeCidadao",
    "nomeSocial",
    "cpfCidadao",
    "cnsCidadao",
    "sexoCidadao",
    "racaCorCidadao",
    "etnia",
    "nomeMaeCidadao",
    "desconheceNomeMae",
    "nomePaiCidadao",
    "desconheceNomePai",
    "nacionalidadeCidadao",
    "codigoIbgeMunicipioNascimento",
    "portariaNaturalizacao",
    "telefoneCelular",
    "emailCidadao",
    "stForaArea",
)
DATAS = ("dataNascimentoCidadao", "dtNaturalizacao", "dtEntradaBrasil")


def identificacao_comparavel(identificacao: dict[str, Any]) -> dict[str, Any]:
    """The identification's meaningful content: dates as days (a sender may send any hour
    of the day), the microárea only inside the area ("FA" and none say the same)."""
    comparavel = {campo: identificacao.get(campo) or None for campo in IDENTIFICACAO}
    comparavel |= {campo: _dia(identificacao[campo]) if identificacao.get(campo) else None for campo in DATAS}
    comparavel["microArea"] = None if identificacao.get("stForaArea") else identificacao.get("microArea")
    return comparavel


@pytest.mark.parametrize("nome", ["Cadastro_Individual.esus.xml", "Cadastro_Individual_Recusa.esus.xml"])
def test_official_fci_becomes_a_citizen_that_exports_the_same_identification(nome):
    m = mundo()
    dado = exemplo(nome)
    ficha = enviar(m, dado, como_xml=xml_do_exemplo(nome))
    assert ficha.pendencias == []
    cidadao = cidadao_do_exemplo(m)
    with tenant_context(m.municipio.id):
        [versao] = CidadaoVersao.objects.filter(cidadao=cidadao)
        assert versao.lotacao_id == m.acs.id  # the sender's professional is the author
        assert cidadao.equipe_id == m.equipe.id  # the header's INE
        montada = fichas.cadastro_individual(cidadao)
    recebida = dado.ficha["identificacaoUsuarioCidadao"]
    assert identificacao_comparavel(montada.dados["identificacaoUsuarioCidadao"]) == identificacao_comparavel(recebida)


def test_citizen_page_says_where_the_record_came_from():
    m = mundo()
    enviar(m, exemplo("Cadastro_Individual.esus.xml"))
    cidadao = cidadao_do_exemplo(m)
    acs = fabricas.entrar(m.acs.usuario, m.acs, pela_escolha=True)
    pagina = acs.get(f"/cidadaos/{cidadao.pk}/").content.decode()
    assert "Recebido de ADMINISTRADOR INSTALAÇÃO (cadastro individual de 02/02/2019)." in pagina
    with tenant_context(m.municipio.id):
        local = fabricas.cidadao(m.acs, nome="JOAO LOCAL", cpf=fabricas.cpf())
    resposta = acs.get(f"/cidadaos/{local.pk}/")
    assert resposta.status_code == 200 and "Recebido de" not in resposta.content.decode()


def contagens(m: Mundo) -> dict[str, int]:
    with tenant_context(m.municipio.id):
        contagens = {
            modelo.__name__: modelo.objects.count()
            for modelo in (Cidadao, CidadaoVersao, CadastroRecebido, FichaRecebida, Imovel, Familia, MembroFamilia)
        }
        contagens["versoes dos imóveis"] = sum(Imovel.objects.values_list("versao", flat=True))
        return contagens


def lote(*nomes: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as arquivo:
        for nome in nomes:
            arquivo.writestr(f"{exemplo(nome).uuid}.esus.xml", xml_do_exemplo(nome))
    return buffer.getvalue()


def test_the_same_lote_twice_writes_nothing_the_second_time():
    m = mundo()
    nomes = (
        "Cadastro_Individual.esus.xml",
        "Cadastro_Domiciliar.esus.xml",  # one family waits: its responsável is unknown
        "Cadastro_Domiciliar_OutroImovel.esus.xml",
        "Cadastro_Domiciliar_Recusa.esus.xml",
    )
    conteudo = lote(*nomes)
    primeiro = lote_importar(municipio=m.municipio, nome="a.zip", conteudo=conteudo, por=None)
    assert (primeiro.aceitas, primeiro.recusas) == (4, [])
    depois_do_primeiro = contagens(m)
    assert (depois_do_primeiro["Cidadao"], depois_do_primeiro["Imovel"], depois_do_primeiro["Familia"]) == (1, 3, 1)
    assert depois_do_primeiro["CadastroRecebido"] == 4
    segundo = lote_importar(municipio=m.municipio, nome="a.zip", conteudo=conteudo, por=None)
    assert (segundo.aceitas, segundo.repetidas) == (0, 4)
    assert contagens(m) == depois_do_primeiro


def test_a_newer_update_changes_the_citizen_and_an_older_one_does_not():
    m = mundo()
    original = exemplo("Cadastro_Individual.esus.xml")
    enviar(m, original)
    nova = atualizacao(original, "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1a01", dias=30, telefoneCelular="48988887777")
    assert enviar(m, nova).pendencias == []
    cidadao = cidadao_do_exemplo(m)
    assert (cidadao.telefone_celular, cidadao.versao) == ("48988887777", 2)
    velha = atualizacao(
        original, "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1a02", dias=10, telefoneCelular="48911112222"
    )
    assert enviar(m, velha).pendencias == []
    cidadao = cidadao_do_exemplo(m)
    assert (cidadao.telefone_celular, cidadao.versao) == ("48988887777", 2)
    with tenant_context(m.municipio.id):
        [mapa] = CadastroRecebido.objects.all()
        assert (mapa.cidadao_id, mapa.ficha.uuid) == (cidadao.id, nova.uuid)


def test_an_update_with_the_death_records_it_and_exports_it():
    m = mundo()
    original = exemplo("Cadastro_Individual.esus.xml")
    enviar(m, original)
    obito = atualizacao(original, "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1a03", dias=30)
    obito.ficha["saidaCidadaoCadastro"] = {
        "motivoSaidaCidadao": 135,
        "dataObito": original.ficha["headerTransport"]["dataAtendimento"] + 20 * 86_400_000,
        "numeroDO": "123456789",
    }
    assert enviar(m, obito).pendencias == []
    cidadao = cidadao_do_exemplo(m)
    assert (cidadao.data_obito, cidadao.numero_do) == (datetime.date(2019, 2, 22), "123456789")
    with tenant_context(m.municipio.id):
        saida = fichas.cadastro_individual(cidadao).dados["saidaCidadaoCadastro"]
    assert (saida["motivoSaidaCidadao"], _dia(saida["dataObito"]), saida["numeroDO"]) == (
        135,
        datetime.date(2019, 2, 22),
        "123456789",
    )


def test_unknown_professional_waits_and_tentar_de_novo_places_it():
    m = mundo(com_acs=False)
    ficha = enviar(m, exemplo("Cadastro_Individual.esus.xml"))
    assert ficha.pendencias == [
        f"Cadastro individual: o profissional (CNS {CNS_ACS}, CBO {CBO_ACS}) não tem lotação no estabelecimento "
        f"CNES {CNES_EXEMPLOS}: cidadão fora do cadastro."
    ]
    with tenant_context(m.municipio.id):
        assert not Cidadao.objects.exists()
    admin = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    pagina = admin.get("/administracao/recebimento-ledi/").content.decode()
    assert "Fora dos registros do município" in pagina and "cidadão fora do cadastro" in pagina

    m.acs = acs_lotar(m)
    resposta = admin.post("/administracao/recebimento-ledi/pendentes/", follow=True)
    assert "1 ficha(s) incluída(s) por inteiro nos registros do município." in resposta.content.decode()
    assert cidadao_do_exemplo(m).nome == "CIDADÃO VALIDAÇÃO LEDI"
    ficha.refresh_from_db()
    assert ficha.pendencias == []


def test_a_likely_duplicate_waits_and_is_linked_once_the_admin_gives_it_the_cpf():
    m = mundo()
    with tenant_context(m.municipio.id):
        local = fabricas.cidadao(
            m.acs,
            nome="CIDADAO VALIDACAO LEDI",
            nome_mae="MARTA DOS SANTOS",
            sexo=1,
            data_nascimento=datetime.date(1991, 1, 1),
        )
    ficha = enviar(m, exemplo("Cadastro_Individual.esus.xml"))
    assert len(ficha.pendencias) == 1
    assert "o cidadão seria um possível duplicado de CIDADAO VALIDACAO LEDI (01/01/1991)" in ficha.pendencias[0]

    with tenant_context(m.municipio.id):
        Cidadao.objects.filter(pk=local.pk).update(cpf=CPF_EXEMPLO, atualizado_em=timezone.now())
    admin = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    admin.post("/administracao/recebimento-ledi/pendentes/")
    ficha.refresh_from_db()
    assert ficha.pendencias == []
    with tenant_context(m.municipio.id):
        [mapa] = CadastroRecebido.objects.all()
        # Our record changed after the ficha's date: linked, not overwritten.
        assert (mapa.cidadao_id, Cidadao.objects.get(pk=local.pk).nome) == (local.pk, "CIDADAO VALIDACAO LEDI")


def test_invalid_data_under_our_rules_waits_with_the_reason():
    m = mundo()
    dado = exemplo("Cadastro_Individual.esus.xml")
    dado.ficha["identificacaoUsuarioCidadao"]["codigoIbgeMunicipioNascimento"] = "9999999"
    ficha = enviar(m, dado)
    assert ficha.pendencias == [
        "Cadastro individual: dados recusados pelo cadastro do município: Código IBGE de município desconhecido."
    ]


def test_a_ficha_of_one_municipality_never_touches_another():
    outro = fabricas.municipio_com_perfis("Município B")
    lot_b = fabricas.lotacao_com_perfis(outro, fabricas.usuario("Bia"), cbo=CBO_ACS)
    with tenant_context(outro.id):
        Profissional.objects.filter(id=lot_b.profissional_id).update(cns=CNS_ACS)
        dela = fabricas.cidadao(lot_b, nome="OUTRA PESSOA", cpf=CPF_EXEMPLO)
    m = mundo()
    enviar(m, exemplo("Cadastro_Individual.esus.xml"))
    enviar(m, exemplo("Cadastro_Domiciliar.esus.xml"))
    assert cidadao_do_exemplo(m).nome == "CIDADÃO VALIDAÇÃO LEDI"
    with tenant_context(outro.id):
        assert Cidadao.objects.get(pk=dela.pk).nome == "OUTRA PESSOA"
        assert not CadastroRecebido.objects.exists() and not Imovel.objects.exists()
        assert not Familia.objects.filter(responsavel=dela).exists()
    pagina = fabricas.entrar(lot_b.usuario, lot_b, pela_escolha=True).get(f"/cidadaos/{dela.pk}/")
    assert pagina.status_code == 200 and "Recebido de" not in pagina.content.decode()


# --- Cadastro Domiciliar e Territorial -------------------------------------------------------

CNS_RESPONSAVEL = "119141073230003"  # the other family's responsável in Cadastro_Domiciliar


def responsaveis_cadastrar(m: Mundo) -> None:
    """The two responsáveis Cadastro_Domiciliar names: the citizen of Cadastro_Individual
    (received) and one registered here with the CNS the example gives."""
    enviar(m, exemplo("Cadastro_Individual.esus.xml"))
    with tenant_context(m.municipio.id):
        fabricas.cidadao(
            m.acs, nome="RESPONSAVEL DA OUTRA FAMILIA", cns=CNS_RESPONSAVEL, data_nascimento=datetime.date(2001, 1, 1)
        )


def imovel_do_exemplo(m: Mundo, dado: ledi.DadoTransporte) -> Imovel:
    with tenant_context(m.municipio.id):
        mapa = CadastroRecebido.objects.select_related("imovel").get(
            uuid_originadora=dado.ficha["uuidFichaOriginadora"]
        )
        assert mapa.imovel is not None
        return mapa.imovel


def _mes(epoch_ms: int) -> tuple[int, int]:
    dia = _dia(epoch_ms)
    return dia.year, dia.month


def familias_comparaveis(familias: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            f.get("cpfResponsavel") or f.get("numeroCnsResponsavel"),
            _dia(f["dataNascimentoResponsavel"]),
            f.get("numeroMembrosFamilia"),
            f.get("numeroProntuario"),
            f.get("rendaFamiliar"),
            _mes(f["resideDesde"]) if f.get("resideDesde") else None,
            bool(f.get("stMudanca")),
        )
        for f in familias
    }


def domiciliar_comparavel(dados: dict[str, Any]) -> dict[str, Any]:
    """The FCD's meaningful content; empty blocks and absent ones say the same."""
    endereco = dict(dados["enderecoLocalPermanencia"])
    if endereco.get("stForaArea"):
        endereco.pop("microArea", None)  # "FA" or none
    return {
        "tipoDeImovel": dados["tipoDeImovel"],
        "statusTermoRecusa": bool(dados.get("statusTermoRecusa")),
        "endereco": endereco,
        "coordenadas": (dados.get("latitude"), dados.get("longitude")),
        "condicaoMoradia": dados.get("condicaoMoradia") or None,
        "instituicaoPermanencia": dados.get("instituicaoPermanencia") or None,
        "animais": (
            dados.get("stAnimaisNoDomicilio"),
            sorted(dados.get("animaisNoDomicilio") or []),
            dados.get("quantosAnimaisNoDomicilio"),
        ),
        "familias": familias_comparaveis(dados.get("familias") or []),
    }


@pytest.mark.parametrize(
    "nome",
    ["Cadastro_Domiciliar.esus.xml", "Cadastro_Domiciliar_OutroImovel.esus.xml", "Cadastro_Domiciliar_Recusa.esus.xml"],
)
def test_official_fcd_becomes_an_imovel_that_exports_the_same_content(nome):
    m = mundo()
    responsaveis_cadastrar(m)
    dado = exemplo(nome)
    ficha = enviar(m, dado, como_xml=xml_do_exemplo(nome))
    assert ficha.pendencias == []
    imovel = imovel_do_exemplo(m, dado)
    assert (imovel.atualizado_por_id, imovel.equipe_id) == (m.acs.id, m.equipe.id)
    with tenant_context(m.municipio.id):
        montada = fichas.cadastro_domiciliar(imovel)
    assert domiciliar_comparavel(montada.dados) == domiciliar_comparavel(dado.ficha)


def test_families_whose_responsavel_is_unknown_wait_and_tentar_de_novo_places_them():
    m = mundo()
    dado = exemplo("Cadastro_Domiciliar.esus.xml")
    ficha = enviar(m, dado)
    assert ficha.pendencias == [
        f"Cadastro domiciliar, família 1: o responsável (CNS {CNS_RESPONSAVEL}) não está cadastrado no município: "
        "família fora do território.",
        f"Cadastro domiciliar, família 2: o responsável (CPF {CPF_EXEMPLO}) não está cadastrado no município: "
        "família fora do território.",
    ]
    imovel = imovel_do_exemplo(m, dado)  # the imóvel itself is placed
    with tenant_context(m.municipio.id):
        assert not Familia.objects.exists()

    responsaveis_cadastrar(m)
    admin = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    resposta = admin.post("/administracao/recebimento-ledi/pendentes/", follow=True)
    assert "1 ficha(s) incluída(s) por inteiro" in resposta.content.decode()
    ficha.refresh_from_db()
    assert ficha.pendencias == []
    with tenant_context(m.municipio.id):
        responsaveis = set(Familia.objects.filter(domicilio__imovel=imovel).values_list("responsavel__nome", flat=True))
    assert responsaveis == {"CIDADÃO VALIDAÇÃO LEDI", "RESPONSAVEL DA OUTRA FAMILIA"}


def test_an_inconsistent_responsavel_waits_with_the_reason():
    m = mundo()
    responsaveis_cadastrar(m)
    dado = exemplo("Cadastro_Domiciliar.esus.xml")
    dado.ficha["familias"][0]["dataNascimentoResponsavel"] = 662742000000  # 1991, not 2001
    ficha = enviar(m, dado)
    assert ficha.pendencias == [
        "Cadastro domiciliar, família 1: a data de nascimento do responsável (01/01/1991) não confere com o "
        "cadastro de RESPONSAVEL DA OUTRA FAMILIA (01/01/2001): família fora do território."
    ]


def test_a_newer_fcd_update_changes_the_imovel_and_moves_a_family_out():
    m = mundo()
    responsaveis_cadastrar(m)
    original = exemplo("Cadastro_Domiciliar.esus.xml")
    enviar(m, original)
    imovel = imovel_do_exemplo(m, original)
    ficha = copy.deepcopy(original.ficha)
    uuid = "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1b01"
    ficha |= {"uuid": uuid, "fichaAtualizada": True}
    ficha["headerTransport"]["dataAtendimento"] += 30 * 86_400_000
    ficha["enderecoLocalPermanencia"]["telefoneContato"] = "48988887777"
    ficha["familias"][0]["stMudanca"] = True
    assert enviar(m, dataclasses.replace(original, uuid=uuid, ficha=ficha)).pendencias == []
    with tenant_context(m.municipio.id):
        atual = Imovel.objects.get(pk=imovel.pk)
        mudou = Familia.objects.get(responsavel__cns=CNS_RESPONSAVEL)
        assert atual.telefone_contato == "48988887777" and atual.versao > imovel.versao
        assert mudou.data_mudanca == datetime.date(2019, 3, 5)
        assert Imovel.objects.count() == 1


def test_a_member_joins_the_responsaveis_family_and_leaves_it_on_mudanca():
    m = mundo()
    responsaveis_cadastrar(m)
    domicilio = exemplo("Cadastro_Domiciliar.esus.xml")
    domicilio.ficha["condicaoMoradia"]["nuMoradores"] = "3"  # room for one more
    enviar(m, domicilio)
    uuid = "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1c01"
    filho = copy.deepcopy(exemplo("Cadastro_Individual.esus.xml").ficha)
    filho |= {"uuid": uuid, "uuidFichaOriginadora": uuid}
    filho["identificacaoUsuarioCidadao"] |= {
        "nomeCidadao": "FILHO DO CIDADAO LEDI",
        "cpfCidadao": fabricas.cpf(),
        "statusEhResponsavel": False,
        "cpfResponsavelFamiliar": CPF_EXEMPLO,
    }
    dado = dataclasses.replace(exemplo("Cadastro_Individual.esus.xml"), uuid=uuid, ficha=filho)
    assert enviar(m, dado).pendencias == []
    with tenant_context(m.municipio.id):
        vinculo = MembroFamilia.objects.get(cidadao__nome="FILHO DO CIDADAO LEDI")
        assert vinculo.familia.responsavel.cpf == CPF_EXEMPLO and vinculo.saida is None

    mudanca = atualizacao(dado, "0019615-0b5c0e52-58a4-4e55-8a3e-6c2c8a1d1c02", dias=30)
    mudanca.ficha["saidaCidadaoCadastro"] = {"motivoSaidaCidadao": 136}
    assert enviar(m, mudanca).pendencias == []
    with tenant_context(m.municipio.id):
        vinculo.refresh_from_db()
        saiu = Cidadao.objects.get(pk=vinculo.cidadao_id)
    assert vinculo.saida == datetime.date(2019, 3, 4)
    assert (saiu.equipe_id, saiu.microarea) == (None, "")


def test_a_received_record_is_not_exported_as_ours_until_changed_here():
    """The received ficha goes on to the SISAB as it came; a ficha of ours for the same
    version would send the citizen twice. A change typed here is ours to send."""
    m = mundo()
    responsaveis_cadastrar(m)
    dado = exemplo("Cadastro_Domiciliar_OutroImovel.esus.xml")
    enviar(m, dado)
    recebido, imovel = cidadao_do_exemplo(m), imovel_do_exemplo(m, dado)

    def sem_ficha(origem: str) -> set[int]:
        with tenant_context(m.municipio.id):
            return set(fichas.REGISTRO[origem].pendentes(m.municipio.id).values_list("id", flat=True))

    with tenant_context(m.municipio.id):
        nosso = Cidadao.objects.get(cns=CNS_RESPONSAVEL)
    assert sem_ficha("cidadao") == {nosso.id} and sem_ficha("imovel") == set()
    with tenant_context(m.municipio.id):
        cidadao_atualizar(lotacao=m.acs, cidadao=recebido, dados={"telefone_celular": "48977776666"})
        imovel_atualizar(
            ator=Ator(municipio_id=m.municipio.id, lotacao=m.acs),
            imovel=imovel,
            dados={"telefone_contato": "48977776666"},
        )
    assert sem_ficha("cidadao") == {nosso.id, recebido.id} and sem_ficha("imovel") == {imovel.id}
