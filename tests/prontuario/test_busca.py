"""The one-box citizen search: identifiers, dates, names without accents or order, the
mother's name; ranking; isolation; a pinned number of queries."""

from __future__ import annotations

import datetime

import pytest

from pec.tenancy import tenant_context
from prontuario.models import CidadaoPalavra
from prontuario.selectors import cidadao_buscar, consulta_interpretar
from prontuario.services import cidadao_atualizar, cidadao_unificar
from tests.prontuario import fabricas

pytestmark = pytest.mark.django_db


@pytest.fixture
def povo(mundo):
    c = {}
    c["maria_silva"] = fabricas.cidadao(mundo.alice, nome="Maria José da Silva", cpf=fabricas.cpf())
    c["maria_souza"] = fabricas.cidadao(
        mundo.alice, nome="Maria Souza", cns=fabricas.cns_provisorio(), data_nascimento=datetime.date(1990, 7, 1),
        nome_mae="Conceição Gonçalves Souza",
    )
    c["silva_maria"] = fabricas.cidadao(mundo.alice, nome="Antônia Silva Mariano", nome_mae="Joana D'Ávila")
    c["joao"] = fabricas.cidadao(mundo.alice, nome="João D'Ávila Müller", sexo=0, nome_mae="Maria Souza Lima")
    c["social"] = fabricas.cidadao(mundo.alice, nome="Carlos Pereira", nome_social="Carla Pereira", sexo=0)
    c["outra_cidade"] = fabricas.cidadao(mundo.charlie, nome="Maria José da Silva", nome_mae="Zélia Ramos")
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
        (maria_silva_santos.pk, 1), (povo["maria_silva"].pk, 2), (povo["silva_maria"].pk, 3)
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
    with tenant_context(mundo.a.id):
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=povo["maria_silva"], unificado=povo["silva_maria"])
    encontrados = ids(buscar(mundo.alice, "silva"))
    assert povo["maria_silva"].pk in encontrados and povo["silva_maria"].pk not in encontrados


def test_busca_e_uma_consulta(mundo, povo, django_assert_num_queries):
    with tenant_context(mundo.a.id):
        with django_assert_num_queries(1):
            assert cidadao_buscar(lotacao=mundo.alice, entrada="maria silva").cidadaos
        with django_assert_num_queries(1):
            cidadao_buscar(lotacao=mundo.alice, entrada=povo["maria_silva"].cpf)


def palavras_de(cidadao):
    with tenant_context(cidadao.municipio_id):
        return sorted(
            CidadaoPalavra.objects.filter(cidadao=cidadao).values_list("campo", "posicao", "palavra")
        )


NOME, MAE = CidadaoPalavra.Campo.NOME, CidadaoPalavra.Campo.MAE


def test_palavras_gravadas_no_cadastro(mundo, povo):
    assert palavras_de(povo["social"]) == [
        (NOME, 1, "carlos"), (NOME, 2, "pereira"), (NOME, 3, "carla"),  # the social name after the name
        (MAE, 1, "ana"), (MAE, 2, "aparecida"), (MAE, 3, "silva"),  # fabricas' default mother
    ]
    assert palavras_de(povo["joao"]) == [
        (NOME, 1, "joao"), (NOME, 2, "davila"), (NOME, 3, "muller"), (MAE, 1, "maria"), (MAE, 2, "souza"), (MAE, 3, "lima"),
    ]
    # Row-level security: Charlie's municipality sees none of Alice's words.
    with tenant_context(mundo.b.id):
        assert not CidadaoPalavra.objects.filter(cidadao=povo["joao"]).exists()


def test_troca_de_nome_apaga_as_palavras_antigas(mundo, povo):
    with tenant_context(mundo.a.id):
        cidadao_atualizar(
            lotacao=mundo.alice, cidadao=povo["joao"],
            dados={"nome": "João Batista Müller", "nome_mae": "", "mae_desconhecida": True},
        )
    assert palavras_de(povo["joao"]) == [(NOME, 1, "joao"), (NOME, 2, "batista"), (NOME, 3, "muller")]
    assert ids(buscar(mundo.alice, "davila")) == [povo["silva_maria"].pk]  # only the mother Joana D'Ávila now
    assert ids(buscar(mundo.alice, "batista joao")) == [povo["joao"].pk]
    assert ids(buscar(mundo.alice, "souza lima")) == []


def test_unificacao_reescreve_as_palavras(mundo, povo):
    sem_mae = fabricas.cidadao(mundo.alice, nome="Maria Souza", nome_mae="", mae_desconhecida=True)
    with tenant_context(mundo.a.id):
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=sem_mae, unificado=povo["maria_souza"])
    # The merged record leaves the index; the survivor gains the mother's name it lacked.
    assert palavras_de(povo["maria_souza"]) == []
    assert palavras_de(sem_mae) == [
        (NOME, 1, "maria"), (NOME, 2, "souza"), (MAE, 1, "conceicao"), (MAE, 2, "goncalves"), (MAE, 3, "souza"),
    ]
    assert ids(buscar(mundo.alice, "goncalves conceicao")) == [sem_mae.pk]


def test_palavra_rara_com_palavra_comum_nao_se_perde_no_limite(mundo, povo):
    """More citizens hold the common word than fit in a page: the any-order band must
    intersect the words, not take a page of the common one and filter it."""
    for n in range(8):
        fabricas.cidadao(mundo.alice, nome=f"Maria Souza {'ABCDEFGH'[n]}ntunes", nome_mae="Maria Beltrão")
    raro = fabricas.cidadao(mundo.alice, nome="Zuleica Maria Beltrão")
    with tenant_context(mundo.a.id):
        resultado = cidadao_buscar(lotacao=mundo.alice, entrada="beltrao ma", limite=5).cidadaos
        # Typed partially and out of order, two words of one name matching "ma" (Maria,
        # Mariano) still give one row per citizen.
        repetidos = cidadao_buscar(lotacao=mundo.alice, entrada="ma silva").cidadaos
    assert [(c.pk, c.faixa) for c in resultado][0] == (raro.pk, 3)
    assert {c.faixa for c in resultado[1:]} == {4}  # then sons of a "Maria Beltrão"
    assert len(ids(repetidos)) == len(set(ids(repetidos)))
    assert povo["silva_maria"].pk in ids(repetidos)
