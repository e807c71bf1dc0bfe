"""Builders for the CDS typing tests: the SISAB sending world (tests/sisab/mundo_envio:
Nina the enfermeira, Bob the médico, Maria) plus Ana, an agente comunitária de saúde of the
same UBS, the one CBO of the three that may type the visit ficha; and the POST of a typing
page, as the browser sends the paper ficha's header, activity and rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pec.models import Lotacao, Profissional
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.sisab import mundo_envio


@dataclass
class MundoFichas(mundo_envio.MundoEnvio):
    ana: Lotacao


def mundo(nome: str = "Município A") -> MundoFichas:
    base = mundo_envio.mundo(nome)
    mundo_envio.identificar(base.municipio)
    ana = fabricas.lotacao_com_perfis(
        base.municipio, fabricas.usuario(f"Ana {nome}"), cbo="515105", estabelecimento=base.nina.estabelecimento
    )
    with tenant_context(base.municipio.id):
        Profissional.objects.filter(id=ana.profissional_id).update(cns=fabricas.cns_provisorio())
    return MundoFichas(**vars(base), ana=fabricas.recarregar(ana))


def post(cabecalho: dict[str, Any], linhas: list[dict[str, Any]], **atividade: Any) -> dict[str, Any]:
    """The form as sent: header and activity fields as they are, rows under the formset prefix."""
    dados: dict[str, Any] = {
        **cabecalho,
        **atividade,
        "linhas-TOTAL_FORMS": str(len(linhas)),
        "linhas-INITIAL_FORMS": "0",
        "linhas-MIN_NUM_FORMS": "0",
        "linhas-MAX_NUM_FORMS": "1000",
    }
    for indice, linha in enumerate(linhas):
        dados.update({f"linhas-{indice}-{campo}": valor for campo, valor in linha.items()})
    return dados


# The queries of a typing form's GET, whatever the ficha type: session, user, lotação,
# perfis (twice: the page's permission and who a digitador may credit), the UBS's lotações...
FORMULARIO_CONSULTAS = 11
