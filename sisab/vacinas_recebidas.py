"""Doses of received Fichas de Vacinação (LEDI tipo 14) into the citizens' records.

A UBS that types on CDS, or another system, sends its fichas here (sisab.recebimento);
the doses they carry belong on the citizen's vaccination card like any dose typed in the
PEC, or the next-dose checks would be blind to them. Each becomes a Vacinacao of origin
CDS: read-only here (corrected at the source), never sent to the RNDS or the SISAB again
(the ficha itself is what goes on to the centralizers). A dose keeps the code systems of a
dose typed here (the RNDS ones), so the card, the checks and the reports read both alike:
the same codes for imunobiológico and dose; the strategy through the LEDI code kept with
each RNDS strategy (prontuario/dados/estrategia.tsv); the group through the LEDI code kept with
each RNDS group (prontuario/dados/grupo_atendimento.tsv); the manufacturer, which LEDI sends by
name, as the RNDS code of the one manufacturer with that name or abbreviation (none when
no single one has it: the name stays in the received ficha). A dose whose imunobiológico
or dose is in no table stays out, with the reason.

A dose is placed only when the citizen (CPF or CNS) and the professional's lotação (CNS,
CBO and CNES of the ficha's header) are known in the municipality; otherwise the ficha
records why, in a sentence for the admin, and keeps its place in the queue to SISAB
(sisab.inclusao tries it again). A ficha that cancels an earlier one (uuidFichaCancelada)
takes that one's doses out.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from typing import Any

from django.utils import timezone

from prontuario.cadastro.texto import dobrar
from prontuario.models import Termo, Vacinacao
from sisab.fichas import estrategia_rnds, grupo_atendimento_rnds
from sisab.inclusao import cidadao_por_documento, data_ms, lotacao_do_cabecalho, sem_lotacao
from sisab.models import FichaRecebida

SEM_ESTRATEGIA = "0"  # RNDS: "Sem registro no sistema de informação de origem"
_NAMESPACE = uuid.UUID("4f0c6f3e-8a51-4c1e-9a7e-2f1d7b0c5e14")


@functools.cache
def _fabricantes() -> dict[str, str]:
    """Folded name or abbreviation -> RNDS BRFabricantePNI code, for names only one
    manufacturer has (SINOVAC names three). Reference data, read once per process."""
    codigos: dict[str, set[str]] = {}
    for codigo, descricao, sigla in Termo.objects.filter(tabela="fabricante").values_list(
        "codigo", "descricao", "sigla"
    ):
        for nome in {dobrar(descricao), dobrar(sigla)} - {""}:
            codigos.setdefault(nome, set()).add(codigo)
    return {nome: next(iter(achados)) for nome, achados in codigos.items() if len(achados) == 1}


@functools.cache
def _codigos(tabela: str) -> frozenset[str]:
    return frozenset(Termo.objects.filter(tabela=tabela).values_list("codigo", flat=True))


def grupo_rnds(codigo_ledi: Any) -> str:
    return (grupo_atendimento_rnds(codigo_ledi) or "") if isinstance(codigo_ledi, int) else ""


def fabricante_rnds(nome: Any) -> str:
    return _fabricantes().get(dobrar(nome), "") if isinstance(nome, str) else ""


def _fora_das_tabelas(vacina: dict[str, Any]) -> str | None:
    """Why a dose cannot be placed, when its codes are in no table a card can show."""
    imunobiologico, dose = str(vacina.get("imunobiologico", "")), str(vacina.get("dose", ""))
    if imunobiologico not in _codigos("imunobiologico"):
        return f"imunobiológico {imunobiologico[:20] or '(vazio)'} desconhecido"
    if dose not in _codigos("dose"):
        return f"dose {dose[:20] or '(vazia)'} desconhecida"
    return None


def vacinas_incluir(ficha: FichaRecebida) -> None:
    """Place the doses of a received ficha (sisab.inclusao.INCLUIR). Idempotent: run
    again (the ficha re-sent after the citizen or the lotação was registered), it adds
    only the doses still missing and rewrites the pending list."""
    dados: dict[str, Any] = ficha.ficha
    agora = timezone.now()
    ja_incluidas = set(
        Vacinacao.objects.filter(municipio_id=ficha.municipio_id, ficha_origem=ficha.uuid).values_list(
            "uuid", flat=True
        )
    )
    ficha.pendencias, ficha.doses_incluidas = [], len(ja_incluidas)
    if cancelada := dados.get("uuidFichaCancelada"):
        Vacinacao.objects.filter(
            municipio_id=ficha.municipio_id, ficha_origem=cancelada, excluida_em__isnull=True
        ).update(
            excluida_em=agora, motivo_exclusao=f"Ficha {cancelada} cancelada na origem pela ficha {ficha.uuid}."[:200]
        )
    cabecalho = dados.get("headerTransport") or {}
    lotacao = lotacao_do_cabecalho(ficha.municipio_id, cabecalho)
    for n, filho in enumerate(dados.get("vacinacoes") or [], start=1):
        vacinas = filho.get("vacinas") or []
        if lotacao is None:
            ficha.pendencias.append(
                f"Atendimento {n}: {sem_lotacao(cabecalho)}: {len(vacinas)} dose(s) fora do prontuário."
            )
            continue
        cidadao = cidadao_por_documento(ficha.municipio_id, cpf=filho.get("cpfCidadao"), cns=filho.get("cnsCidadao"))
        if cidadao is None:
            documento = filho.get("cpfCidadao") or filho.get("cnsCidadao") or "sem CPF nem CNS"
            ficha.pendencias.append(
                f"Atendimento {n}: cidadão {documento} não está cadastrado no município: "
                f"{len(vacinas)} dose(s) fora do prontuário."
            )
            continue
        for m, vacina in enumerate(vacinas, start=1):
            dose_uuid = uuid.uuid5(_NAMESPACE, f"{ficha.uuid}/{n}/{m}")
            if dose_uuid in ja_incluidas:
                continue
            if motivo := _fora_das_tabelas(vacina):
                ficha.pendencias.append(f"Atendimento {n}, vacina {m}: {motivo}: dose fora do prontuário.")
                continue
            Vacinacao.objects.create(
                municipio_id=ficha.municipio_id,
                uuid=dose_uuid,
                cidadao=cidadao,
                lotacao=lotacao,
                estabelecimento_id=lotacao.estabelecimento_id,
                origem=Vacinacao.Origem.CDS,
                ficha_origem=ficha.uuid,
                registrado_em=_momento(filho, cabecalho) or agora,
                **_dose(vacina, filho, cabecalho),
            )
            ficha.doses_incluidas += 1
    ficha.save(update_fields=["doses_incluidas", "pendencias"])


def _momento(filho: dict[str, Any], cabecalho: dict[str, Any]) -> datetime.datetime | None:
    return data_ms(
        filho.get("dataHoraFinalAtendimento")
        or filho.get("dataHoraInicialAtendimento")
        or cabecalho.get("dataAtendimento")
    )


def _dose(vacina: dict[str, Any], filho: dict[str, Any], cabecalho: dict[str, Any]) -> dict[str, Any]:
    anterior = bool(vacina.get("stRegistroAnterior"))
    aplicada = data_ms(vacina.get("dataRegistroAnterior")) if anterior else _momento(filho, cabecalho)
    return {
        "data_aplicacao": timezone.localtime(aplicada).date() if aplicada else timezone.localdate(),
        "registro_anterior": anterior,
        "imunobiologico": str(vacina.get("imunobiologico", "")),
        "estrategia": estrategia_rnds(vacina.get("estrategiaVacinacao")) or SEM_ESTRATEGIA,
        "dose": str(vacina.get("dose", "")),
        "lote": (vacina.get("lote") or "")[:30],
        "fabricante": fabricante_rnds(vacina.get("fabricante")),
        "grupo_atendimento": grupo_rnds(vacina.get("grupoAtendimento")),
        "cid10_motivo_indicacao": (vacina.get("cid10MotivoIndicacao") or "")[:6],
        "condicao_maternal": str(filho.get("condicaoMaternal") or "")[:2],
        "comunicante_hanseniase": filho.get("comunicanteHanseniase"),
    }
