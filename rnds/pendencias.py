"""Records that are final without the documents the RNDS needs to receive them.

Homeless people, newborns and foreigners often come without CPF or CNS, and CNES files
can lack a professional's CNS. Such a record finalises all the same (the SISAB takes
it); its RNDS delivery waits as a Pendencia with the reason in the users' words, shown
next to the record (folha de rosto, atendimento) and on the RNDS panel.

Two places note a pendência: the finalise services (through
rnds.verificacao.rnds_verificar_ao_finalizar, so the professional sees it at once) and
the deliverer, which raises AguardandoDados for the row: retried with backoff, never
dead-lettered. `pendencias_liberar` (beat, every minute) looks at the open ones against
the citizen's and professional's documents as they are now and makes the rows due at
once when the document arrived, whoever entered it and wherever (cadastro, CADSUS
import, CNES import, the professional screen): the record goes within a minute of the
fix, and a still-missing document never hammers the RNDS.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.db.models import Model
from django.utils import timezone

from pec.documentos import cns_valido, cpf_valido
from pec.models import Outbox
from pec.outbox import Indisponivel
from pec.tenancy import assert_owned
from rnds.models import Pendencia
from rnds.selectors import DESTINO

log = logging.getLogger(__name__)


class AguardandoDados(Indisponivel):
    """The record lacks a document (rnds.pendencias): waits, never a dead letter."""


def identificacao_motivos(*, cidadao_cpf: str, cidadao_cns: str, profissional_cns: str) -> list[str]:
    """Why the RNDS cannot receive a record of this citizen by this professional yet (pt-BR);
    empty when it can. Nothing here is fixed in the record itself."""
    motivos = []
    if not cidadao_cpf and not cidadao_cns:
        motivos.append(
            "O cidadão não tem CPF nem CNS: o registro vai para a RNDS quando um deles for informado no cadastro."
        )
    elif cidadao_cpf and not cpf_valido(cidadao_cpf):
        motivos.append("O CPF do cidadão é inválido: corrija o cadastro para enviar o registro à RNDS.")
    elif not cidadao_cpf and not cns_valido(cidadao_cns):
        motivos.append("O CNS do cidadão é inválido: corrija o cadastro para enviar o registro à RNDS.")
    if not cns_valido(profissional_cns):
        motivos.append(
            "O CNS do profissional não está cadastrado ou é inválido: o administrador do município "
            "pode informá-lo em Administração › Profissionais."
        )
    return motivos


def _pessoas(objeto: Any) -> tuple[int, int]:
    """(cidadao_id, profissional_id) of a mapped clinical record (atendimento, vacinação)."""
    return objeto.cidadao_id, objeto.lotacao.profissional_id


def pendencia_registrar(*, municipio_id: int, objeto: Model, motivos: list[str]) -> Pendencia:
    """Open (or reopen, with the reasons of now) the record's pendência. Runs in its tenant."""
    assert_owned(objeto, municipio_id)
    cidadao_id, profissional_id = _pessoas(objeto)
    pendencia, _ = Pendencia.objects.update_or_create(
        municipio_id=municipio_id,
        objeto_tipo=objeto._meta.label_lower,
        objeto_id=objeto.pk,
        defaults={
            "cidadao_id": cidadao_id,
            "profissional_id": profissional_id,
            "motivo": " ".join(motivos),
            "resolvida_em": None,
        },
    )
    return pendencia


def pendencia_resolver(*, municipio_id: int, objeto_tipo: str, objeto_id: int) -> None:
    Pendencia.objects.filter(
        municipio_id=municipio_id, objeto_tipo=objeto_tipo, objeto_id=objeto_id, resolvida_em=None
    ).update(resolvida_em=timezone.now())


def pendencias_liberar(*, municipio_id: int) -> int:
    """Close the open pendências whose documents are there now and make their RNDS rows
    due at once; return how many. Runs in the municipality's tenant (rnds.tasks)."""
    # Only rows with a document on both sides now can be ready: most open ones (people who
    # have none) never are, and are not re-read each minute.
    abertas = (
        Pendencia.objects.filter(municipio_id=municipio_id, resolvida_em=None)
        .exclude(cidadao__cpf="", cidadao__cns="")
        .exclude(profissional__cns="")
        .select_related("cidadao", "profissional")
    )
    prontas = [
        p
        for p in abertas
        if not identificacao_motivos(
            cidadao_cpf=p.cidadao.cpf, cidadao_cns=p.cidadao.cns, profissional_cns=p.profissional.cns
        )
    ]
    if not prontas:
        return 0
    agora = timezone.now()
    Pendencia.objects.filter(id__in=[p.id for p in prontas]).update(resolvida_em=agora)
    por_tipo: dict[str, list[int]] = defaultdict(list)
    for pendencia in prontas:
        por_tipo[pendencia.objeto_tipo].append(pendencia.objeto_id)
    for objeto_tipo, ids in por_tipo.items():
        Outbox.objects.filter(
            municipio_id=municipio_id,
            destino=DESTINO,
            objeto_tipo=objeto_tipo,
            objeto_id__in=ids,
            status=Outbox.Status.PENDENTE,
        ).update(proxima_tentativa=agora)
    log.info("rnds: %s record(s) of municipality %s got their documents; due now", len(prontas), municipio_id)
    return len(prontas)
