"""Citizens and agendas for the registry tests. Municipality A: Alice (recepção) and Bob
(médico); municipality B: Charlie (recepção), who must never see A's citizens."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from pec import documentos
from pec.documentos import cpf_com_digitos
from pec.models import Estabelecimento, Lotacao, LotacaoPerfil, Municipio
from pec.identity.permissoes import perfis_garantir_padrao, perfis_padrao_para_cbo
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from prontuario.cadastro.services import cidadao_cadastrar
from tests import factories

_seq = itertools.count(1)


def cpf() -> str:
    return cpf_com_digitos(f"{700000000 + next(_seq):09d}")


def cns_provisorio() -> str:
    """A valid provisional CNS (starts with 7; weighted sum multiple of 11)."""
    while True:
        if cns := documentos.cns_provisorio(f"7{next(_seq) + 10000000:013d}"):
            return cns


def dados(**campos: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "nome": "Maria José da Silva",
        "data_nascimento": datetime.date(1980, 3, 12),
        "sexo": 1,
        "raca_cor": 4,
        "nome_mae": "Ana Aparecida da Silva",
        "pai_desconhecido": True,
        "nacionalidade": 1,
        "municipio_nascimento_ibge": "3106200",
    }
    base.update(campos)
    return base


def dar_perfis(lotacao: Lotacao) -> Lotacao:
    """The lotação gets the default perfis of its CBO, as the CNES import does."""
    with tenant_context(lotacao.municipio_id):
        perfis = perfis_garantir_padrao(municipio_id=lotacao.municipio_id)
        for codigo in perfis_padrao_para_cbo(lotacao.cbo):
            LotacaoPerfil.objects.create(municipio_id=lotacao.municipio_id, lotacao=lotacao, perfil=perfis[codigo])
    return lotacao


@dataclass
class Mundo:
    a: Municipio
    b: Municipio
    ubs: Estabelecimento
    alice: Lotacao  # recepção, A
    bob: Lotacao  # médico, A
    charlie: Lotacao  # recepção, B


def mundo(**municipio_a: Any) -> Mundo:
    a = factories.municipio("Município A", **municipio_a)
    b = factories.municipio("Município B")
    ubs = factories.estabelecimento(a, "UBS Centro")
    alice = dar_perfis(factories.lotacao(a, factories.usuario("Alice"), cbo="422110", estabelecimento=ubs))
    bob = dar_perfis(factories.lotacao(a, factories.usuario("Bob"), cbo="225142", estabelecimento=ubs))
    charlie = dar_perfis(factories.lotacao(b, factories.usuario("Charlie"), cbo="422110"))
    return Mundo(a=a, b=b, ubs=ubs, alice=alice, bob=bob, charlie=charlie)


def cidadao(lotacao: Lotacao, **campos: Any) -> Cidadao:
    with tenant_context(lotacao.municipio_id):
        return cidadao_cadastrar(lotacao=lotacao, dados=dados(**campos), confirmar_duplicado=True)
