"""Fixtures of the RNDS tests: the test PKI (once per session), the local national peer,
a municipality with RNDS enabled and its A1 installed, and records standing in for the
clinical ones (issue 6's models map to the same dataclasses)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from pec.models import Estabelecimento, Municipio
from pec.outbox import outbox_registrar
from pec.tenancy import tenant_context
from rnds import mapeamento, pki
from rnds.models import ConfiguracaoRNDS
from rnds.registros import Identificacao, Problema, Procedimento, RegistroAtendimento, RegistroVacina
from rnds.services import certificado_instalar
from rnds.simulador import SimuladorNacional
from tests import mundo as fabricas

CPF_CIDADAO = "52998224725"
CNS_PROFISSIONAL = "898001160660001"
SOLICITANTE = "12345"


@pytest.fixture(scope="session")
def arquivos_pki(tmp_path_factory):
    return pki.gerar_certificados_teste(pasta=tmp_path_factory.mktemp("pki"))


@pytest.fixture(autouse=True)
def ca_de_teste(settings, arquivos_pki):
    settings.RNDS_CA_ARQUIVO = str(arquivos_pki.ca)
    from rnds import cliente

    cliente._contexto_publico = None
    cache.clear()
    yield
    cliente._contexto_publico = None


@pytest.fixture
def simulador(arquivos_pki):
    with SimuladorNacional(arquivos_pki) as sim:
        yield sim


def quem(*, cnes: str = "9990001", ident: str | None = None, cpf: str = CPF_CIDADAO) -> Identificacao:
    return Identificacao(
        identificador=ident or str(uuid.uuid4()),
        cidadao_cpf=cpf,
        cidadao_cns="",
        profissional_cns=CNS_PROFISSIONAL,
        profissional_cbo="225142",
        cnes=cnes,
    )


def atendimento(**kw: object) -> RegistroAtendimento:
    agora = timezone.now()
    return RegistroAtendimento(
        quem=kw.pop("quem", None) or quem(),  # type: ignore[arg-type]
        inicio=agora - datetime.timedelta(minutes=20),
        fim=agora,
        problemas=(Problema("CIAP2", "K86"), Problema("CID10", "I10")),
        procedimentos=(Procedimento("0301010064"),),
        **kw,  # type: ignore[arg-type]
    )


def vacina(**kw: object) -> RegistroVacina:
    kw.setdefault("contato_hanseniase", False)
    return RegistroVacina(
        quem=kw.pop("quem", None) or quem(),  # type: ignore[arg-type]
        aplicada_em=timezone.now() - datetime.timedelta(minutes=5),
        imunobiologico="15",
        lote="ABC123",
        fabricante="149",
        dose="8",
        **kw,  # type: ignore[arg-type]
    )


class Registros:
    """Stand-ins for clinical records: an Estabelecimento row per record (a committed,
    tenant-owned object the outbox can point to), mapped to a dataclass kept here."""

    def __init__(self) -> None:
        self.por_id: dict[int, object] = {}

    def mapear(self, objeto: Any) -> Any:  # stands in for a mapeador of registros
        return self.por_id[objeto.id]

    def criar(self, municipio: Municipio, registro: Any, *, tipo: str = "rac") -> object:
        with tenant_context(municipio.id):
            objeto = Estabelecimento.objects.create(
                municipio=municipio, cnes=f"{len(self.por_id) + 1000000:07d}", nome="registro"
            )
            self.por_id[objeto.id] = registro
            return outbox_registrar(
                municipio=municipio,
                destino="rnds",
                tipo=tipo,
                chave=f"{tipo}:{registro.quem.identificador}",
                objeto=objeto,  # type: ignore[attr-defined]
            ), objeto


@pytest.fixture
def registros():
    r = Registros()
    mapeamento.registrar_mapeador("pec.estabelecimento", r.mapear)
    yield r
    mapeamento.MAPEADORES.pop("pec.estabelecimento", None)


@pytest.fixture
def municipio_rnds(arquivos_pki, simulador):
    """Municipality with RNDS enabled against the local peer and the demo A1 installed."""
    municipio = fabricas.municipio("Vila RNDS")
    usuario = fabricas.usuario("Íris Admin")
    with tenant_context(municipio.id):
        ConfiguracaoRNDS.objects.create(
            municipio=municipio,
            habilitado=True,
            identificador_solicitante=SOLICITANTE,
            url_autenticacao=simulador.url,
            url_servicos=simulador.url,
            url_cadsus=simulador.url,
        )
        certificado_instalar(
            municipio=municipio, conteudo=arquivos_pki.pfx.read_bytes(), senha=arquivos_pki.senha_pfx, usuario=usuario
        )
    return municipio
