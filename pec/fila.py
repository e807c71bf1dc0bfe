"""Rows as queues: the claim, the lease and the backoff shared by the e-mail queue
(pec.email) and the outbox (pec.outbox).

A queued row has `status`, `tentativas`, `ultimo_erro` and `proxima_tentativa`. A worker
claims due rows (pending, `proxima_tentativa` reached) with `SELECT … FOR UPDATE SKIP
LOCKED` and pushes their `proxima_tentativa` a lease ahead in the same short
transaction, then works without holding one. Two workers never take the same row: the
second skips the locked row, and once the claim commits the row is no longer due. A
worker that dies mid-work leaves its rows to be claimed again when the lease ends, so a
receiver must tolerate a resend.

A failed attempt is recorded on the row and retried after an exponential backoff, until
the queue gives up (`max_tentativas`) and the row becomes `erro`. The policy (how many
attempts, how long the waits, how much jitter) is each queue's own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone

PENDENTE = "pendente"
ENVIADO = "enviado"
ERRO = "erro"

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Fila:
    """One queue's retry policy, and the claim and the outcomes that follow it."""

    max_tentativas: int
    primeira_espera: timedelta  # after the first failure; doubled after each next one
    espera_maxima: timedelta
    jitter: float = 0.0  # ± this fraction of the wait, so rows failed together spread out
    lease: timedelta = timedelta(minutes=5)
    tamanho_erro: int = 4000  # characters of the error kept on the row

    def backoff(self, tentativas: int) -> timedelta:
        """The wait after the n-th failure (whole seconds before the jitter, so any n works)."""
        primeira = int(self.primeira_espera.total_seconds())
        base = min(primeira * 2 ** (tentativas - 1), int(self.espera_maxima.total_seconds()))
        if not self.jitter:
            return timedelta(seconds=base)
        return timedelta(seconds=base * random.uniform(1 - self.jitter, 1 + self.jitter))

    def reivindicar(self, fila: QuerySet[M], *, limite: int) -> list[M]:
        """Claim up to `limite` due rows of `fila` (already narrowed by the caller), oldest
        due first, and push them a lease ahead. Run it inside the transaction (the tenant's,
        for tenant rows) that commits the claim; an empty list means nothing is due or
        another worker holds it."""
        agora = timezone.now()
        itens = list(
            fila.select_for_update(skip_locked=True)
            .filter(status=PENDENTE, proxima_tentativa__lte=agora)
            .order_by("proxima_tentativa", "id")[:limite]
        )
        fila.model._default_manager.filter(pk__in=[item.pk for item in itens]).update(
            proxima_tentativa=agora + self.lease
        )
        return itens

    def falha(self, *, tentativas: int, erro: Exception, desistir: bool = True) -> dict[str, Any]:
        """The fields of a failed attempt (`tentativas` counts it): retried after the backoff,
        or `erro` once the attempts run out, unless `desistir` is False."""
        esgotado = desistir and tentativas >= self.max_tentativas
        return {
            "status": ERRO if esgotado else PENDENTE,
            "tentativas": tentativas,
            "ultimo_erro": f"{erro.__class__.__name__}: {erro}"[: self.tamanho_erro],
            "proxima_tentativa": timezone.now() + self.backoff(tentativas),
        }

    def sucesso(self, *, tentativas: int) -> dict[str, Any]:
        """The fields of a delivered row (`tentativas` counts this attempt)."""
        return {"status": ENVIADO, "tentativas": tentativas, "ultimo_erro": "", "enviado_em": timezone.now()}
