"""Sending LEDI fichas to the centralizers: the ledger, the nightly run and the export.

1. `fichas_gerar` turns records that lack their ficha into FichaSisab rows (sisab.fichas),
   checks them (sisab.regras + XSD) and keeps the invalid ones with their reasons; an
   invalid ficha never sent is rebuilt on every run, so fixing the record (or the CNES
   import) is enough. The clinical services' outbox rows (destino "sisab") reach the
   same function through the deliverer registered in sisab.apps. A deleted dose whose
   ficha was never sent sends nothing; once a destination accepted it, a cancelling
   ficha (`uuidFichaCancelada`, Thrift only) goes to the destinations that have it and
   no other destination ever gets either (`_vacinacao_excluida`).
2. `transmitir` (nightly, in the municipality's window) creates what is owed per
   (ficha, destination) and delivers it: to a PEC receiving API (login once, one
   `.esus` per request: 2xx accepted, 4xx refused with the body kept, anything else
   retried with backoff) or as one zip in a folder. An accepted ficha is never sent
   again to that destination; a training municipality sends nothing. A run may last
   hours (500 fichas, 30 s each at worst), longer than any lease: each destination is
   delivered under a PostgreSQL advisory lock, so a task redelivered while the first run
   is still going skips it, and fichas are claimed a few at a time with a lease that
   covers that small batch (and is renewed while a folder's zip is written), so even a
   run that lost its lock never holds a claim past its lease. A worker killed mid-run
   leaves only its current batch, retaken when the lease ends.
3. `exportar` writes a competência's valid fichas into a zip, streaming, serialised in
   worker processes when asked (`manage.py export_sisab --processes`). The XML layout
   cannot cancel a ficha, so an XML export leaves out cancelled doses and their
   cancellations, and says how many (`cancelamentos_sem_xml`).
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import logging
import multiprocessing
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import batched
from typing import IO, Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from pec.cripto import cifrar, decifrar
from pec.destinos import DestinoRecusado, pasta_verificar, url_verificar
from pec.models import Municipio, Outbox
from pec.outbox import Recusado, backoff
from pec.tenancy import tenant_context
from pec.travas import trava_de_sessao
from sisab import fichas, ledi, regras
from sisab.models import DestinoSisab, EntregaSisab, FichaSisab, InstalacaoSisab

log = logging.getLogger(__name__)

VERSAO_SISTEMA = "PEC-centralizado 1.0"
TIMEOUT = getattr(settings, "PEC_SISAB_TIMEOUT", 30)
LOTE_HTTP = 500  # fichas per destination per run; the rest waits for the next hour of the window
LOTE_REIVINDICACAO = 10  # fichas claimed at a time by the HTTP delivery
# A claim outlives its batch by far: 10 fichas at the worst timeout each take 5 minutes.
LEASE = max(datetime.timedelta(minutes=15), 3 * LOTE_REIVINDICACAO * datetime.timedelta(seconds=TIMEOUT))
RENOVAR_A_CADA = 1000  # fichas written into a folder's zip between two renewals of the claim
_TRAVA_DESTINO = 0x53495341  # "SISA": advisory lock class of one destination's delivery
LOTE_EXPORTACAO = 500  # fichas per worker task in an export


class SemIdentidade(Exception):
    """The municipality has not entered its contra-chave: nothing may be sent."""


# --- identity and destinations ---------------------------------------------------------------


def instalacao_dados(instalacao: InstalacaoSisab) -> ledi.Instalacao:
    return ledi.Instalacao(
        contra_chave=instalacao.contra_chave,
        uuid_instalacao=str(instalacao.uuid_instalacao),
        cpf_ou_cnpj=instalacao.responsavel_documento,
        nome_ou_razao_social=instalacao.responsavel_nome,
        fone=instalacao.fone,
        email=instalacao.email,
        versao_sistema=VERSAO_SISTEMA,
    )


def instalacao_do_municipio(*, municipio_id: int) -> InstalacaoSisab | None:
    return InstalacaoSisab.objects.filter(municipio_id=municipio_id).first()


def destino_contexto_senha(destino: DestinoSisab) -> str:
    return f"sisab-destino:{destino.id}:senha"


def destino_salvar(*, destino: DestinoSisab, senha: str | None) -> DestinoSisab:
    """Save a destination; a new password (if given) is encrypted bound to this row."""
    with transaction.atomic():
        destino.save()
        if senha:
            destino.senha_cifrada = cifrar(senha, contexto=destino_contexto_senha(destino))
            destino.save(update_fields=["senha_cifrada"])
    return destino


def destino_senha(destino: DestinoSisab) -> str:
    return decifrar(destino.senha_cifrada, contexto=destino_contexto_senha(destino)) if destino.senha_cifrada else ""


# --- fichas ---------------------------------------------------------------------------------


def competencia_de(momento: datetime.datetime) -> datetime.date:
    return timezone.localtime(momento).date().replace(day=1)


def dado_transporte(ficha: FichaSisab, instalacao: ledi.Instalacao) -> ledi.DadoTransporte:
    return ledi.novo_dado_transporte(
        tipo=ficha.tipo,
        ficha=ficha.dados,
        cnes=ficha.cnes,
        cod_ibge=ficha.dados["headerTransport"]["codigoIbgeMunicipio"],
        ine=ficha.ine,
        instalacao=instalacao,
    )


def verificar(
    *, tipo: int, dados: dict[str, Any], cnes: str, ine: str, ibge: str, instalacao: ledi.Instalacao | None
) -> list[str]:
    """LEDI rules, then the XML form against the XSD (only worth it when the rules pass)."""
    erros = regras.ficha_erros(tipo=tipo, dados=dados)
    if erros:
        return erros
    dado = ledi.novo_dado_transporte(
        tipo=tipo, ficha=dados, cnes=cnes, cod_ibge=ibge, ine=ine, instalacao=instalacao or regras._VERIFICACAO
    )
    return regras.xsd_erros(dado)


def ficha_materializar(
    *, mapeamento: fichas.Mapeamento, objeto: Any, instalacao: ledi.Instalacao | None = None
) -> FichaSisab:
    """Map, check and store one record's ficha (idempotent per record and version).
    Runs inside the municipality's tenant context."""
    montada = mapeamento.montar(objeto)
    lotacao = montada.lotacao
    ine = lotacao.equipe.ine if lotacao.equipe_id else ""  # type: ignore[union-attr]  # equipe_id is set
    erros = verificar(
        tipo=montada.tipo,
        dados=montada.dados,
        cnes=lotacao.estabelecimento.cnes,
        ine=ine,
        ibge=lotacao.municipio.ibge,
        instalacao=instalacao,
    )
    campos: dict[str, Any] = {
        "tipo": montada.tipo,
        "uuid": montada.uuid,
        "uuid_originadora": montada.uuid_originadora,
        "lotacao": lotacao,
        "cnes": lotacao.estabelecimento.cnes,
        "ine": ine,
        "data_atendimento": montada.data,
        "competencia": competencia_de(montada.data),
        "dados": montada.dados,
        "status": FichaSisab.Status.INVALIDA if erros else FichaSisab.Status.VALIDA,
        "erros": erros,
        "verificada_em": timezone.now(),
    }
    chave = {
        "municipio_id": objeto.municipio_id,
        "origem": mapeamento.origem,
        "origem_id": objeto.id,
        "origem_versao": montada.versao,
    }
    with transaction.atomic():
        existente = FichaSisab.objects.select_for_update().filter(**chave).first()
        if existente is None:
            try:
                with transaction.atomic():
                    return FichaSisab.objects.create(**chave, **campos)
            except IntegrityError:  # built concurrently by the outbox worker and the night run
                existente = FichaSisab.objects.select_for_update().get(**chave)
        if existente.entregas.filter(status=EntregaSisab.Status.ENVIADO).exists():
            return existente  # what a destination accepted is never rewritten
        campos["uuid"] = existente.uuid  # an unsent ficha keeps its uuid when rebuilt
        campos["dados"] = {**campos["dados"], **_mesmo_uuid(montada, existente.uuid)}
        for nome, valor in campos.items():
            setattr(existente, nome, valor)
        existente.save()
        return existente


