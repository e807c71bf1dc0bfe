"""Território pages (cds/territorio/views.py): an imóvel with its família typed through the
pages becomes a tipo 3 ficha valid against the official XSD; every consistency rule the
services hold is shown next to its field with nothing written; only a lotação whose CBO
may produce the cadastro domiciliar edits; reads that show citizens are audited; the
query counts of the list and the imóvel page stay fixed as the territory grows.
(Another municipality's 404 on every URL with an id: tests/test_isolamento_urls.py.)"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cds.models import Familia, Imovel, Logradouro
from pec.models import Equipe, EventoAuditoria, Lotacao
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from sisab import ledi
from sisab.models import FichaSisab
from tests import mundo as fabricas
from tests.cds.test_territorio import familia, imovel, logradouro, pessoa
from tests.mundo import Mundo
from tests.sisab import mundo_envio
from tests.sisab.test_ficha_domiciliar import _exportado, _fichas

pytestmark = pytest.mark.django_db

HOJE = timezone.localdate()
AMANHA = HOJE + datetime.timedelta(days=1)


def foto(municipio_id: int) -> dict[str, list[str]]:
    """Every territory row of the municipality (cds models), to show nothing changed."""
    with tenant_context(municipio_id):
        return {
            modelo._meta.label: sorted(repr(linha) for linha in modelo._default_manager.values_list())
            for modelo in apps.get_app_config("cds").get_models()
        }


def eventos_de_escrita(municipio_id: int) -> int:
    with tenant_context(municipio_id):
        return EventoAuditoria.objects.filter(
            municipio_id=municipio_id, evento__regex=r"^(logradouro|imovel|familia)_"
        ).count()


def erros(resposta: Any) -> dict[str, list[str]]:
    """The messages of every form on the page, by field."""
    formularios = {
        chave: valor
        for contexto in resposta.context  # one context per template rendered (includes too)
        for chave, valor in contexto.flatten().items()
        if chave.startswith("form") and hasattr(valor, "errors")
    }
    achados: dict[str, list[str]] = {}
    for form in formularios.values():
        for campo, mensagens in form.errors.items():
            achados.setdefault(campo, []).extend(mensagens)
    return achados


def salvou(resposta: Any) -> str:
    """The post was accepted (a redirect); else the forms' messages say why."""
    assert resposta.status_code == 302, (resposta.status_code, erros(resposta))
    return str(resposta["Location"])


# --- the whole path, through the pages, to the SISAB --------------------------------------------


@pytest.fixture
def m() -> mundo_envio.MundoEnvio:
    mundo = mundo_envio.mundo()
    mundo_envio.identificar(mundo.municipio)
    return mundo


