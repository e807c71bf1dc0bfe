"""Cadastro do cidadão: validation (LEDI rules), CPF/CNS uniqueness per municipality,
duplicate warning, versioning and merge."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pec.tenancy import tenant_context
from prontuario.cadastro.services import PossivelDuplicado, cidadao_atualizar, cidadao_cadastrar, cidadao_unificar
from prontuario.models import Cidadao, CidadaoVersao, Unificacao
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


def cadastrar(lotacao, **campos):
    with tenant_context(lotacao.municipio_id):
        return cidadao_cadastrar(lotacao=lotacao, dados=fabricas.dados(**campos))


def erros(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


def test_cadastro_normaliza_e_grava_primeira_versao(mundo):
    cpf = fabricas.cpf()
    c = cadastrar(mundo.alice, nome="  maria   josé da  silva ", cpf=f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}")
    assert c.nome == "MARIA JOSÉ DA SILVA"
    assert c.cpf == cpf
    assert c.busca_nome == "maria jose silva"
    assert (c.busca_palavras, c.busca_palavras_mae) == (["maria", "jose", "silva"], ["ana", "aparecida", "silva"])
    assert c.pais_nascimento == 31
    with tenant_context(mundo.a.id):
        versao = CidadaoVersao.objects.get(cidadao=c)
    assert (versao.numero, versao.tipo, versao.lotacao_id) == (1, "cadastro", mundo.alice.id)
    assert versao.alteracoes["nome"] == [None, "MARIA JOSÉ DA SILVA"]
    assert versao.alteracoes["data_nascimento"] == [None, "1980-03-12"]


@pytest.mark.parametrize(
    ("campos", "campo", "trecho"),
    [
        ({"cpf": "12345678900"}, "cpf", "CPF inválido"),
        ({"cns": "123456789012345"}, "cns", "CNS inválido"),
        ({"nome": "Joaquim"}, "nome", "nome e sobrenome"),
        ({"nome": "A B Silva"}, "nome", "uma letra só"),
        ({"nome": "Jo Li"}, "nome", "duas letras ou menos"),
        ({"nome": "Maria 2 Silva"}, "nome", "só pode ter letras"),
        ({"nome_mae": "", "mae_desconhecida": False}, "nome_mae", "desconhecido"),
        ({"raca_cor": 5}, "etnia", "etnia"),
        ({"data_nascimento": timezone.localdate() + datetime.timedelta(days=2)}, "data_nascimento", "futuro"),
        ({"data_nascimento": datetime.date(1850, 1, 1)}, "data_nascimento", "130 anos"),
        ({"municipio_nascimento_ibge": "9999999"}, "municipio_nascimento_ibge", "desconhecido"),
        ({"nacionalidade": 3}, "pais_nascimento", "país"),
        ({"nacionalidade": 2}, "data_naturalizacao", "naturalização"),
        ({"data_obito": datetime.date(1970, 1, 1)}, "data_obito", "anterior ao nascimento"),
        ({"numero_do": "123456789"}, "numero_do", "data do óbito"),
        ({"telefone_celular": "1234"}, "telefone_celular", "DDD"),
        ({"email": "nao-e-email"}, "email", "email válido"),
    ],
)
def test_validacao_com_mensagens_em_portugues(mundo, campos, campo, trecho):
    with pytest.raises(ValidationError) as exc:
        cadastrar(mundo.alice, **campos)
    assert campo in erros(exc)
    assert trecho.lower() in " ".join(erros(exc)[campo]).lower()


def test_indigena_com_etnia_e_estrangeiro_completo_sao_aceitos(mundo):
    c = cadastrar(mundo.alice, raca_cor=5, etnia=401)
    assert c.etnia == 401
    e = cadastrar(
        mundo.alice,
        nome="John Smith",
        nacionalidade=3,
        pais_nascimento=13,
        data_entrada_brasil=datetime.date(2010, 5, 1),
        municipio_nascimento_ibge="3106200",
    )
    assert (e.pais_nascimento, e.municipio_nascimento_ibge) == (13, "")


def test_cpf_e_cns_unicos_no_municipio_mas_nao_entre_municipios(mundo):
    cpf, cns = fabricas.cpf(), fabricas.cns_provisorio()
    cadastrar(mundo.alice, cpf=cpf, cns=cns)
    with pytest.raises(ValidationError) as exc:
        cadastrar(mundo.alice, nome="Outra Pessoa", cpf=cpf)
    assert erros(exc) == {"cpf": ["Já existe um cidadão com este CPF no município."]}
    with pytest.raises(ValidationError) as exc:
        cadastrar(mundo.alice, nome="Outra Pessoa", cns=cns)
    assert "cns" in erros(exc)
    # Another municipality has its own registry.
    assert cadastrar(mundo.charlie, cpf=cpf, cns=cns).cpf == cpf


def test_varios_sem_documento_sao_permitidos(mundo):
    cadastrar(mundo.alice, nome="Sem Documento Um")
    cadastrar(mundo.alice, nome="Sem Documento Dois")
    with tenant_context(mundo.a.id):
        assert Cidadao.objects.filter(cpf="", cns="").count() == 2


def test_possivel_duplicado_avisado_antes_de_salvar(mundo):
    original = cadastrar(mundo.alice)
    with pytest.raises(PossivelDuplicado) as exc:
        cadastrar(mundo.alice, nome="MARIA JOSE SILVA", nome_mae="ana aparecida  silva")
    assert exc.value.candidatos == [original]
    with tenant_context(mundo.a.id):
        assert Cidadao.objects.count() == 1
        confirmado = cidadao_cadastrar(
            lotacao=mundo.alice, dados=fabricas.dados(nome="Maria Jose Silva"), confirmar_duplicado=True
        )
        assert Cidadao.objects.count() == 2
    assert confirmado.pk != original.pk


def test_nao_e_duplicado_com_outra_mae_outra_data_ou_outro_municipio(mundo):
    cadastrar(mundo.alice)
    cadastrar(mundo.alice, nome_mae="Joana Pereira Lima")
    cadastrar(mundo.alice, data_nascimento=datetime.date(1981, 3, 12))
    cadastrar(mundo.charlie)


def test_atualizacao_versiona_so_o_que_mudou(mundo):
    c = cadastrar(mundo.alice)
    with tenant_context(mundo.a.id):
        c = cidadao_atualizar(
            lotacao=mundo.bob, cidadao=c, dados={"telefone_celular": "(31) 99999-8888", "bairro": "Centro"}
        )
        mesmo = cidadao_atualizar(lotacao=mundo.bob, cidadao=c, dados={"bairro": "Centro"})
        versoes = list(CidadaoVersao.objects.filter(cidadao=c))
    assert c.versao == mesmo.versao == 2
    assert [v.numero for v in versoes] == [2, 1]
    assert versoes[0].lotacao_id == mundo.bob.id
    assert versoes[0].alteracoes == {"telefone_celular": ["", "31999998888"], "bairro": ["", "Centro"]}


def test_atualizacao_concorrente_e_recusada(mundo):
    c = cadastrar(mundo.alice)
    with tenant_context(mundo.a.id):
        cidadao_atualizar(lotacao=mundo.bob, cidadao=c, dados={"bairro": "Centro"}, versao_esperada=1)
        with pytest.raises(ValidationError, match="alterado por outra pessoa"):
            cidadao_atualizar(lotacao=mundo.alice, cidadao=c, dados={"bairro": "Vila"}, versao_esperada=1)


def test_atualizacao_que_cria_duplicado_avisa(mundo):
    cadastrar(mundo.alice)
    outro = cadastrar(mundo.alice, nome="Mariana Souza")
    with tenant_context(mundo.a.id), pytest.raises(PossivelDuplicado):
        cidadao_atualizar(lotacao=mundo.alice, cidadao=outro, dados={"nome": "Maria José da Silva"})


def test_cidadao_de_outro_municipio_nao_e_atualizado(mundo):
    c = cadastrar(mundo.alice)
    with tenant_context(mundo.b.id), pytest.raises(AssertionError):
        cidadao_atualizar(lotacao=mundo.charlie, cidadao=c, dados={"bairro": "X"})


def test_unificacao_move_tudo_completa_e_preserva(mundo):
    cpf, cns = fabricas.cpf(), fabricas.cns_provisorio()
    sobrevivente = cadastrar(mundo.alice, cns=cns)
    duplicado = fabricas.cidadao(mundo.alice, cpf=cpf, email="maria@example.org")
    anterior = fabricas.cidadao(mundo.alice, nome="Maria Jose Silva")
    with tenant_context(mundo.a.id):
        cidadao_unificar(lotacao=mundo.bob, sobrevivente=duplicado, unificado=anterior)
        unificacao = cidadao_unificar(
            lotacao=mundo.bob, sobrevivente=sobrevivente, unificado=duplicado, motivo="mesma pessoa"
        )
        sobrevivente.refresh_from_db()
        duplicado.refresh_from_db()
        anterior.refresh_from_db()
        # The merged record is kept, inactive, pointing to the survivor.
        assert (duplicado.ativo, duplicado.unificado_com_id) == (False, sobrevivente.pk)
        assert duplicado.unificado_em is not None and duplicado.cpf == cpf
        # Blank fields of the survivor come from the merged one: CPF and e-mail.
        assert (sobrevivente.cpf, sobrevivente.cns, sobrevivente.email) == (cpf, cns, "maria@example.org")
        # A record merged earlier into the duplicate now points to the survivor (moved generically).
        assert anterior.unificado_com_id == sobrevivente.pk
        assert unificacao.movidos == {"prontuario.Cidadao.unificado_com": [anterior.pk]}
        assert unificacao.cadastro_unificado["cpf"] == cpf
        assert Unificacao.objects.count() == 2
        tipos = list(CidadaoVersao.objects.filter(cidadao=sobrevivente).values_list("tipo", flat=True))
        assert tipos == ["unificacao", "cadastro"]
        assert CidadaoVersao.objects.get(cidadao=sobrevivente, numero=2).alteracoes["cpf"] == ["", cpf]
        with pytest.raises(ValidationError, match="já foi unificado"):
            cidadao_unificar(lotacao=mundo.bob, sobrevivente=sobrevivente, unificado=duplicado)
        with pytest.raises(ValidationError, match="unificado"):
            cidadao_atualizar(lotacao=mundo.bob, cidadao=duplicado, dados={"bairro": "X"})