def _mesmo_uuid(montada: fichas.Montada, uuid: str) -> dict[str, str]:
    return {"uuid": uuid} if "uuid" in montada.dados else {"uuidFicha": uuid}


def fichas_gerar(*, municipio_id: int, limite: int = 20_000) -> dict[str, int]:
    """Make the missing fichas of a municipality and rebuild the unsent invalid ones."""
    with tenant_context(municipio_id):
        modelo = instalacao_do_municipio(municipio_id=municipio_id)
        instalacao = instalacao_dados(modelo) if modelo else None
        contagem = {"novas": 0, "refeitas": 0, "invalidas": 0}
        # The invalid ones of earlier runs first: those this run creates were just checked.
        invalidas = (
            FichaSisab.objects.filter(municipio_id=municipio_id, status=FichaSisab.Status.INVALIDA)
            .exclude(entregas__status=EntregaSisab.Status.ENVIADO)
            .exclude(dados__has_key=fichas.UUID_FICHA_CANCELADA)  # made from the sent ficha, not from a record
        )
        for ficha in invalidas[:limite]:
            mapeamento = fichas.REGISTRO[ficha.origem]
            objeto = mapeamento.modelo.objects.filter(
                municipio_id=municipio_id, id=ficha.origem_id, **mapeamento.vigentes
            ).first()
            if objeto is None or (mapeamento.versionado and objeto.versao != ficha.origem_versao):
                continue  # a newer version of the record has its own ficha
            if getattr(objeto, "excluida_em", None) is not None:
                continue  # a deleted dose's ficha stays held back
            refeita = ficha_materializar(mapeamento=mapeamento, objeto=objeto, instalacao=instalacao)
            contagem["refeitas"] += 1
            contagem["invalidas"] += refeita.status == FichaSisab.Status.INVALIDA
        for mapeamento in fichas.REGISTRO.values():
            for objeto in mapeamento.pendentes(municipio_id)[:limite]:
                ficha = ficha_materializar(mapeamento=mapeamento, objeto=objeto, instalacao=instalacao)
                contagem["novas"] += 1
                contagem["invalidas"] += ficha.status == FichaSisab.Status.INVALIDA
    return contagem