def test_an_imovel_with_a_familia_typed_through_the_pages_is_exported_as_valid_tipo_3_xml(m):
    nina = fabricas.entrar(m.nina)
    destino = salvou(
        nina.post(
            reverse("territorio_logradouro_novo"),
            {
                "tipo_dne": "81",
                "nome": "Rua  das Acácias",
                "cep": "30140-071",
                "bairro": "Centro",
                "municipio_ibge": "3106200",
            },
        )
    )
    with tenant_context(m.municipio.id):
        rua = Logradouro.objects.get()
    assert destino.endswith(f"?logradouro={rua.pk}")
    assert rua.nome == "Rua das Acácias" and rua.cep == "30140071"

    formulario = nina.get(destino).content.decode()
    assert f'<option value="{rua.pk}" selected>' in formulario and 'data-tipos="1 7 8 9 10 11"' in formulario
    resposta = nina.post(
        destino,
        {
            "logradouro": rua.pk,
            "tipo": 1,
            "numero": "45",
            "complemento": "Casa 2",
            "microarea": "07",
            "telefone_contato": "(31) 98888-7777",
            "localizacao": 83,
            "situacao_moradia": 77,
            "tipo_domicilio": 85,
            "comodos": 4,
            "moradores": 3,
            "abastecimento_agua": 117,
            "energia_eletrica": "true",
            "tem_animais": "true",
            "animais": [128],
            "quantos_animais": 1,
        },
    )
    destino = salvou(resposta)
    with tenant_context(m.municipio.id):
        casa = Imovel.objects.get()
    assert destino == reverse("territorio_imovel", args=[casa.pk])
    assert casa.telefone_contato == "31988887777" and casa.atualizado_por_id == m.nina.id

    # The responsável is found by the citizens' search and chosen among its results.
    joana = pessoa(m.nina, "Joana Dark Pereira")
    url = reverse("territorio_familia_nova", args=[casa.pk])
    busca = salvou(nina.post(url, {"q": joana.cpf}))
    assert joana.cpf not in busca  # a search by identifiers never lands in a URL (pec.buscas)
    assert f'name="responsavel" value="{joana.pk}"' in nina.get(busca).content.decode()
    destino = salvou(nina.post(url, {"responsavel": joana.pk, "renda": 3, "reside_desde": "2021-06"}))
    with tenant_context(m.municipio.id):
        nova = Familia.objects.get()
    assert destino == reverse("territorio_familia", args=[nova.pk])
    assert nova.responsavel_id == joana.pk and nova.reside_desde == datetime.date(2021, 6, 1)

    # Linking a citizen to the família.
    filho = pessoa(m.nina, "Pedro Dark Pereira")
    salvou(nina.post(reverse("territorio_familia_membro", args=[nova.pk]), {"cidadao": filho.pk}))
    pagina = nina.get(reverse("territorio_familia", args=[nova.pk])).content.decode()
    assert "PEDRO DARK PEREIRA" in pagina.upper() and "JOANA DARK PEREIRA" in pagina.upper()

    [ficha] = _fichas(m)
    assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
    assert ficha.origem_id == casa.pk and ficha.lotacao_id == m.nina.id
    lido = ledi.de_xml(_exportado(m, ficha, "xml"))  # validates against the official XSD
    assert lido.tipo == 3 and lido.ficha == ficha.dados
    d = lido.ficha
    assert d["tipoDeImovel"] == 1 and d["enderecoLocalPermanencia"]["microArea"] == "07"
    assert d["enderecoLocalPermanencia"]["nomeLogradouro"] == "Rua das Acácias"
    assert d["condicaoMoradia"]["nuMoradores"] == "3" and d["animaisNoDomicilio"] == [128]
    assert [(f["cpfResponsavel"], f["numeroMembrosFamilia"], f["rendaFamiliar"]) for f in d["familias"]] == [
        (joana.cpf, 2, 3)
    ]


def test_a_non_domicile_typed_through_the_page_exports_only_what_its_type_has(m):
    rua = logradouro(m.nina)
    salvou(
        fabricas.entrar(m.nina).post(
            reverse("territorio_imovel_novo"),
            {"logradouro": rua.pk, "tipo": 5, "sem_numero": "on", "fora_de_area": "on", "ponto_referencia": "Praça"},
        )
    )
    [ficha] = _fichas(m)
    assert ficha.status == FichaSisab.Status.VALIDA, ficha.erros
    d = ledi.de_xml(_exportado(m, ficha, "xml")).ficha
    assert d["tipoDeImovel"] == 5 and d["enderecoLocalPermanencia"]["stForaArea"] is True
    assert "condicaoMoradia" not in d and "familias" not in d


# --- who may edit -------------------------------------------------------------------------------


