"""Escuta inicial from the queue: plausibility ranges, computed IMC, the queue moves, and
the record is locked once closed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pec.tenancy import tenant_context
from prontuario.clinico.regras import calcular_imc, medicao_erros
from prontuario.models import EntradaLista, EscutaInicial
from tests.mundo import entrar, na_fila
from tests.prontuario.clinica import clinica

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "dados, campo, trecho",
    [
        ({"pressao_sistolica": 400, "pressao_diastolica": 80}, "pressao_sistolica", "entre 50 e 300 mmHg"),
        ({"pressao_sistolica": 120, "pressao_diastolica": 130}, "pressao_diastolica", "menor que a sistólica"),
        ({"pressao_sistolica": 120}, "pressao_diastolica", "sistólica e a diastólica"),
        ({"temperatura": Decimal("52.0")}, "temperatura", "entre 30,0 e 45,0 °C"),
        ({"saturacao_o2": 30}, "saturacao_o2", "entre 50 e 100 %"),
        ({"frequencia_cardiaca": 400}, "frequencia_cardiaca", "entre 20 e 250 bpm"),
        ({"frequencia_respiratoria": 2}, "frequencia_respiratoria", "entre 5 e 120 irpm"),
        ({"peso": Decimal("800")}, "peso", "entre 0,5 e 500 kg"),
        ({"glicemia": 120}, "glicemia_momento", "momento da coleta"),
        ({"peso": Decimal("70"), "altura": Decimal("30")}, "altura", "IMC calculado"),
    ],
)
def test_faixas_plausiveis_com_mensagens_claras(dados, campo, trecho):
    assert trecho in medicao_erros(dados)[campo]


def test_valores_normais_passam_e_imc_e_calculado():
    assert (
        medicao_erros(
            {
                "pressao_sistolica": 120,
                "pressao_diastolica": 80,
                "temperatura": Decimal("36.5"),
                "peso": Decimal("70"),
                "altura": Decimal("175"),
                "glicemia": 90,
                "glicemia_momento": 0,
            }
        )
        == {}
    )
    assert calcular_imc(Decimal("70"), Decimal("175")) == Decimal("22.86")
    assert calcular_imc(None, Decimal("175")) is None


def _escuta(**extra):
    dados = {
        "motivo_ciap": "A03 - Febre",
        "descricao": "Febre desde ontem",
        "classificacao_risco": "2",
        "desfecho": "atendimento",
        "m-pressao_sistolica": "130",
        "m-pressao_diastolica": "85",
        "m-temperatura": "38.2",
        "m-peso": "70",
        "m-altura": "175",
    }
    dados.update(extra)
    return dados


def test_escuta_pela_fila_move_a_entrada_calcula_imc_e_trava():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    enfermeira = entrar(mundo.nina)
    assert enfermeira.get(f"/prontuario/lista/{entrada.pk}/escuta/").status_code == 200
    with tenant_context(mundo.a.id):
        entrada.refresh_from_db()
        assert entrada.situacao == EntradaLista.Situacao.EM_ESCUTA
    resposta = enfermeira.post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta())
    assert resposta.status_code == 302
    with tenant_context(mundo.a.id):
        escuta = EscutaInicial.objects.select_related("medicao").get(entrada=entrada)
        entrada.refresh_from_db()
    assert escuta.motivo_ciap == "A03" and escuta.medicao.imc == Decimal("22.86")
    assert entrada.situacao == EntradaLista.Situacao.AGUARDANDO and entrada.classificacao_risco == 2
    assert [h["situacao"] for h in entrada.historico] == ["em_escuta", "aguardando"]
    # Locked: a second post changes nothing and shows the closed escuta.
    resposta = enfermeira.post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta(descricao="outra"))
    assert resposta.status_code == 200 and "finalizada" in resposta.content.decode()
    with tenant_context(mundo.a.id):
        assert EscutaInicial.objects.get(entrada=entrada).descricao == "Febre desde ontem"


def test_escuta_com_sinal_implausivel_nao_salva_e_explica():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    resposta = entrar(mundo.nina).post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta(**{"m-temperatura": "52"}))
    assert resposta.status_code == 200
    assert "A temperatura deve estar entre 30,0 e 45,0 °C." in resposta.content.decode()
    with tenant_context(mundo.a.id):
        assert not EscutaInicial.objects.exists()


def test_ciap_desconhecida_e_recusada():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    resposta = entrar(mundo.nina).post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta(motivo_ciap="Q99"))
    assert "Código CIAP2 desconhecido: Q99." in resposta.content.decode()


def test_liberar_encerra_a_entrada():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    entrar(mundo.nina).post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta(desfecho="liberado"))
    with tenant_context(mundo.a.id):
        entrada.refresh_from_db()
    assert entrada.situacao == EntradaLista.Situacao.ATENDIDO and entrada.atendido_em is not None


def test_recepcao_sem_permissao_e_outro_municipio_404():
    mundo = clinica()
    entrada = na_fila(mundo.maria, mundo.nina)
    assert entrar(mundo.charlie).get(f"/prontuario/lista/{entrada.pk}/escuta/").status_code == 404
    assert entrar(mundo.charlie).post(f"/prontuario/lista/{entrada.pk}/escuta/", _escuta()).status_code == 404