def outbox_entregador(item: Outbox) -> dict[str, Any]:
    """Outbox deliverer for destino "sisab": the record's ficha enters the ledger."""
    with tenant_context(item.municipio_id):
        if item.tipo == "ficha_vacinacao_exclusao":
            return _vacinacao_excluida(item)
        if item.tipo == "ficha_cds_cancelada":
            return _ficha_cds_cancelada(item)
        origem = fichas.ORIGEM_DO_OUTBOX.get(item.tipo)
        if origem is None:
            raise Recusado(f"tipo {item.tipo!r} has no LEDI mapping")
        mapeamento = fichas.REGISTRO[origem]
        objeto = mapeamento.modelo.objects.filter(municipio_id=item.municipio_id, id=item.objeto_id).first()
        if objeto is None:
            raise Recusado(f"{item.objeto_tipo} {item.objeto_id} not found")
        modelo = instalacao_do_municipio(municipio_id=item.municipio_id)
        ficha = ficha_materializar(
            mapeamento=mapeamento, objeto=objeto, instalacao=instalacao_dados(modelo) if modelo else None
        )
        return {"ficha": ficha.uuid, "status": ficha.status}


def _vacinacao_excluida(item: Outbox) -> dict[str, Any]:
    """A deleted dose. Deliveries of its ficha not yet accepted are dropped (a refused one
    put back in the queue would send the deleted dose). If no destination accepted it,
    the ficha is held back; the destinations that did get a cancelling ficha
    (sisab.fichas.vacinacao_cancelamento) and no other destination gets either of them
    (`entregas_criar`)."""
    with transaction.atomic():
        ficha = (
            FichaSisab.objects.select_for_update()
            .filter(municipio_id=item.municipio_id, origem="vacinacao", origem_id=item.objeto_id, origem_versao=1)
            .first()
        )
        if ficha is None:
            return {"ficha": None}
        ficha.entregas.exclude(status=EntregaSisab.Status.ENVIADO).delete()
        aceitaram = list(ficha.entregas.values_list("destino_id", flat=True))
        if not aceitaram:
            ficha.status = FichaSisab.Status.INVALIDA
            ficha.erros = ["A dose foi excluída: a ficha não será enviada."]
            ficha.save(update_fields=["status", "erros"])
            return {"ficha": ficha.uuid, "status": "retida"}
        cancelamento = _cancelamento(ficha)
        EntregaSisab.objects.bulk_create(
            [EntregaSisab(municipio_id=ficha.municipio_id, ficha=cancelamento, destino_id=d) for d in aceitaram],
            ignore_conflicts=True,
        )
    return {"ficha": ficha.uuid, "cancelamento": cancelamento.uuid, "status": cancelamento.status}