def test_a_lotacao_whose_cbo_may_not_produce_the_cadastro_domiciliar_reads_but_gets_403_on_edits(mundo):
    # An ACS perfil (territorio.editar) on a CBO outside LEDI's group for the FCD.
    fora = fabricas.lotacao_com_perfis(
        mundo.a, fabricas.usuario("Fora"), cbo="999999", perfis=["acs"], estabelecimento=mundo.ubs
    )
    casa = imovel(mundo.bob)
    grupo = familia(mundo.bob, casa, pessoa(mundo.bob))
    antes = foto(mundo.a.id)
    client = fabricas.entrar(fora)
    for nome, args in [("territorio_imoveis", []), ("territorio_logradouros", []), ("territorio_imovel", [casa.pk])]:
        pagina = client.get(reverse(nome, args=args))
        assert pagina.status_code == 200, nome
        assert reverse("territorio_imovel_novo") not in pagina.content.decode()
    edicoes = [
        ("territorio_logradouro_novo", []),
        ("territorio_logradouro", [casa.logradouro_id]),
        ("territorio_imovel_novo", []),
        ("territorio_imovel_editar", [casa.pk]),
        ("territorio_familia_nova", [casa.pk]),
        ("territorio_familia_dados", [grupo.pk]),
        ("territorio_familia_membro", [grupo.pk]),
        ("territorio_familia_saida", [grupo.pk]),
        ("territorio_familia_responsavel", [grupo.pk]),
        ("territorio_familia_mudanca", [grupo.pk]),
    ]
    for nome, args in edicoes:
        for metodo in (client.get, client.post):
            resposta = metodo(reverse(nome, args=args), {"tipo": "1", "data_mudanca": HOJE.isoformat()})
            assert resposta.status_code == 403, (nome, resposta.status_code)
    resposta = client.get(reverse("territorio_imovel_novo"))
    assert "não pode registrar o cadastro domiciliar e territorial" in resposta.content.decode()
    assert client.post(reverse("territorio_familia", args=[grupo.pk]), {"q": "maria"}).status_code == 403
    assert foto(mundo.a.id) == antes


def test_without_territorio_ver_the_pages_are_403_and_the_menu_has_no_entry(mundo):
    medica = fabricas.lotacao_com_perfis(
        mundo.a, fabricas.usuario("Sem"), cbo="225142", perfis=["admin_municipal"], estabelecimento=mundo.ubs
    )
    client = fabricas.entrar(medica)
    assert client.get(reverse("territorio_imoveis")).status_code == 403
    assert reverse("territorio_imoveis") not in client.get("/").content.decode()
    assert 'href="/cds/territorio/">Território</a>' in fabricas.entrar(mundo.bob).get("/").content.decode()


# --- bad input: the service's message next to the field, nothing written -----------------------


@dataclass
class Territorio:
    """Bob's territory in A: a casa with Maria's família (Maria, João), a casa2 declaring
    one morador with Rosa's família, a comércio, a casa with the termo de recusa; Zeca (no
    CPF or CNS) lives with Maria; Lia (with CPF) and Olga (óbito) live nowhere."""

    lot: Lotacao
    rua: Logradouro
    casa: Imovel
    casa2: Imovel
    comercio: Imovel
    recusa: Imovel
    maria_familia: Familia
    rosa_familia: Familia
    joao: Cidadao
    rosa: Cidadao
    maria: Cidadao
    lia: Cidadao
    zeca: Cidadao
    olga: Cidadao


@pytest.fixture
def t(mundo: Mundo) -> Territorio:
    lot = mundo.bob
    rua = logradouro(lot)
    casa = imovel(lot, rua)
    casa2 = imovel(lot, rua, numero="122", localizacao=83, situacao_moradia=75, moradores=1)
    comercio = imovel(lot, rua, numero="130", tipo=2)
    recusa = imovel(lot, rua, numero="140", recusa=True)
    maria, joao, rosa = pessoa(lot), pessoa(lot, "Joao Pedro da Silva"), pessoa(lot, "Rosa Maria Lima")
    zeca = fabricas.cidadao(lot, nome="Zeca Sem Documento")
    maria_familia = familia(lot, casa, maria, (joao, zeca), reside_desde=datetime.date(2020, 1, 1))
    rosa_familia = familia(lot, casa2, rosa)
    olga = pessoa(lot, "Olga Benario Souza")
    with tenant_context(mundo.a.id):
        Cidadao.objects.filter(pk=olga.pk).update(data_obito=HOJE)
    return Territorio(
        lot=lot,
        rua=rua,
        casa=casa,
        casa2=casa2,
        comercio=comercio,
        recusa=recusa,
        maria_familia=maria_familia,
        rosa_familia=rosa_familia,
        joao=joao,
        rosa=rosa,
        maria=maria,
        lia=pessoa(lot, "Lia Costa Rocha"),
        zeca=zeca,
        olga=olga,
    )


