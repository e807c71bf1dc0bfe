"""Bundles: the official examples pass the profile checker, broken variants fail with a
message naming the element, and what we build passes and has the examples' shape."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from rnds.bundles import bundle_rac, bundle_ria
from rnds.perfis import verificar_bundle
from rnds.registros import Problema
from rnds.verificacao import rnds_identificacao, rnds_verificar
from tests.rnds.conftest import SOLICITANTE, atendimento, quem, vacina

EXEMPLOS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "rnds" / "examples"
OFICIAIS = sorted([*EXEMPLOS.glob("rac/*.json"), *EXEMPLOS.glob("ria/*.json")])


def _ria_oficial() -> dict:
    return json.loads((EXEMPLOS / "ria" / "Bundle-example-RIA-R.json").read_text())


@pytest.mark.skipif(not OFICIAIS, reason="shared reference examples not present")
@pytest.mark.parametrize("arquivo", OFICIAIS, ids=lambda p: p.name)
def test_official_examples_pass(arquivo):
    assert verificar_bundle(json.loads(arquivo.read_text())) == []


@pytest.mark.skipif(not OFICIAIS, reason="shared reference examples not present")
@pytest.mark.parametrize(
    "estragar, esperado",
    [
        (lambda b: b["entry"][1]["resource"].pop("lotNumber") and None, None),
        (
            lambda b: b["entry"][1]["resource"].__setitem__("status", "not-done"),
            'Immunization.status: deve ser "completed"',
        ),
        (
            lambda b: b["entry"][1]["resource"]["vaccineCode"]["coding"][0].__setitem__("code", "99999"),
            "Immunization.vaccineCode: código BRImunobiologico|99999 fora do conjunto",
        ),
        (
            lambda b: b["entry"][1]["resource"].__setitem__("extension", b["entry"][1]["resource"]["extension"][1:]),
            "Immunization.extension:grupoAtendimento: obrigatório e ausente",
        ),
        (lambda b: b["entry"][0]["resource"].__setitem__("title", "Outro título"), "Composition.title: deve ser"),
        (
            lambda b: b["entry"][0]["resource"]["meta"].__setitem__("profile", ["http://x/StructureDefinition/Outro"]),
            "não suportado (ERR862/887)",
        ),
        (lambda b: b.__setitem__("type", "collection"), "Bundle.type: deve ser document"),
        (lambda b: b["entry"].reverse(), "a primeira entrada deve ser a Composition"),
        (
            lambda b: b["entry"][1]["resource"]["performer"].append(
                copy.deepcopy(b["entry"][1]["resource"]["performer"][0])
            ),
            "Immunization.performer: no máximo 1, há 2",
        ),
        (
            lambda b: b["entry"][0]["resource"]["section"][0]["entry"][0].__setitem__("reference", "urn:uuid:nada"),
            "referência urn:uuid:nada não está no Bundle",
        ),
    ],
)
def test_broken_variants_fail_with_a_clear_message(estragar, esperado):
    bundle = _ria_oficial()
    estragar(bundle)
    erros = verificar_bundle(bundle)
    if esperado is None:  # lotNumber is optional in the profile: still valid
        assert erros == []
    else:
        assert any(esperado in erro for erro in erros), erros


def test_built_rac_passes_and_has_the_example_shape():
    bundle = bundle_rac(atendimento(), solicitante=SOLICITANTE)
    assert verificar_bundle(bundle) == []
    tipos = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert tipos == ["Composition", "Encounter", "Condition", "Condition", "Procedure", "Location"]
    composicao, contato = bundle["entry"][0]["resource"], bundle["entry"][1]["resource"]
    assert bundle["identifier"]["system"] == f"http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-{SOLICITANTE}"
    assert composicao["subject"]["identifier"]["system"].endswith("/BRIndividuo-1.0")
    assert composicao["author"][0]["identifier"] == {
        "system": "http://www.saude.gov.br/fhir/r4/StructureDefinition/BREstabelecimentoSaude-1.0",
        "value": "9990001",
    }
    assert contato["participant"][0]["individual"]["identifier"]["value"] == "898001160660001-9990001"
    assert contato["period"]["start"] == contato["period"]["end"]  # ERR793 for Atenção Básica
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])


def test_built_ria_passes_and_has_the_example_shape():
    bundle = bundle_ria(vacina(), solicitante=SOLICITANTE)
    assert verificar_bundle(bundle) == []
    oficial = _ria_oficial()
    for n in (0, 1):
        nosso, deles = bundle["entry"][n]["resource"], oficial["entry"][n]["resource"]
        assert set(nosso) - {"id"} <= set(deles), set(nosso) - set(deles)
    assert bundle["entry"][1]["resource"]["performer"][0]["actor"] == {"reference": "Practitioner/898001160660001"}


def test_same_record_builds_the_same_document():
    registro = vacina()
    um, dois = (bundle_ria(registro, solicitante="1", agora=timezone.now()) for _ in range(2))
    um.pop("timestamp"), dois.pop("timestamp")
    assert um == dois


def test_check_before_finalising_speaks_to_the_professional():
    assert rnds_verificar(atendimento()) == []
    assert rnds_verificar(vacina()) == []
    sem_problema = atendimento()
    object.__setattr__(sem_problema, "problemas", ())
    assert rnds_verificar(sem_problema) == [
        "Informe ao menos um problema ou condição avaliada (CIAP2 ou CID-10) na Avaliação."
    ]
    errado = atendimento()
    object.__setattr__(errado, "problemas", (Problema("CIAP2", "Z99"),))
    assert rnds_verificar(errado) == ["O código CIAP2 Z99 não existe na tabela da RNDS: escolha-o da lista."]
    assert rnds_verificar(vacina(contato_hanseniase=None)) == [
        "Para a BCG, informe se o cidadão é contato de hanseníase."
    ]
    # A missing document is not the record's fault: it does not hold it, it makes it wait.
    sem_documento = vacina(quem=quem(cpf=""))
    assert rnds_verificar(sem_documento) == []
    assert rnds_identificacao(sem_documento) == [
        "O cidadão não tem CPF nem CNS: o registro vai para a RNDS quando um deles for informado no cadastro."
    ]
    amanha = vacina()
    object.__setattr__(amanha, "aplicada_em", timezone.now() + datetime.timedelta(days=1))
    assert rnds_verificar(amanha) == ["A data de aplicação não pode estar no futuro."]