def _cancelamento(enviada: FichaSisab) -> FichaSisab:
    """The cancelling ficha of a sent one, in the ledger as the record's next version
    (idempotent: an outbox row delivered twice finds it made)."""
    chave = {
        "municipio_id": enviada.municipio_id,
        "origem": enviada.origem,
        "origem_id": enviada.origem_id,
        "origem_versao": enviada.origem_versao + 1,
    }
    existente = FichaSisab.objects.filter(**chave).first()
    if existente is not None:
        return existente
    dados = fichas.vacinacao_cancelamento(enviada.dados, cnes=enviada.cnes)
    modelo = instalacao_do_municipio(municipio_id=enviada.municipio_id)
    erros = verificar(
        tipo=enviada.tipo,
        dados=dados,
        cnes=enviada.cnes,
        ine=enviada.ine,
        ibge=dados["headerTransport"]["codigoIbgeMunicipio"],
        instalacao=instalacao_dados(modelo) if modelo else None,
    )
    return FichaSisab.objects.create(
        **chave,
        tipo=enviada.tipo,
        uuid=dados["uuidFicha"],
        lotacao_id=enviada.lotacao_id,
        cnes=enviada.cnes,
        ine=enviada.ine,
        data_atendimento=enviada.data_atendimento,
        competencia=enviada.competencia,
        dados=dados,
        status=FichaSisab.Status.INVALIDA if erros else FichaSisab.Status.VALIDA,
        erros=erros,
        verificada_em=timezone.now(),
    )


def _de_registros_cancelados(municipio_id: int) -> Exists:
    """True for the fichas of a record that has a cancelling ficha: the cancelled one and
    the cancellation itself (they share origem and origem_id)."""
    return Exists(
        FichaSisab.objects.filter(
            municipio_id=municipio_id,
            origem=OuterRef("origem"),
            origem_id=OuterRef("origem_id"),
            dados__has_key=fichas.UUID_FICHA_CANCELADA,
        )
    )


def _ficha_cds_cancelada(item: Outbox) -> dict[str, Any]:
    """A typed CDS ficha cancelled or replaced by a corrected version: held back as a dose
    is. LEDI 7.2.2 has no uuidFichaCancelada for the visit and activity fichas, so one a
    destination already accepted can only be corrected there (dead letter)."""
    return _reter(
        item,
        origens=list(fichas.ORIGEM_CDS.values()),
        motivo="A ficha foi cancelada ou substituída por uma versão corrigida: não será enviada.",
        ja_enviada="LEDI 7.2.2 offers no cancellation of this ficha type",
    )


def _reter(item: Outbox, *, origens: list[str], motivo: str, ja_enviada: str) -> dict[str, Any]:
    ficha = FichaSisab.objects.filter(
        municipio_id=item.municipio_id, origem__in=origens, origem_id=item.objeto_id
    ).first()
    if ficha is None:
        return {"ficha": None}
    if ficha.entregas.filter(status=EntregaSisab.Status.ENVIADO).exists():
        raise Recusado(f"ficha {ficha.uuid} was already accepted by a destination; {ja_enviada}")
    ficha.status = FichaSisab.Status.INVALIDA
    ficha.erros = [motivo]
    ficha.save(update_fields=["status", "erros"])
    ficha.entregas.filter(status=EntregaSisab.Status.PENDENTE).delete()
    return {"ficha": ficha.uuid, "status": "retida"}


# --- transmission ---------------------------------------------------------------------------


def na_janela(instalacao: InstalacaoSisab, agora: datetime.datetime) -> bool:
    hora = timezone.localtime(agora).hour
    inicio, fim = instalacao.janela_inicio, instalacao.janela_fim
    return inicio <= hora < fim if inicio < fim else hora >= inicio or hora < fim