def _dados_imovel(t: Territorio, **campos: Any) -> dict[str, Any]:
    return {"logradouro": t.rua.pk, "tipo": 1, "numero": "9", "microarea": "01", **campos}


def _imovel(t: Territorio, **campos: Any) -> tuple[str, dict[str, Any]]:
    return reverse("territorio_imovel_novo"), _dados_imovel(t, **campos)


def _condicoes(**campos: Any) -> dict[str, Any]:
    return {"localizacao": 83, "situacao_moradia": 75, **campos}


def _editar_casa(t: Territorio, **campos: Any) -> tuple[str, dict[str, Any]]:
    dados = _dados_imovel(t, **{"numero": "120", "microarea": "03", **campos})
    return reverse("territorio_imovel_editar", args=[t.casa.pk]), dados


def _nova_familia(casa: str, quem: str, **campos: Any) -> Any:
    return lambda t: (
        reverse("territorio_familia_nova", args=[getattr(t, casa).pk]),
        {"responsavel": getattr(t, quem).pk, **campos},
    )


def _na_familia(acao: str, familia: str = "maria_familia", **campos: Any) -> Any:
    def montar(t: Territorio) -> tuple[str, dict[str, Any]]:
        dados = {
            chave: getattr(t, valor).pk if isinstance(valor, str) and hasattr(t, valor) else valor
            for chave, valor in campos.items()
        }
        return reverse(acao, args=[getattr(t, familia).pk]), dados

    return montar


