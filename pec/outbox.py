"""The outbox: everything sent to a national system (RNDS, SISAB) is first a row.

A service that finalises a record calls `outbox_registrar` inside its own transaction,
so the row exists if and only if the record does. After commit a Celery task is nudged;
a beat sweeper (`outbox_varrer`) retries whatever is due, so a broker flushed or a
receiver down for days only delays delivery. The nudge is only a shortcut: with the
broker down it is logged and dropped (`apos_commit_enfileirar`), never raised into a
request whose record is already committed.

Delivery claims due rows with `SELECT … FOR UPDATE SKIP LOCKED` and pushes their
`proxima_tentativa` a lease ahead, commits, and only then talks to the remote side,
without holding a transaction (pec.fila, the engine the e-mail queue shares). A worker
killed mid-send leaves its rows to be claimed again when the lease ends; receivers are
idempotent on `chave` (RNDS answers a duplicate identifier, which its deliverer treats
as delivered), so a resend is harmless.

The outbox also owns the generic reads and writes by destination that the clinical core
needs (a record's last row, status annotations, replacement and deletion rows), so the
core names a destination instead of importing its integration (see pec.integracoes).

Each destination registers one deliverer: a function that receives the row and either
returns what the remote side answered (a dict kept in `resposta`), raises `Recusado`
(the remote side rejected the content: dead letter at once, with its message), or
raises anything else (transient: retried with exponential backoff and jitter, and dead
after MAX_TENTATIVAS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import connections, transaction
from django.db.models import Model, OuterRef, Subquery
from django.utils import timezone

from pec.fila import Fila
from pec.integracoes import pendencia_aberta
from pec.models import Municipio, Outbox
from pec.tenancy import assert_owned, tenant_context

log = logging.getLogger(__name__)

MAX_TENTATIVAS = 12
LOTE = 50
# 30 s, 1, 2, 4 ... minutes after the n-th failure, capped at 6 h, with ±25 % jitter so a
# receiver coming back up is not hit by every row at the same second.
FILA = Fila(
    max_tentativas=MAX_TENTATIVAS, primeira_espera=timedelta(seconds=30), espera_maxima=timedelta(hours=6), jitter=0.25
)
backoff = FILA.backoff


class Recusado(Exception):
    """The remote side refused the content itself; resending the same will not help."""


class Indisponivel(Exception):
    """The remote side is down or unreachable (or the sender lacks a valid credential yet):
    retried with backoff for as long as it takes, never dead-lettered for that alone, so a
    national service down for days only delays delivery."""


Entregador = Callable[[Outbox], dict[str, Any]]
_entregadores: dict[str, Entregador] = {}


def registrar_entregador(destino: str, entregador: Entregador) -> None:
    _entregadores[destino] = entregador


def outbox_registrar(
    *, municipio: Municipio, destino: str, tipo: str, chave: str, objeto: Any, payload: dict[str, Any] | None = None
) -> Outbox:
    """Write the row in the caller's transaction (required) and nudge delivery after commit.

    Idempotent on (municipio, chave): registering the same event twice returns the first
    row. A municipality in training mode gets its rows, marked never to be sent.
    """
    if not connections["default"].in_atomic_block:
        raise RuntimeError("outbox_registrar must run inside the transaction that writes the record")
    item, criado = Outbox.objects.get_or_create(
        municipio=municipio,
        chave=chave,
        defaults={
            "destino": destino,
            "tipo": tipo,
            "objeto_tipo": objeto._meta.label_lower,
            "objeto_id": objeto.pk,
            "payload": payload or {},
            "status": Outbox.Status.TREINAMENTO if municipio.em_treinamento else Outbox.Status.PENDENTE,
        },
    )
    if criado and item.status == Outbox.Status.PENDENTE:
        apos_commit_enfileirar(outbox_drenar_task, municipio_id=municipio.id, destino=destino)
    return item


def outbox_registrar_substituicao(
    *, municipio: Municipio, destino: str, objeto: Model, tipo: str, chave_original: str
) -> Outbox:
    """A delivered record was corrected: queue what replaces it at `destino` (the RNDS
    allows one replacement per record). Call inside the transaction that saves the
    correction; the deliverer reads `payload["operacao"]`."""
    return outbox_registrar(
        municipio=municipio,
        destino=destino,
        tipo=tipo,
        chave=f"{chave_original}:substituicao",
        objeto=objeto,
        payload={"operacao": "substituir", "chave_original": chave_original},
    )


def outbox_registrar_exclusao(
    *, municipio: Municipio, destino: str, objeto: Model, tipo: str, chave_original: str
) -> Outbox:
    """A record was entered on the wrong citizen (or twice): queue its deletion at
    `destino`. Call inside the transaction that voids the record."""
    return outbox_registrar(
        municipio=municipio,
        destino=destino,
        tipo=tipo,
        chave=f"{chave_original}:exclusao",
        objeto=objeto,
        payload={"operacao": "excluir", "chave_original": chave_original},
    )


def outbox_ultimo_envio(*, destino: str, municipio_id: int, objeto: Model) -> Outbox | None:
    """A record's newest row for `destino` (its send, or the latest replacement or
    deletion): the one a correction or deletion of the record must follow. `pendencia` is
    annotated: why the record waits for data, if the integration says it does
    (pec.integracoes)."""
    assert_owned(objeto, municipio_id)
    item = (
        Outbox.objects.filter(
            municipio_id=municipio_id, destino=destino, objeto_tipo=objeto._meta.label_lower, objeto_id=objeto.pk
        )
        .annotate(
            pendencia=pendencia_aberta(destino, objeto_tipo=OuterRef("objeto_tipo"), objeto_id=OuterRef("objeto_id"))
        )
        .order_by("-criado_em", "-id")
        .first()
    )
    if item is not None:
        assert_owned(item, municipio_id)
    return item


def outbox_status_anotacoes(*, destino: str, modelo: type[Model]) -> dict[str, Any]:
    """Annotations for a queryset of `modelo`: `<destino>_status` (of the record's newest
    row, as outbox_ultimo_envio), `<destino>_erro` (that row's last error) and
    `<destino>_pendencia` (why it waits for data, if it does), computed in the queryset's
    own query, so a page listing records shows each one's status without a query of its own."""
    ultimo = Outbox.objects.filter(
        municipio_id=OuterRef("municipio_id"),
        destino=destino,
        objeto_tipo=modelo._meta.label_lower,
        objeto_id=OuterRef("pk"),
    ).order_by("-criado_em", "-id")
    return {
        f"{destino}_status": Subquery(ultimo.values("status")[:1]),
        f"{destino}_erro": Subquery(ultimo.values("ultimo_erro")[:1]),
        f"{destino}_pendencia": pendencia_aberta(
            destino, objeto_tipo=modelo._meta.label_lower, objeto_id=OuterRef("pk")
        ),
    }


def apos_commit_enfileirar(tarefa: Any, *, em_falha: Callable[[], object] | None = None, **kwargs: Any) -> None:
    """Queue `tarefa` once the caller's transaction commits. A broker that is down or full
    is logged, never raised into the request that saved the row: where a beat sweeper
    finds the row it costs only latency; where nothing would (an upload waiting for its
    worker), `em_falha` marks the row failed so the page can say so."""

    def enfileirar() -> None:
        try:
            tarefa.delay(**kwargs)
        except Exception:
            depois = "the sweeper will pick it up" if em_falha is None else "marking it failed"
            log.warning("could not queue %s %s (broker unavailable?); %s", tarefa.name, kwargs, depois, exc_info=True)
            if em_falha is not None:
                em_falha()

    transaction.on_commit(enfileirar)


def _reivindicar(*, municipio_id: int, destino: str, limite: int) -> list[Outbox]:
    with tenant_context(municipio_id):
        return FILA.reivindicar(Outbox.objects.filter(municipio_id=municipio_id, destino=destino), limite=limite)


def _registrar_resultado(item: Outbox, **campos: Any) -> None:
    with tenant_context(item.municipio_id):
        Outbox.objects.filter(id=item.id).update(**campos)


def outbox_entregar(*, item: Outbox) -> str:
    """Deliver one claimed row with its destination's deliverer; return the new status."""
    entregador = _entregadores.get(item.destino)
    if entregador is None:
        log.warning("outbox: no deliverer registered for %r; row %s stays pending", item.destino, item.id)
        return Outbox.Status.PENDENTE
    tentativas = item.tentativas + 1
    try:
        resposta = entregador(item)
    except Recusado as exc:
        _registrar_resultado(item, status=Outbox.Status.ERRO, tentativas=tentativas, ultimo_erro=str(exc)[:4000])
        log.warning("outbox %s (%s) refused by %s: %s", item.id, item.tipo, item.destino, exc)
        return Outbox.Status.ERRO
    except Exception as exc:  # transient: the network, a 5xx, a timeout, an expired token
        falha = FILA.falha(tentativas=tentativas, erro=exc, desistir=not isinstance(exc, Indisponivel))
        _registrar_resultado(item, **falha)
        log.info("outbox %s attempt %s to %s failed: %s", item.id, tentativas, item.destino, exc)
        return Outbox.Status(falha["status"])
    _registrar_resultado(item, **FILA.sucesso(tentativas=tentativas), resposta=resposta)
    return Outbox.Status.ENVIADO


def outbox_drenar(*, municipio_id: int, destino: str, limite: int = 500) -> dict[str, int]:
    """Deliver every due row of one municipality and destination, a claimed batch at a time."""
    contagem: dict[str, int] = {}
    while limite > 0:
        itens = _reivindicar(municipio_id=municipio_id, destino=destino, limite=min(LOTE, limite))
        if not itens:
            break
        for item in itens:
            status = outbox_entregar(item=item)
            contagem[status] = contagem.get(status, 0) + 1
        limite -= len(itens)
    return contagem


def outbox_reenviar(*, municipio_id: int, ids: list[int]) -> int:
    """Put dead-lettered rows back in the queue (an admin fixed the cause)."""
    with tenant_context(municipio_id):
        return Outbox.objects.filter(municipio_id=municipio_id, id__in=ids, status=Outbox.Status.ERRO).update(
            status=Outbox.Status.PENDENTE, tentativas=0, proxima_tentativa=timezone.now()
        )


@shared_task
def outbox_drenar_task(*, municipio_id: int, destino: str) -> dict[str, int]:
    return outbox_drenar(municipio_id=municipio_id, destino=destino)


@shared_task
def outbox_varrer() -> int:
    """Beat: nudge delivery wherever something is due, per municipality and destination."""
    total = 0
    for municipio_id in Municipio.objects.filter(ativo=True).values_list("id", flat=True):
        with tenant_context(municipio_id):
            destinos = set(
                Outbox.objects.filter(status=Outbox.Status.PENDENTE, proxima_tentativa__lte=timezone.now())
                .values_list("destino", flat=True)
                .distinct()
            )
        for destino in destinos:
            outbox_drenar_task.delay(municipio_id=municipio_id, destino=destino)
            total += 1
    return total