def entregas_criar(*, municipio_id: int) -> int:
    """What is owed: every valid ficha to every active destination it has no row for,
    except a cancelled dose and its cancellation, owed only where the dose was accepted
    (`_vacinacao_excluida` makes those rows)."""
    criadas = 0
    for destino in DestinoSisab.objects.filter(municipio_id=municipio_id, ativo=True):
        faltam = (
            FichaSisab.objects.filter(municipio_id=municipio_id, status=FichaSisab.Status.VALIDA)
            .exclude(entregas__destino=destino)
            .exclude(_de_registros_cancelados(municipio_id))
            .values_list("id", flat=True)
        )
        novas = [EntregaSisab(municipio_id=municipio_id, ficha_id=ficha_id, destino=destino) for ficha_id in faltam]
        EntregaSisab.objects.bulk_create(novas, ignore_conflicts=True, batch_size=2000)
        criadas += len(novas)
    return criadas


@dataclass
class Resultado:
    enviadas: int = 0
    recusadas: int = 0
    adiadas: int = 0
    detalhe: str = ""

    def como_dict(self) -> dict[str, Any]:
        return {
            "enviadas": self.enviadas,
            "recusadas": self.recusadas,
            "adiadas": self.adiadas,
            "detalhe": self.detalhe,
        }


def transmitir(
    *, municipio_id: int, agora: datetime.datetime | None = None, ignorar_janela: bool = False
) -> dict[str, Any]:
    """One run for one municipality: make fichas, then deliver to each destination."""
    agora = agora or timezone.now()
    municipio = Municipio.objects.get(id=municipio_id)
    with tenant_context(municipio_id):
        instalacao = instalacao_do_municipio(municipio_id=municipio_id)
    if instalacao is not None and not ignorar_janela and not na_janela(instalacao, agora):
        return {"municipio": municipio.ibge, "fora_da_janela": True}
    geradas = fichas_gerar(municipio_id=municipio_id)
    if municipio.em_treinamento:
        # Everything is built and checked, so the admin sees what would have gone.
        return {"municipio": municipio.ibge, "treinamento": True, "fichas": geradas}
    if instalacao is None:
        log.warning("sisab: municipality %s has no contra-chave; nothing sent", municipio.ibge)
        return {"municipio": municipio.ibge, "sem_identidade": True, "fichas": geradas}
    identidade = instalacao_dados(instalacao)
    resultados = {}
    with tenant_context(municipio_id):
        entregas_criar(municipio_id=municipio_id)
        destinos = list(DestinoSisab.objects.filter(municipio_id=municipio_id, ativo=True))
    for destino in destinos:
        with destino_travado(destino) as livre:
            if not livre:
                log.info("sisab: destination %s is being delivered by another run; skipped", destino.id)
                resultados[destino.id] = Resultado(
                    detalhe="outra transmissão para este destino em andamento"
                ).como_dict()
                continue
            entregar = _ENTREGADORES[destino.tipo]
            resultados[destino.id] = entregar(destino=destino, instalacao=identidade, agora=agora).como_dict()
    return {"municipio": municipio.ibge, "fichas": geradas, "destinos": resultados}


def destino_travado(destino: DestinoSisab) -> AbstractContextManager[bool]:
    """One destination's lock for a whole run; False when another run holds it."""
    return trava_de_sessao(_TRAVA_DESTINO, destino.id)


def _devidas(destino: DestinoSisab, agora: datetime.datetime, limite: int) -> list[EntregaSisab]:
    """Claim due rows (FOR UPDATE SKIP LOCKED) and push them a lease ahead, as pec.outbox
    does: two workers never send the same ficha at once, and a worker killed mid-run
    leaves its rows to the next run."""
    agora = max(agora, timezone.now())  # rows created during this run are due too
    with tenant_context(destino.municipio_id):
        itens = list(
            EntregaSisab.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                municipio_id=destino.municipio_id,
                destino=destino,
                status=EntregaSisab.Status.PENDENTE,
                proxima_tentativa__lte=agora,
            )
            .select_related("ficha")
            .order_by("proxima_tentativa", "id")[:limite]
        )
        EntregaSisab.objects.filter(id__in=[i.id for i in itens]).update(proxima_tentativa=agora + LEASE)
    return itens