ONTEM_DE_2019 = "2019-12-31"
CASOS: list[tuple[str, Any, str, str]] = [
    # logradouro
    (
        "cep",
        lambda t: (
            reverse("territorio_logradouro_novo"),
            {"tipo_dne": "81", "nome": "Rua A", "cep": "123", "bairro": "B"},
        ),
        "cep",
        "O CEP tem 8 dígitos.",
    ),
    (
        "ibge",
        lambda t: (
            reverse("territorio_logradouro_novo"),
            {"tipo_dne": "81", "nome": "Rua A", "cep": "30140071", "bairro": "B", "municipio_ibge": "1234567"},
        ),
        "municipio_ibge",
        "Código IBGE de município desconhecido.",
    ),
    (
        "tipo_dne",
        lambda t: (
            reverse("territorio_logradouro", args=[t.rua.pk]),
            {"tipo_dne": "ABC", "nome": "Rua A", "cep": "30140071", "bairro": "B"},
        ),
        "tipo_dne",
        "código DNE",
    ),
    # imóvel: endereço
    ("numero", lambda t: _imovel(t, numero=""), "numero", 'Informe o número ou marque "sem número".'),
    ("sem_numero", lambda t: _imovel(t, sem_numero="on"), "numero", 'Com "sem número" marcado'),
    ("microarea", lambda t: _imovel(t, microarea=""), "microarea", 'Informe a microárea ou marque "fora de área".'),
    ("fora_de_area", lambda t: _imovel(t, fora_de_area="on"), "microarea", "Um imóvel fora de área não tem microárea."),
    ("microarea_digitos", lambda t: _imovel(t, microarea="A1"), "microarea", "A microárea tem 2 dígitos."),
    ("latitude", lambda t: _imovel(t, latitude="-19.9"), "longitude", "Latitude e longitude são informadas juntas."),
    (
        "telefone",
        lambda t: _imovel(t, tipo=2, telefone_residencia="3133334444"),
        "telefone_residencia",
        "Só um imóvel do tipo Domicílio",
    ),
    ("recusa", lambda t: _imovel(t, recusa="on", **_condicoes()), "localizacao", "Com o termo de recusa"),
    # imóvel: condições de moradia
    (
        "sem_condicoes",
        lambda t: _imovel(t, tipo=2, localizacao=83),
        "localizacao",
        "do tipo Comércio não tem condições de moradia",
    ),
    ("localizacao", lambda t: _imovel(t, abastecimento_agua=117), "localizacao", "Informe a localização"),
    ("situacao", lambda t: _imovel(t, localizacao=83), "situacao_moradia", "Informe a situação de moradia"),
    (
        "situacao_abrigo",
        lambda t: _imovel(t, tipo=7, **_condicoes()),
        "situacao_moradia",
        "Não se aplica a um imóvel do tipo Abrigo",
    ),
    (
        "comodos_abrigo",
        lambda t: _imovel(t, tipo=7, localizacao=83, comodos=3),
        "comodos",
        "Não se aplica a um imóvel do tipo Abrigo",
    ),
    (
        "comodos_zero",
        lambda t: _imovel(t, **_condicoes(comodos=0)),
        "comodos",
        "O número de cômodos não pode ser zero.",
    ),
    (
        "area_rural",
        lambda t: _imovel(t, **_condicoes(area_producao_rural=101)),
        "area_producao_rural",
        "Só um imóvel de localização rural",
    ),
    (
        "energia",
        lambda t: _imovel(t, **_condicoes(energia_eletrica="false", origem_energia=230)),
        "origem_energia",
        "Sem energia elétrica",
    ),
    # imóvel: animais
    (
        "animais_comercio",
        lambda t: _imovel(t, tipo=2, tem_animais="true"),
        "tem_animais",
        "Só um imóvel do tipo Domicílio registra animais.",
    ),
    ("animais_sem_marcar", lambda t: _imovel(t, animais=[128]), "animais", "Marque que há animais"),
    (
        "quantos_animais",
        lambda t: _imovel(t, tem_animais="true", animais=[128, 129], quantos_animais=1),
        "quantos_animais",
        "não pode ser menor",
    ),
    # imóvel: instituição de permanência
    (
        "instituicao_domicilio",
        lambda t: _imovel(t, instituicao_nome="Lar"),
        "instituicao_nome",
        "não é instituição de permanência",
    ),
    (
        "responsavel_tecnico",
        lambda t: _imovel(t, tipo=8, instituicao_nome="Lar", instituicao_responsavel_nome="A"),
        "instituicao_responsavel_nome",
        "Informe o nome do responsável técnico",
    ),
    (
        "cns_tecnico",
        lambda t: _imovel(
            t,
            tipo=8,
            instituicao_nome="Lar",
            instituicao_responsavel_nome="Ana Souza",
            instituicao_responsavel_cns="123456789012345",
        ),
        "instituicao_responsavel_cns",
        "CNS inválido.",
    ),
    # imóvel: what its families need
    ("tipo_com_familias", lambda t: _editar_casa(t, tipo=2), "tipo", "Há famílias morando neste imóvel"),
    (
        "moradores",
        lambda t: _editar_casa(t, **_condicoes(moradores=1)),
        "moradores",
        "não pode ser menor que os 3 membros",
    ),
    # família nova
    (
        "familia_comercio",
        _nova_familia("comercio", "lia"),
        "responsavel",
        "Só um imóvel do tipo Domicílio tem famílias.",
    ),
    ("familia_recusa", _nova_familia("recusa", "lia"), "responsavel", "termo de recusa"),
    ("responsavel_obito", _nova_familia("casa", "olga"), "responsavel", "tem óbito registrado"),
    ("responsavel_sem_documento", _nova_familia("casa", "zeca"), "responsavel", "precisa ter CPF ou CNS"),
    ("responsavel_de_outra", _nova_familia("casa", "rosa"), "responsavel", "já é responsável por outra família"),
    ("responsavel_membro_de_outra", _nova_familia("casa", "joao"), "responsavel", "é membro de outra família"),
    ("moradores_declarados", _nova_familia("casa2", "lia"), "responsavel", "O imóvel declara 1 moradores"),
    (
        "reside_desde_futuro",
        _nova_familia("casa", "lia", reside_desde=f"{HOJE.year + 1}-01"),
        "reside_desde",
        "não pode ser posterior ao mês atual",
    ),
    (
        "sem_responsavel",
        lambda t: (reverse("territorio_familia_nova", args=[t.casa.pk]), {}),
        "responsavel",
        "Busque e escolha o cidadão.",
    ),
    # família: dados
    (
        "prontuario",
        _na_familia("territorio_familia_dados", numero_prontuario="F-01"),
        "numero_prontuario",
        "Use apenas letras e números.",
    ),
    (
        "dados_reside_desde",
        _na_familia("territorio_familia_dados", reside_desde=f"{HOJE.year + 1}-01"),
        "reside_desde",
        "não pode ser posterior ao mês atual",
    ),
    # família: linking a citizen
    ("membro_desta", _na_familia("territorio_familia_membro", cidadao="joao"), "cidadao", "já é membro desta família"),
    (
        "membro_de_outra",
        _na_familia("territorio_familia_membro", cidadao="rosa"),
        "cidadao",
        "é membro de outra família",
    ),
    ("membro_obito", _na_familia("territorio_familia_membro", cidadao="olga"), "cidadao", "tem óbito registrado"),
    (
        "entrada_futura",
        _na_familia("territorio_familia_membro", cidadao="lia", entrada=AMANHA.isoformat()),
        "entrada",
        "não pode ser posterior a hoje",
    ),
    (
        "membro_moradores",
        _na_familia("territorio_familia_membro", "rosa_familia", cidadao="lia"),
        "cidadao",
        "atualize o número de moradores",
    ),
    # família: saída, responsável, mudança
    (
        "saida_responsavel",
        _na_familia("territorio_familia_saida", cidadao="maria", saida=HOJE.isoformat()),
        "cidadao",
        "O responsável não sai da família",
    ),
    (
        "saida_antes",
        _na_familia("territorio_familia_saida", cidadao="joao", saida=ONTEM_DE_2019),
        "saida",
        "não pode ser anterior a",
    ),
    (
        "saida_futura",
        _na_familia("territorio_familia_saida", cidadao="joao", saida=AMANHA.isoformat()),
        "saida",
        "não pode ser posterior a hoje",
    ),
    (
        "troca_sem_documento",
        _na_familia("territorio_familia_responsavel", responsavel="zeca"),
        "responsavel",
        "precisa ter CPF ou CNS",
    ),
    (
        "mudanca_futura",
        _na_familia("territorio_familia_mudanca", data_mudanca=AMANHA.isoformat()),
        "data_mudanca",
        "não pode ser posterior a hoje",
    ),
    (
        "mudanca_antes",
        _na_familia("territorio_familia_mudanca", data_mudanca=ONTEM_DE_2019),
        "data_mudanca",
        "não pode ser anterior a 01/01/2020",
    ),
]


