"""`manage.py municipio_criar`: the installation's IT staff add a municipality from its IBGE
code, named from the LEDI APS list, once, audited in the installation chain."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from pec.identity.permissoes import PERFIS_PADRAO
from pec.management.commands.municipio_criar import nome_municipio
from pec.models import EventoAuditoria, Municipio, Perfil
from pec.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def instalacao() -> list[EventoAuditoria]:
    return list(EventoAuditoria.objects.filter(municipio_id=None).order_by("sequencia"))


def test_creates_a_production_municipality_named_from_the_ledi_list(capsys):
    call_command("municipio_criar", "3106200")
    municipio = Municipio.objects.get(ibge="3106200")
    assert (municipio.nome, municipio.uf, municipio.modo) == ("Belo Horizonte", "MG", Municipio.Modo.PRODUCAO)
    with tenant_context(municipio.id):
        assert set(Perfil.objects.values_list("codigo", flat=True)) == set(PERFIS_PADRAO)
        [proprio] = EventoAuditoria.objects.filter(municipio_id=municipio.id)
    [evento] = instalacao()
    assert evento.o_que == proprio.o_que == "manage.py municipio_criar"
    assert evento.detalhes == {
        "acao": "municipio_criado",
        "ibge": "3106200",
        "nome": "Belo Horizonte",
        "uf": "MG",
        "modo": "producao",
    }
    assert "Municipality Belo Horizonte/MG (3106200, producao) created" in capsys.readouterr().out


def test_training_flag_and_a_second_run_changes_nothing(capsys):
    call_command("municipio_criar", "2927408", "--treinamento")
    call_command("municipio_criar", "2927408", "--treinamento")
    assert Municipio.objects.get(ibge="2927408").em_treinamento
    assert Municipio.objects.count() == 1 and len(instalacao()) == 1
    assert "already exists; nothing changed." in capsys.readouterr().out


def test_an_existing_municipality_in_the_other_mode_is_not_switched():
    call_command("municipio_criar", "2304400")
    with pytest.raises(CommandError, match="already exists in producao mode"):
        call_command("municipio_criar", "2304400", "--treinamento")
    assert Municipio.objects.get(ibge="2304400").modo == Municipio.Modo.PRODUCAO and len(instalacao()) == 1


@pytest.mark.parametrize("ibge", ["9999901", "31062", "abcdefg", "31062000"])
def test_a_code_outside_the_ledi_list_is_refused_and_nothing_written(ibge):
    with pytest.raises(CommandError, match="is not an IBGE municipality code"):
        call_command("municipio_criar", ibge)
    assert not Municipio.objects.exists() and instalacao() == []


def test_names_are_written_as_people_write_them():
    assert nome_municipio("ALTA FLORESTA D'OESTE") == "Alta Floresta D'Oeste"
    assert nome_municipio("ESPIGÃO DO OESTE") == "Espigão do Oeste"
    assert nome_municipio("GUAJARÁ-MIRIM") == "Guajará-Mirim"