def _renovar(destino: DestinoSisab, entregas: list[EntregaSisab], agora: datetime.datetime) -> None:
    """Push the claim of rows still being worked on a lease ahead again."""
    with tenant_context(destino.municipio_id):
        EntregaSisab.objects.filter(id__in=[e.id for e in entregas], status=EntregaSisab.Status.PENDENTE).update(
            proxima_tentativa=max(agora, timezone.now()) + LEASE
        )


def _registrar(entrega: EntregaSisab, **campos: Any) -> None:
    with tenant_context(entrega.municipio_id):
        EntregaSisab.objects.filter(id=entrega.id).update(**campos)


def _aceita(entrega: EntregaSisab, conteudo: bytes) -> None:
    _registrar(
        entrega,
        status=EntregaSisab.Status.ENVIADO,
        tentativas=entrega.tentativas + 1,
        ultimo_erro="",
        uuid_enviado=entrega.ficha.uuid,
        sha256=hashlib.sha256(conteudo).hexdigest(),
        enviado_em=timezone.now(),
    )


def _adiar(entrega: EntregaSisab, erro: str, agora: datetime.datetime) -> None:
    tentativas = entrega.tentativas + 1
    _registrar(entrega, tentativas=tentativas, ultimo_erro=erro[:4000], proxima_tentativa=agora + backoff(tentativas))


def _adiar_sem_tentativa(entrega: EntregaSisab, erro: str, agora: datetime.datetime) -> None:
    """Not the ficha's fault (the destination refused our login): no attempt is counted."""
    _registrar(entrega, ultimo_erro=erro[:4000], proxima_tentativa=agora + backoff(1))


def esus(ficha: FichaSisab, instalacao: ledi.Instalacao) -> bytes:
    return ledi.para_esus(dado_transporte(ficha, instalacao))


def entregar_http(*, destino: DestinoSisab, instalacao: ledi.Instalacao, agora: datetime.datetime) -> Resultado:
    """Log in once, then send the due fichas a claimed batch at a time (LOTE_REIVINDICACAO)."""
    resultado = Resultado()
    base = destino.url.rstrip("/")
    sessao: requests.Session | None = None
    feitas = 0
    while feitas < LOTE_HTTP:
        entregas = _devidas(destino, agora, min(LOTE_REIVINDICACAO, LOTE_HTTP - feitas))
        if not entregas:
            break
        feitas += len(entregas)
        if sessao is None:
            sessao = _login(base=base, destino=destino, entregas=entregas, agora=agora, resultado=resultado)
            if sessao is None:
                return resultado
        if not _enviar_lote(
            sessao=sessao, base=base, entregas=entregas, instalacao=instalacao, agora=agora, resultado=resultado
        ):
            return resultado
    return resultado


