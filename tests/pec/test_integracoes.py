"""pec.integracoes: what the integrations registered at start-up, and how the core asks it."""

import pytest
from django.db.models import Value

from pec import integracoes
from pec.models import Municipio
from prontuario.models import Vacinacao
from rnds.verificacao import rnds_verificar_ao_finalizar
from sisab.regras import vacinacao_erros_da_dose


def test_rnds_and_sisab_register_at_start_up():
    assert rnds_verificar_ao_finalizar in integracoes._verificacoes
    assert vacinacao_erros_da_dose in integracoes._regras_dos_campos["prontuario.vacinacao"]
    assert "rnds" in integracoes._pendencias


def test_field_rules_of_every_integration_are_merged_by_field(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(integracoes, "_regras_dos_campos", {})
    integracoes.registrar_regra_dos_campos("prontuario.vacinacao", lambda objeto: {"lote": ["a"]})
    integracoes.registrar_regra_dos_campos("prontuario.vacinacao", lambda objeto: {"lote": ["b"], "dose": ["c"]})
    assert integracoes.erros_dos_campos(Vacinacao()) == {"lote": ["a", "b"], "dose": ["c"]}


def test_checks_before_finalising_are_asked_in_order(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(integracoes, "_verificacoes", [])
    integracoes.registrar_verificacao(lambda *, municipio, objeto: ["primeira"])
    integracoes.registrar_verificacao(lambda *, municipio, objeto: ["segunda"])
    assert integracoes.verificacoes_ao_finalizar(municipio=Municipio(), objeto=Vacinacao()) == ["primeira", "segunda"]


def test_a_destination_without_pendencias_annotates_null():
    expressao = integracoes.pendencia_aberta("sem-integracao", objeto_tipo="x", objeto_id=1)
    assert isinstance(expressao, Value) and expressao.value is None
