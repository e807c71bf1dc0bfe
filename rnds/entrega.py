"""The outbox deliverer of destination "rnds" (registered in RndsConfig.ready).

A row names its record (`objeto_tipo`, `objeto_id`); the mapping registered for that
model (rnds.mapeamento) turns it into a rnds.registros dataclass, built afresh at each attempt so a record
corrected before it left goes out corrected. `payload["operacao"]` says what to do:
"enviar" (default), "substituir" (a Bundle that replaces the delivered one, relatesTo)
or "excluir" (DELETE of the delivered one). Refusals raise pec.outbox.Recusado (dead
letter with the OperationOutcome text); everything else is transient and retried.

A send whose answer was lost (worker killed mid-POST, timeout) is refused on resend as a
duplicate identifier (ERR866), or a replacement as already replaced (ERR870). The RNDS
then holds the document, so its id is looked up by the local identifier and kept: a
later correction or deletion needs it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils import timezone

from pec.models import Outbox
from pec.outbox import Indisponivel, Recusado
from pec.tenancy import tenant_context
from rnds import cliente
from rnds.bundles import TIPO_DOCUMENTO, bundle_construir, sistema_identificador
from rnds.mapeamento import MAPEADORES
from rnds.models import CertificadoA1, ConfiguracaoRNDS
from rnds.pendencias import AguardandoDados, pendencia_registrar, pendencia_resolver
from rnds.registros import Registro
from rnds.selectors import certificado_ativo
from rnds.verificacao import rnds_identificacao, rnds_verificar

DUPLICADO = ("ERR866", "MSG010")
JA_SUBSTITUIDO = ("ERR870", "MSG009")


class NaoPronto(Indisponivel):
    """The municipality cannot send yet (disabled, no valid certificate): retried later."""


def registro_do_item(item: Outbox) -> Registro:
    """The row's record, mapped now. A record lacking a document (CPF/CNS of the citizen,
    CNS of the professional) raises AguardandoDados and keeps its pendência open."""
    mapeador = MAPEADORES.get(item.objeto_tipo)
    if mapeador is None:
        raise Recusado(f"Tipo de registro sem mapeamento para a RNDS: {item.objeto_tipo}")
    modelo = apps.get_model(item.objeto_tipo)
    with tenant_context(item.municipio_id):
        objeto = modelo.objects.filter(pk=item.objeto_id, municipio_id=item.municipio_id).first()
        if objeto is None:
            raise Recusado(f"Registro {item.objeto_tipo} {item.objeto_id} não existe mais no município.")
        registro = mapeador(objeto)
        motivos = rnds_identificacao(registro)
        if motivos:
            pendencia_registrar(municipio_id=item.municipio_id, objeto=objeto, motivos=motivos)
        else:
            pendencia_resolver(municipio_id=item.municipio_id, objeto_tipo=item.objeto_tipo, objeto_id=item.objeto_id)
    if motivos:  # raised once the pendência is committed, not inside its transaction
        raise AguardandoDados(" ".join(motivos))
    return registro


def _preparar(item: Outbox) -> tuple[ConfiguracaoRNDS, CertificadoA1]:
    with tenant_context(item.municipio_id):
        config = ConfiguracaoRNDS.objects.select_related("municipio").filter(municipio_id=item.municipio_id).first()
        cert = certificado_ativo(municipio_id=item.municipio_id)
    if config is None or not config.habilitado:
        raise NaoPronto("RNDS não habilitada para o município (Administração › RNDS)")
    if not config.identificador_solicitante:
        raise NaoPronto("identificador do solicitante não configurado (Administração › RNDS)")
    if cert is None:
        raise NaoPronto("nenhum certificado A1 instalado")
    if cert.valido_ate <= timezone.now():
        raise NaoPronto(f"certificado A1 vencido em {cert.valido_ate:%d/%m/%Y}")
    return config, cert


def _original(item: Outbox) -> Outbox:
    chave = item.payload.get("chave_original", "")
    with tenant_context(item.municipio_id):
        original = Outbox.objects.filter(municipio_id=item.municipio_id, chave=chave).first()
    if original is None:
        raise Recusado(f"Registro original {chave} não encontrado na fila da RNDS.")
    return original


def _id_entregue(item: Outbox, original: Outbox) -> str:
    """The RNDS id of the delivered original, or why there is none yet."""
    if original.status == Outbox.Status.PENDENTE:
        raise NaoPronto("aguardando o envio do registro original")
    if original.status != Outbox.Status.ENVIADO:
        raise Recusado("O registro original não foi aceito pela RNDS; reenvie-o antes de corrigi-lo.")
    rnds_id = original.resposta.get("rnds_id", "")
    if not rnds_id:
        raise Recusado("A RNDS não informou o identificador do registro original.")
    return str(rnds_id)


def _ja_recebido(texto: str, *, substitui: str) -> bool:
    """The RNDS says it already has what this row sends: an earlier attempt got through."""
    return any(codigo in texto for codigo in (JA_SUBSTITUIDO if substitui else DUPLICADO))


def _id_recebido(
    *, config: ConfiguracaoRNDS, cert: CertificadoA1, registro: Registro, substitui: str, recusa: str
) -> str:
    """The RNDS id of the document an earlier attempt delivered, found by its identifier:
    the first version (a send) or the one that replaces `substitui` (a replacement)."""
    try:
        versoes = cliente.versoes_do_identificador(
            config=config,
            cert=cert,
            sistema=sistema_identificador(config.identificador_solicitante),
            valor=registro.quem.identificador,
            tipo_documento=TIPO_DOCUMENTO[registro.tipo],
            cns_profissional=registro.quem.profissional_cns,
        )
    except cliente.RejeitadoRNDS as exc:
        raise Recusado(f"{recusa[:300]} | consulta pelo identificador: {exc.texto}") from exc
    for versao in versoes:
        alvos = [(r.get("targetReference") or {}).get("id", "") for r in versao.get("relatesTo") or []]
        if (substitui in alvos) if substitui else not alvos:
            return str(versao["id"])
    raise Recusado(
        f"A RNDS recusou o reenvio como já recebido ({recusa[:300]}), mas a consulta pelo identificador "
        f"{registro.quem.identificador} não encontrou o documento."
    )


def entregar(item: Outbox) -> dict[str, Any]:
    config, cert = _preparar(item)
    operacao = item.payload.get("operacao", "enviar")
    registro = registro_do_item(item)
    cns = registro.quem.profissional_cns
    if operacao == "excluir":
        original = _original(item)
        with tenant_context(item.municipio_id):
            substituto = Outbox.objects.filter(
                municipio_id=item.municipio_id, chave=f"{original.chave}:substituicao", status=Outbox.Status.ENVIADO
            ).first()
        # The replacing document, if any, is the one standing at the RNDS.
        rnds_id = (substituto.resposta.get("rnds_id") if substituto else "") or _id_entregue(item, original)
        try:
            status = cliente.excluir_bundle(config=config, cert=cert, rnds_id=rnds_id, cns_profissional=cns)
        except cliente.RejeitadoRNDS as exc:
            raise Recusado(exc.texto) from exc
        return {"excluido": rnds_id, "status_http": status}
    substitui = _id_entregue(item, _original(item)) if operacao == "substituir" else ""
    erros = rnds_verificar(registro)
    if erros:
        raise Recusado(" ".join(erros))
    bundle = bundle_construir(registro, solicitante=config.identificador_solicitante, substitui=substitui)
    resposta: dict[str, Any] = {}
    try:
        rnds_id = cliente.enviar_bundle(config=config, cert=cert, bundle=bundle, cns_profissional=cns)
    except cliente.RejeitadoRNDS as exc:
        if not _ja_recebido(exc.texto, substitui=substitui):
            raise Recusado(exc.texto) from exc
        rnds_id = _id_recebido(config=config, cert=cert, registro=registro, substitui=substitui, recusa=exc.texto)
        resposta = {"duplicado": True, "mensagem": exc.texto[:500]}
    resposta["rnds_id"] = rnds_id
    if substitui:
        resposta["substitui"] = substitui
    return resposta
