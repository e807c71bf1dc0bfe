"""The one-box citizen search: identifiers, dates, names without accents or order, the
mother's name; ranking; isolation; a pinned number of queries. Every test of results runs
twice: before the word counts exist (each band walks names) and after (bands narrowed to
the intersection of the typed words' citizens)."""

from __future__ import annotations

import datetime

import pytest

from pec.tenancy import tenant_context
from prontuario.cadastro import selectors
from prontuario.cadastro.selectors import cidadao_buscar, consulta_interpretar
from prontuario.cadastro.services import palavras_frequencias_atualizar
from prontuario.models import PalavraFrequencia
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


def contar(*municipios):
    for municipio in municipios:
        with tenant_context(municipio.id):
            palavras_frequencias_atualizar(municipio_id=municipio.id)


@pytest.fixture(params=["sem contagens", "com contagens"])
def povo(request, mundo):
    c = {}
    c["maria_silva"] = fabricas.cidadao(mundo.alice, nome="Maria José da Silva", cpf=fabricas.cpf())
    c["maria_souza"] = fabricas.cidadao(
        mundo.alice,
        nome="Maria Souza",
        cns=fabricas.cns_provisorio(),
        data_nascimento=datetime.date(1990, 7, 1),
        nome_mae="Conceição Gonçalves Souza",
    )
    c["silva_maria"] = fabricas.cidadao(mundo.alice, nome="Antônia Silva Mariano", nome_mae="Joana D'Ávila")
    c["joao"] = fabricas.cidadao(mundo.alice, nome="João D'Ávila Müller", sexo=0, nome_mae="Maria Souza Lima")
    c["social"] = fabricas.cidadao(mundo.alice, nome="Carlos Pereira", nome_social="Carla Pereira", sexo=0)
    c["outra_cidade"] = fabricas.cidadao(mundo.charlie, nome="Maria José da Silva", nome_mae="Zélia Ramos")
    if request.param == "com contagens":
        contar(mundo.a, mundo.b)
    return c


def buscar(lotacao, texto):
    with tenant_context(lotacao.municipio_id):
        return cidadao_buscar(lotacao=lotacao, entrada=texto).cidadaos


def ids(cidadaos):
    return [c.pk for c in cidadaos]


def test_interpreta_o_que_foi_digitado():
    assert consulta_interpretar("123.456.789-00").erro  # wrong check digits
    cpf = fabricas.cpf()
    assert consulta_interpretar(f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}").cpf == cpf
    cns = fabricas.cns_provisorio()
    assert consulta_interpretar(f"{cns[:3]} {cns[3:7]} {cns[7:11]} {cns[11:]}").cns == cns
    c = consulta_interpretar("MARIA da Conceição 01/07/1990")
    assert (c.palavras, c.data_nascimento) == (("maria", "conceicao"), datetime.date(1990, 7, 1))
    assert consulta_interpretar("31/02/1990").erro == "Data inválida: use dd/mm/aaaa."
    assert consulta_interpretar("da de").vazia


def test_sem_acento_sem_caixa_parcial_e_fora_de_ordem(mundo, povo):
    assert ids(buscar(mundo.alice, "joao davila muller")) == [povo["joao"].pk]
    assert ids(buscar(mundo.alice, "MÜLLER joão")) == [povo["joao"].pk]
    assert ids(buscar(mundo.alice, "mul jo")) == [povo["joao"].pk]
    assert ids(buscar(mundo.alice, "silva jose")) == [povo["maria_silva"].pk]


def test_ranking_identificador_nome_em_ordem_qualquer_ordem_mae(mundo, povo):
    maria_silva_santos = fabricas.cidadao(mundo.alice, nome="Maria Silva Santos")
    resultado = buscar(mundo.alice, "maria silva")
    # In order (band 1); first name first (2); any order (3): "Antônia Silva Mariano".
    assert [(c.pk, c.faixa) for c in resultado] == [
        (maria_silva_santos.pk, 1),
        (povo["maria_silva"].pk, 2),
        (povo["silva_maria"].pk, 3),
    ]
    resultado = buscar(mundo.alice, "maria souza")
    # The citizen named so, then the son of a mother named so (band 4).
    assert [(c.pk, c.faixa) for c in resultado] == [(povo["maria_souza"].pk, 1), (povo["joao"].pk, 4)]
    cpf = povo["maria_silva"].cpf
    assert [(c.pk, c.faixa) for c in buscar(mundo.alice, cpf)] == [(povo["maria_silva"].pk, 0)]
    assert ids(buscar(mundo.alice, povo["maria_souza"].cns)) == [povo["maria_souza"].pk]