@pytest.mark.parametrize(("montar", "campo", "mensagem"), [c[1:] for c in CASOS], ids=[c[0] for c in CASOS])
def test_bad_input_shows_the_message_next_to_the_field_and_writes_nothing(mundo, t, montar, campo, mensagem):
    url, dados = montar(t)
    antes, escritas = foto(mundo.a.id), eventos_de_escrita(mundo.a.id)
    resposta = fabricas.entrar(t.lot).post(url, dados)
    assert resposta.status_code == 200
    do_campo = erros(resposta).get(campo, [])
    assert any(mensagem in erro for erro in do_campo), erros(resposta)
    pagina = resposta.content.decode()
    assert any(f'id="erro_{campo}">{escape(erro)}<' in pagina for erro in do_campo if mensagem in erro)
    assert foto(mundo.a.id) == antes and eventos_de_escrita(mundo.a.id) == escritas


# --- fixed query counts ---------------------------------------------------------------------------


def test_the_imoveis_list_costs_the_same_queries_with_3_imoveis_as_with_60(mundo, django_assert_num_queries):
    rua = logradouro(mundo.bob)
    bob = fabricas.entrar(mundo.bob)
    url = reverse("territorio_imoveis") + "?microarea=03"
    bob.get(url)  # the session's first touch is written once
    for quantos in (3, 60):
        with tenant_context(mundo.a.id):
            ja = Imovel.objects.count()
        for numero in range(ja, quantos):
            imovel(mundo.bob, rua, numero=str(numero + 1))
        # session, user, session limits, savepoint, tenant and user settings, lotação,
        # permissions, the count, the equipes and the page of imóveis (logradouro and
        # equipe joined), release.
        with django_assert_num_queries(12):
            pagina = bob.get(url).content.decode()
        assert pagina.count('<a href="/cds/territorio/imoveis/') == min(quantos, 50)


