"""manage.py generate_synthetic: valid documents, a searchable registry, word counts ready."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from pec.documentos import cns_valido, cpf_valido
from pec.models import Lotacao, Municipio
from pec.tenancy import tenant_context
from prontuario.cadastro.selectors import cidadao_buscar
from prontuario.models import Cidadao, PalavraFrequencia
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


def test_gera_cidadaos_validos_e_buscaveis():
    saida = io.StringIO()
    call_command("generate_synthetic", "--municipio", "3106200", "--citizens", "300", "--batch", "120", stdout=saida)
    assert "300/300 citizens" in saida.getvalue() and "search word counts refreshed (300" in saida.getvalue()
    municipio = Municipio.objects.get(ibge="3106200")
    assert municipio.modo == Municipio.Modo.TREINAMENTO
    with tenant_context(municipio.id):
        cidadaos = list(Cidadao.objects.all())
        assert len(cidadaos) == 300
        assert all(cpf_valido(c.cpf) for c in cidadaos if c.cpf) and all(cns_valido(c.cns) for c in cidadaos if c.cns)
        assert len({c.cpf for c in cidadaos if c.cpf}) == len([c for c in cidadaos if c.cpf])
        assert PalavraFrequencia.objects.get(campo=PalavraFrequencia.Campo.TOTAL).cidadaos == 300
        alguem = cidadaos[123]
        sobrenome, prenome = alguem.busca_palavras[-1], alguem.busca_palavras[0]
        achados = cidadao_buscar(lotacao=Lotacao(municipio=municipio), entrada=f"{sobrenome} {prenome}").cidadaos
    assert alguem.pk in [c.pk for c in achados]


def test_municipio_desconhecido():
    with pytest.raises(CommandError, match="unknown IBGE code"):
        call_command("generate_synthetic", "--municipio", "9999999", "--citizens", "1", stdout=io.StringIO())


def test_recontagem_pelo_manage_py(mundo):
    fabricas.cidadao(mundo.alice, nome="Quitéria Bastos")
    saida = io.StringIO()
    call_command("busca_contar_palavras", "--municipio", mundo.a.ibge, stdout=saida)
    assert f"[1/1] {mundo.a}: 1 active citizens counted" in saida.getvalue()
    with tenant_context(mundo.a.id):
        assert PalavraFrequencia.objects.get(campo=PalavraFrequencia.Campo.NOME, palavra="quiteria").cidadaos == 1
    call_command("busca_contar_palavras", stdout=saida)
    assert "[2/2]" in saida.getvalue()
    with pytest.raises(CommandError, match="No municipality"):
        call_command("busca_contar_palavras", "--municipio", "0000000", stdout=saida)