def test_data_sozinha_ou_com_nome_e_nome_social(mundo, povo):
    assert ids(buscar(mundo.alice, "01/07/1990")) == [povo["maria_souza"].pk]
    assert ids(buscar(mundo.alice, "maria 01/07/1990")) == [povo["maria_souza"].pk]
    assert ids(buscar(mundo.alice, "maria 02/07/1990")) == []
    assert ids(buscar(mundo.alice, "carla")) == [povo["social"].pk]
    assert buscar(mundo.alice, "carla")[0].nome_exibicao == "CARLA PEREIRA"
    assert ids(buscar(mundo.alice, "conceicao goncalves")) == [povo["maria_souza"].pk]


def test_outro_municipio_nao_aparece(mundo, povo):
    assert ids(buscar(mundo.charlie, "maria silva")) == [povo["outra_cidade"].pk]
    assert ids(buscar(mundo.charlie, povo["maria_silva"].cpf)) == []
    assert ids(buscar(mundo.alice, "zelia")) == []


def test_cadastro_unificado_sai_da_busca(mundo, povo):
    from prontuario.cadastro.services import cidadao_unificar

    with tenant_context(mundo.a.id):
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=povo["maria_silva"], unificado=povo["silva_maria"])
    encontrados = ids(buscar(mundo.alice, "silva"))
    assert povo["maria_silva"].pk in encontrados and povo["silva_maria"].pk not in encontrados


def test_consultas_fixas(mundo, povo, django_assert_num_queries):
    with tenant_context(mundo.a.id):
        contadas = PalavraFrequencia.objects.exists()
        with django_assert_num_queries(1):
            cidadao_buscar(lotacao=mundo.alice, entrada=povo["maria_silva"].cpf)
        with django_assert_num_queries(1):
            cidadao_buscar(lotacao=mundo.alice, entrada="maria 01/07/1990")
        # The counts (none yet: every band in one statement); with counts, the citizens'
        # names (intersection, bands 1-3), then the mothers' intersection, which is empty
        # here ("silva" is no mother's word), so band 4 is not even asked for.
        with django_assert_num_queries(4 if contadas else 2):
            assert cidadao_buscar(lotacao=mundo.alice, entrada="maria silva").cidadaos


def test_contagens_por_palavra(mundo, povo):
    contar(mundo.a)
    with tenant_context(mundo.a.id):
        contagens = {(f.campo, f.palavra): f.cidadaos for f in PalavraFrequencia.objects.all()}
    assert contagens[PalavraFrequencia.Campo.TOTAL, ""] == 5
    assert contagens[PalavraFrequencia.Campo.NOME, "maria"] == 2  # whole words: "mariano" is another
    assert contagens[PalavraFrequencia.Campo.NOME, "carla"] == 1  # the social name counts
    assert contagens[PalavraFrequencia.Campo.MAE, "souza"] == 2
    assert (PalavraFrequencia.Campo.NOME, "zelia") not in contagens  # another municipality's mother


@pytest.mark.parametrize(
    "limites",
    [
        {"DENSOS": 0},  # every search "dense": bands walk names
        {"LEITURA_MAXIMA": 0},  # no word affordable: bands walk names
        {"CANDIDATOS_MAXIMOS": 0},  # every intersection "too large": bands walk names
        {"DENSOS": 10**9, "LEITURA_MAXIMA": 1},  # at most the one rarest word, others checked per row
    ],
)
def test_mesmos_resultados_por_qualquer_caminho(mundo, povo, monkeypatch, limites):
    fabricas.cidadao(mundo.alice, nome="Maria Silva Santos")
    consultas = ["maria silva", "silva maria", "maria souza", "mul jo", "souza lima", "pereira carla", "joana"]
    esperado = {q: [(c.pk, c.faixa) for c in buscar(mundo.alice, q)] for q in consultas}
    for nome, valor in limites.items():
        monkeypatch.setattr(selectors, nome, valor)
    assert {q: [(c.pk, c.faixa) for c in buscar(mundo.alice, q)] for q in consultas} == esperado
    assert esperado["maria souza"] == [(povo["maria_souza"].pk, 1), (povo["joao"].pk, 4)]


def test_palavra_nova_depois_da_contagem_e_encontrada(mundo, povo):
    contar(mundo.a)
    novo = fabricas.cidadao(mundo.alice, nome="Zacarias Quintanilha Maria")
    assert ids(buscar(mundo.alice, "quintanilha zacarias")) == [novo.pk]
    assert ids(buscar(mundo.alice, "maria quint")) == [novo.pk]


def test_contagem_noturna_de_cada_municipio(mundo, povo, celery_eager):
    from prontuario.tasks import palavras_frequencias_todas

    assert palavras_frequencias_todas.apply().get() == 2
    with tenant_context(mundo.b.id):
        assert PalavraFrequencia.objects.get(campo=PalavraFrequencia.Campo.TOTAL).cidadaos == 1
