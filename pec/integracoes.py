"""The national integrations (RNDS, SISAB) plug into the clinical core here, at start-up.

The core (prontuario, cds) never imports an integration: each integration's
AppConfig.ready registers what the core should ask of it, and the core asks this module.
So a record's services run the same with an integration removed from INSTALLED_APPS,
and adding one touches no clinical code. Healthchecks' core names its integrations the
same way instead of importing them. Each integration also registers its outbox
deliverer with pec.outbox.registrar_entregador.

Four things an integration may contribute:
- a check before finalising (`registrar_verificacao`): messages, in Portuguese, that
  hold the record because the integration would refuse it as it stands;
- rules on the fields of a model (`registrar_regra_dos_campos`): messages per form field,
  shown next to the field the professional must fix;
- the open pendência of a record waiting in its queue (`registrar_pendencia`): a subquery
  of the reason, so the core can show "aguardando dados" next to the delivery status;
- where a record came from (`registrar_origem`): a sentence such as "Recebido de <a
  instalação>" for a record another system sent, shown on the record's page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import CharField, Model, Value
from django.db.models.expressions import BaseExpression

if TYPE_CHECKING:
    from pec.models import Municipio


class Verificacao(Protocol):
    def __call__(self, *, municipio: Municipio, objeto: Model) -> list[str]: ...


# Each rule takes its own model (registered by label), so its parameter is that model's type.
RegraDosCampos = Callable[[Any], dict[str, list[str]]]
# (objeto_tipo, objeto_id) as expressions of the outer query -> the open pendência's reason.
Pendencia = Callable[[Any, Any], BaseExpression]

_verificacoes: list[Verificacao] = []
_regras_dos_campos: dict[str, list[RegraDosCampos]] = {}
_pendencias: dict[str, Pendencia] = {}
_origens: dict[str, list[Callable[[Any], str | None]]] = {}


def registrar_verificacao(verificacao: Verificacao) -> None:
    """`verificacao(municipio=..., objeto=...)` runs inside the transaction that finalises the
    record, once its rows are written; it may write (a pendência) and returns messages."""
    if verificacao not in _verificacoes:
        _verificacoes.append(verificacao)


def verificacoes_ao_finalizar(*, municipio: Municipio, objeto: Model) -> list[str]:
    """Every registered integration's messages for a record about to be finalised; empty
    when none would refuse it. The caller raises them, rolling the record back."""
    erros: list[str] = []
    for verificacao in _verificacoes:
        erros += verificacao(municipio=municipio, objeto=objeto)
    return erros


def registrar_regra_dos_campos(objeto_tipo: str, regra: RegraDosCampos) -> None:
    """`objeto_tipo` is the model label in lower case ("prontuario.vacinacao")."""
    regras = _regras_dos_campos.setdefault(objeto_tipo, [])
    if regra not in regras:
        regras.append(regra)


def erros_dos_campos(objeto: Model) -> dict[str, list[str]]:
    """Messages by field from every rule registered for the object's model, in
    registration order; empty when none applies or every one is satisfied."""
    erros: dict[str, list[str]] = {}
    for regra in _regras_dos_campos.get(objeto._meta.label_lower, []):
        for campo, mensagens in regra(objeto).items():
            erros.setdefault(campo, []).extend(mensagens)
    return erros


def registrar_pendencia(destino: str, pendencia: Pendencia) -> None:
    _pendencias[destino] = pendencia


def pendencia_aberta(destino: str, *, objeto_tipo: Any, objeto_id: Any) -> BaseExpression:
    """The reason a record waits in `destino`'s queue, as an expression of the outer
    query; NULL when that integration keeps no pendências (or is not installed)."""
    pendencia = _pendencias.get(destino)
    if pendencia is None:
        return Value(None, output_field=CharField())
    return pendencia(objeto_tipo, objeto_id)


def registrar_origem(objeto_tipo: str, origem: Callable[[Any], str | None]) -> None:
    """`objeto_tipo` is the model label in lower case ("prontuario.cidadao")."""
    origens = _origens.setdefault(objeto_tipo, [])
    if origem not in origens:
        origens.append(origem)


def origens(objeto: Model) -> list[str]:
    """Where the record came from, one sentence per integration that knows; empty for a
    record typed here."""
    return [frase for origem in _origens.get(objeto._meta.label_lower, []) if (frase := origem(objeto))]
