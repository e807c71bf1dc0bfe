"""Migration 0011 gives the municipalities that exist the permissions new ones get for the
territory, the CDS typing and the competência page: default perfis gain them, a perfil
the administrator made keeps what it had, and the Digitador perfil appears once."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps

from pec.models import Perfil
from pec.tenancy import tenant_context
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db

migracao = importlib.import_module("pec.migrations.0011_perfis_cds_territorio")
ANTES = {"acs": ["cidadao.editar", "cidadao.ver"]}  # the ACS perfil as 0010 left it


def _rodar() -> None:
    migracao.estender(apps, SimpleNamespace(connection=SimpleNamespace(alias="default")))


def test_existing_default_perfis_gain_the_new_codes_and_custom_ones_keep_theirs():
    a = fabricas.municipio("Município A")
    with tenant_context(a.id):
        Perfil.objects.create(municipio=a, codigo="acs", nome="ACS/ACE", permissoes=ANTES["acs"], padrao=True)
        Perfil.objects.create(municipio=a, codigo="medico", nome="Médico (nosso)", permissoes=["cidadao.ver"])
    _rodar()
    _rodar()  # a second run changes nothing
    with tenant_context(a.id):
        perfis = {p.codigo: p for p in Perfil.objects.filter(municipio=a)}
    assert perfis["acs"].permissoes == sorted(
        {*ANTES["acs"], "cds.digitar", "competencia.ver", "territorio.editar", "territorio.ver"}
    )
    assert perfis["medico"].permissoes == ["cidadao.ver"]  # not a default copy: untouched
    assert perfis["digitador"].permissoes == ["cds.digitar", "cds.digitar_outros", "cidadao.ver"]
    with tenant_context(a.id):
        assert Perfil.objects.filter(municipio=a, codigo="digitador").count() == 1