def _login(
    *, base: str, destino: DestinoSisab, entregas: list[EntregaSisab], agora: datetime.datetime, resultado: Resultado
) -> requests.Session | None:
    """A logged-in session, or None with the claimed batch postponed and the reason kept."""
    try:
        url_verificar(url=destino.url, permitidos=settings.PEC_HOSTS_SISAB)
    except DestinoRecusado as exc:
        _recusar_destino(destino=destino, entregas=entregas, erro=str(exc), agora=agora, resultado=resultado)
        return None
    sessao = requests.Session()
    try:
        login = sessao.post(
            f"{base}/api/recebimento/login",
            data={"usuario": destino.usuario, "senha": destino_senha(destino)},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        resultado.detalhe = f"login: {exc.__class__.__name__}: {exc}"
        for entrega in entregas:
            _adiar(entrega, resultado.detalhe, agora)
        resultado.adiadas += len(entregas)
        return None
    if not 200 <= login.status_code < 300:
        resultado.detalhe = f"login recusado ({login.status_code}): {login.text[:500]}"
        for entrega in entregas:
            _adiar_sem_tentativa(entrega, resultado.detalhe, agora)
        resultado.adiadas += len(entregas)
        return None
    return sessao


def _recusar_destino(
    *, destino: DestinoSisab, entregas: list[EntregaSisab], erro: str, agora: datetime.datetime, resultado: Resultado
) -> None:
    """The installation does not allow this destination (pec.destinos): nothing is sent and
    the batch waits, with the reason on the page, until the admin fixes the destination."""
    log.error("sisab: destination %s refused by the installation's rules: %s", destino.id, erro)
    for entrega in entregas:
        _adiar_sem_tentativa(entrega, erro, agora)
    resultado.adiadas += len(entregas)
    resultado.detalhe = erro
    return None


def _enviar_lote(
    *,
    sessao: requests.Session,
    base: str,
    entregas: list[EntregaSisab],
    instalacao: ledi.Instalacao,
    agora: datetime.datetime,
    resultado: Resultado,
) -> bool:
    """POST each ficha of a claimed batch; False when the receiver stopped answering."""
    for indice, entrega in enumerate(entregas):
        conteudo = esus(entrega.ficha, instalacao)
        try:
            resposta = sessao.post(
                f"{base}/api/v1/recebimento/ficha",
                timeout=TIMEOUT,
                files={"ficha": (f"{entrega.ficha.uuid}.esus", conteudo, "application/octet-stream")},
            )
        except requests.RequestException as exc:
            # The receiver is down or too slow: this one and the rest of the batch wait for
            # the backoff; the rows not claimed yet wait for the next run.
            erro = f"{exc.__class__.__name__}: {exc}"
            for resto in entregas[indice:]:
                _adiar(resto, erro, agora)
            resultado.adiadas += len(entregas) - indice
            resultado.detalhe = erro
            return False
        if 200 <= resposta.status_code < 300:
            _aceita(entrega, conteudo)
            resultado.enviadas += 1
        elif 400 <= resposta.status_code < 500:
            _registrar(
                entrega,
                status=EntregaSisab.Status.ERRO,
                tentativas=entrega.tentativas + 1,
                ultimo_erro=f"{resposta.status_code}: {resposta.text[:4000]}",
                sha256=hashlib.sha256(conteudo).hexdigest(),
                uuid_enviado=entrega.ficha.uuid,
            )
            resultado.recusadas += 1
        else:
            _adiar(entrega, f"{resposta.status_code}: {resposta.text[:1000]}", agora)
            resultado.adiadas += 1
    return True


def entregar_pasta(*, destino: DestinoSisab, instalacao: ledi.Instalacao, agora: datetime.datetime) -> Resultado:
    """One zip per run with every due ficha, written beside and renamed when complete, so
    whoever carries the folder never takes half a file."""
    entregas = _devidas(destino, agora, 100_000)
    if not entregas:
        return Resultado()
    try:
        pasta = pasta_verificar(pasta=destino.pasta)
    except DestinoRecusado as exc:
        resultado = Resultado()
        _recusar_destino(destino=destino, entregas=entregas, erro=str(exc), agora=agora, resultado=resultado)
        return resultado
    nome = f"lote-{destino.municipio_id}-{timezone.localtime(agora):%Y%m%d-%H%M%S}-{destino.id}.zip"
    parcial = pasta / f".{nome}.part"
    somas: list[tuple[EntregaSisab, bytes]] = []
    try:
        pasta.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(parcial, "w", compression=zipfile.ZIP_DEFLATED) as arquivo:
            for indice, entrega in enumerate(entregas, start=1):
                conteudo = esus(entrega.ficha, instalacao)
                arquivo.writestr(f"{entrega.ficha.uuid}.esus", conteudo)
                somas.append((entrega, conteudo))
                if indice % RENOVAR_A_CADA == 0:
                    _renovar(destino, entregas, agora)  # written rows stay claimed until the zip is in place
        parcial.replace(pasta / nome)
    except OSError as exc:
        parcial.unlink(missing_ok=True)
        erro = f"{exc.__class__.__name__}: {exc}"
        for entrega in entregas:
            _adiar(entrega, erro, agora)
        return Resultado(adiadas=len(entregas), detalhe=erro)
    for entrega, conteudo in somas:
        _aceita(entrega, conteudo)
    return Resultado(enviadas=len(somas), detalhe=str(pasta / nome))


_ENTREGADORES: dict[str, Callable[..., Resultado]] = {
    DestinoSisab.Tipo.HTTP: entregar_http,
    DestinoSisab.Tipo.PASTA: entregar_pasta,
}


def reenviar(*, municipio_id: int, destino_id: int | None = None) -> int:
    """Put refused deliveries back in the queue (the admin fixed the cause)."""
    with tenant_context(municipio_id):
        filtro = Q(municipio_id=municipio_id, status=EntregaSisab.Status.ERRO)
        if destino_id is not None:
            filtro &= Q(destino_id=destino_id)
        return EntregaSisab.objects.filter(filtro).update(
            status=EntregaSisab.Status.PENDENTE, tentativas=0, proxima_tentativa=timezone.now()
        )


# --- export ---------------------------------------------------------------------------------


def _validas_da_competencia(*, municipio_id: int, competencia: datetime.date) -> QuerySet[FichaSisab]:
    return FichaSisab.objects.filter(
        municipio_id=municipio_id, competencia=competencia, status=FichaSisab.Status.VALIDA
    )


def fichas_da_competencia(
    *, municipio_id: int, competencia: datetime.date, formato: str = "thrift"
) -> Iterator[FichaSisab]:
    """Valid fichas of a month, in id order (a cancellation after the ficha it cancels),
    fetched in chunks (bounded memory). XML cannot carry `uuidFichaCancelada`: there a
    cancelled dose is left out with its cancellation."""
    ultimo = 0
    while True:
        with tenant_context(municipio_id):
            consulta = _validas_da_competencia(municipio_id=municipio_id, competencia=competencia)
            if formato == "xml":
                consulta = consulta.exclude(_de_registros_cancelados(municipio_id))
            lote = list(consulta.filter(id__gt=ultimo).order_by("id")[:1000])
        if not lote:
            return
        yield from lote
        ultimo = lote[-1].id


def em_processos(funcao: Callable[..., Any], lotes: Iterable[dict[str, Any]], *, processos: int) -> Iterator[Any]:
    """`funcao(**lote)` for each lote, results in order, spread over `processos` worker
    processes (one is this process itself: no pool). At most two lotes per worker are in
    flight, so memory stays bounded however many lotes come. Workers are spawned, not
    forked: they share neither this process's database connection nor its threads."""
    if processos <= 1:
        for lote in lotes:
            yield funcao(**lote)
        return
    with multiprocessing.get_context("spawn").Pool(processos) as pool:
        pendentes: collections.deque[Any] = collections.deque()
        for lote in lotes:
            pendentes.append(pool.apply_async(funcao, kwds=lote))
            if len(pendentes) >= 2 * processos:
                yield pendentes.popleft().get()
        while pendentes:
            yield pendentes.popleft().get()


def exportar(
    *,
    municipio: Municipio,
    competencia: datetime.date,
    formato: str,
    saida: IO[bytes],
    progresso: Callable[[int], object] | None = None,
    processos: int = 1,
) -> int:
    """Zip of the competência's valid fichas, one entry per ficha named by its uuid.

    The fichas were checked (rules + XSD) when they entered the ledger; the XML variant
    is checked against the XSD again as written, the Thrift one is the same dict."""
    with tenant_context(municipio.id):
        modelo = instalacao_do_municipio(municipio_id=municipio.id)
    if modelo is None:
        raise SemIdentidade("Informe a contra-chave e os dados da instalação antes de exportar.")
    instalacao = instalacao_dados(modelo)
    lotes = (
        {"dados": [dado_transporte(ficha, instalacao) for ficha in lote], "formato": formato}
        for lote in batched(
            fichas_da_competencia(municipio_id=municipio.id, competencia=competencia, formato=formato), LOTE_EXPORTACAO
        )
    )
    total = 0
    with zipfile.ZipFile(saida, "w", compression=zipfile.ZIP_DEFLATED) as arquivo:
        for escritos in em_processos(ledi.arquivos, lotes, processos=processos):
            for nome, conteudo in escritos:
                arquivo.writestr(nome, conteudo)
            total += len(escritos)
            if progresso is not None:
                progresso(total)
    if progresso is not None and total == 0:
        progresso(total)
    return total


def cancelamentos_sem_xml(*, municipio_id: int, competencia: datetime.date) -> int:
    """Cancelling fichas of the month an XML export cannot carry: the destination must be
    told otherwise (a `.esus` export, or by hand) that those doses were deleted."""
    with tenant_context(municipio_id):
        return (
            _validas_da_competencia(municipio_id=municipio_id, competencia=competencia)
            .filter(dados__has_key=fichas.UUID_FICHA_CANCELADA)
            .count()
        )