def test_the_imovel_page_costs_the_same_queries_with_1_familia_as_with_4(mundo, django_assert_num_queries):
    casa = imovel(mundo.bob)
    bob = fabricas.entrar(mundo.bob)
    url = reverse("territorio_imovel", args=[casa.pk])
    bob.get(url)  # the session's first touch is written once
    for quantas in (1, 4):
        with tenant_context(mundo.a.id):
            ja = Familia.objects.count()
        for n in range(ja, quantas):
            familia(
                mundo.bob,
                casa,
                pessoa(mundo.bob, f"Responsavel {'ABCD'[n]} Silva"),
                (pessoa(mundo.bob, f"Filho {'ABCD'[n]} Silva"),),
            )
        # the same request queries as the list, the imóvel, its families with their
        # members counted in one query, and the audit event of the responsáveis shown.
        with django_assert_num_queries(12):
            pagina = bob.get(url).content.decode()
        assert pagina.count('<a href="/cds/territorio/familias/') == quantas
    with tenant_context(mundo.a.id):
        evento = EventoAuditoria.objects.filter(o_que=f"famílias do imóvel {casa.pk}").latest("id")
    assert len(evento.detalhes["cidadaos"]) == 4


def test_an_agent_first_sees_the_imoveis_of_their_own_team_and_microarea(mundo):
    with tenant_context(mundo.a.id):
        equipe = Equipe.objects.create(
            municipio=mundo.a, ine="0000000001", nome="ESF Centro", tipo_codigo="70", estabelecimento=mundo.ubs
        )
    acs = fabricas.lotacao_com_perfis(
        mundo.a, fabricas.usuario("Fabio"), cbo="515105", estabelecimento=mundo.ubs, equipe=equipe
    )
    with tenant_context(mundo.a.id):
        Lotacao.objects.filter(pk=acs.pk).update(microarea="02")
    rua = logradouro(mundo.bob)
    minha = imovel(mundo.bob, rua, numero="1", microarea="02", equipe=equipe)
    outra = imovel(mundo.bob, rua, numero="2", microarea="03", equipe=equipe)
    client = fabricas.entrar(acs)
    primeira = client.get(reverse("territorio_imoveis")).content.decode()
    assert reverse("territorio_imovel", args=[minha.pk]) in primeira
    assert reverse("territorio_imovel", args=[outra.pk]) not in primeira
    todas = client.get(reverse("territorio_imoveis") + "?equipe=&microarea=").content.decode()
    assert reverse("territorio_imovel", args=[outra.pk]) in todas


def test_the_cidadao_page_links_to_the_familia_for_who_sees_the_territory(mundo):
    maria, joao = pessoa(mundo.bob), pessoa(mundo.bob, "Joao Pedro da Silva")
    grupo = familia(mundo.bob, responsavel=maria, membros=(joao,))
    link = reverse("territorio_familia", args=[grupo.pk])
    pagina = fabricas.entrar(mundo.bob).get(reverse("cidadao_detalhe", args=[joao.pk])).content.decode()
    assert f'<a href="{link}">Família de {maria.nome_exibicao}</a>' in pagina
    with tenant_context(mundo.a.id):
        assert EventoAuditoria.objects.filter(cidadao_id=joao.pk, o_que=f"família {grupo.pk}").exists()
    sem_territorio = fabricas.lotacao_com_perfis(
        mundo.a, fabricas.usuario("Iris"), cbo="131205", perfis=["admin_municipal"], estabelecimento=mundo.ubs
    )
    pagina = fabricas.entrar(sem_territorio).get(reverse("cidadao_detalhe", args=[joao.pk])).content.decode()
    assert link not in pagina and "<dt>Família</dt>" not in pagina
