"""Writes of clinical care: escuta inicial, atendimento (draft, finalisation, addenda) and
the queue transitions they cause. Each service is one transaction; finalising writes the
outbox rows for RNDS and SISAB in that same transaction.

An atendimento belongs to the lotação that conducts it (`Atendimento.lotacao`): only that
lotação saves and finalises the draft, so the record, its PDFs, the RAC and the FAI, which
all read that field, name the professional who finalised. Another professional continues
a draft only by assuming it (`atendimento_assumir`), which is explicit and audited.
What the form may contain follows from the actor's perfis (prescrição, exames, atestado).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.identity.acesso import permissoes_da_lotacao
from pec.integracoes import verificacoes_ao_finalizar
from pec.models import Lotacao, Outbox
from pec.outbox import outbox_registrar, outbox_registrar_substituicao, outbox_ultimo_envio
from pec.tenancy import assert_owned
from prontuario.clinico import forms as formularios
from prontuario.clinico.models import (
    Adendo,
    Alergia,
    Atendimento,
    Atestado,
    Encaminhamento,
    EscutaInicial,
    ExameSolicitado,
    Medicao,
    Prescricao,
    Problema,
    ProblemaAvaliado,
)
from prontuario.clinico.regras import (
    CAMPOS_MEDICAO,
    ItemAvaliado,
    calcular_imc,
    eh_codigo_ab,
    encaminhamento_erros,
    problemas_erros,
)
from prontuario.models import Cidadao, EntradaLista
from prontuario.terminologia.services import descricoes


class Conflito(Exception):
    """Someone saved the atendimento after the version this edit started from."""

    def __init__(self, atual: Atendimento) -> None:
        super().__init__(f"atendimento {atual.pk} is at version {atual.versao}")
        self.atual = atual


class JaFinalizado(Exception):
    """The record is locked; corrections are addenda."""


class NaoEAutor(Exception):
    """The draft is conducted by another professional, who alone saves and finalises it."""

    def __init__(self, atual: Atendimento) -> None:
        super().__init__(
            f"Este atendimento está sendo conduzido por {atual.lotacao.profissional.nome}: só quem o conduz "
            "salva e finaliza. Para continuá-lo, assuma o atendimento (fica registrado na auditoria)."
        )
        self.atual = atual


def _mover_fila(entrada: EntradaLista, situacao: str, lotacao: Lotacao, **campos: Any) -> None:
    """Move the queue entry, appending to its history as stored now: the row is locked and
    re-read, so a reception change made at the same moment keeps its own history entry."""
    atual = EntradaLista.objects.select_for_update().get(pk=entrada.pk, municipio_id=lotacao.municipio_id)
    agora = timezone.now()
    valores = {
        "situacao": situacao,
        "historico": [*atual.historico, {"situacao": situacao, "em": agora.isoformat(), "lotacao_id": lotacao.id}],
        **campos,
    }
    for campo, valor in valores.items():
        setattr(atual, campo, valor)
        setattr(entrada, campo, valor)
    atual.save(update_fields=list(valores))


def _medicao_criar(
    *, cidadao: Cidadao, lotacao: Lotacao, dados: dict[str, Any], em: datetime.datetime
) -> Medicao | None:
    valores = {campo: dados.get(campo) for campo in CAMPOS_MEDICAO}
    if all(valor is None for valor in valores.values()):
        return None
    return Medicao.objects.create(
        municipio_id=cidadao.municipio_id,
        cidadao=cidadao,
        lotacao=lotacao,
        em=em,
        imc=calcular_imc(valores["peso"], valores["altura"]),
        **valores,
    )


# --- Escuta inicial --------------------------------------------------------------------------

FILA_ABERTA = (EntradaLista.Situacao.AGUARDANDO, EntradaLista.Situacao.EM_ESCUTA)


@transaction.atomic
def escuta_iniciar(*, entrada: EntradaLista, lotacao: Lotacao) -> None:
    """The professional opened the escuta: the queue shows the citizen as "em escuta"."""
    assert_owned(entrada, lotacao.municipio_id)
    if entrada.situacao == EntradaLista.Situacao.AGUARDANDO and not hasattr(entrada, "escuta"):
        _mover_fila(entrada, EntradaLista.Situacao.EM_ESCUTA, lotacao, escuta_em=timezone.now())


@transaction.atomic
def escuta_registrar(
    *, entrada: EntradaLista, lotacao: Lotacao, dados: dict[str, Any], medicao: dict[str, Any]
) -> EscutaInicial:
    """Record and close the escuta inicial (it is never edited afterwards)."""
    entrada = EntradaLista.objects.select_for_update().select_related("cidadao").get(pk=entrada.pk)
    assert_owned(entrada, lotacao.municipio_id)
    if EscutaInicial.objects.filter(entrada=entrada).exists():
        raise JaFinalizado("Esta escuta inicial já foi finalizada e não pode ser alterada.")
    if entrada.situacao not in FILA_ABERTA:
        raise ValidationError("O cidadão não está aguardando escuta inicial nesta lista.")
    agora = timezone.now()
    escuta = EscutaInicial.objects.create(
        municipio_id=entrada.municipio_id,
        entrada=entrada,
        cidadao=entrada.cidadao,
        lotacao=lotacao,
        estabelecimento=entrada.estabelecimento,
        motivo_ciap=dados["motivo_ciap"],
        descricao=dados["descricao"],
        classificacao_risco=dados["classificacao_risco"],
        desfecho=dados["desfecho"],
        finalizada_em=agora,
        medicao=_medicao_criar(cidadao=entrada.cidadao, lotacao=lotacao, dados=medicao, em=agora),
    )
    risco = dados["classificacao_risco"]
    if dados["desfecho"] == EscutaInicial.Desfecho.ATENDIMENTO:
        _mover_fila(entrada, EntradaLista.Situacao.AGUARDANDO, lotacao, classificacao_risco=risco, prioridade=risco)
    else:
        _mover_fila(
            entrada,
            EntradaLista.Situacao.ATENDIDO,
            lotacao,
            classificacao_risco=risco,
            prioridade=risco,
            atendido_em=agora,
        )
    return escuta


# --- Atendimento -----------------------------------------------------------------------------


@transaction.atomic
def atendimento_iniciar(*, cidadao: Cidadao, lotacao: Lotacao, entrada: EntradaLista | None = None) -> Atendimento:
    """Open (or resume) this professional's draft for the citizen."""
    assert_owned(cidadao, lotacao.municipio_id)
    existente = Atendimento.objects.filter(
        municipio_id=lotacao.municipio_id, cidadao=cidadao, lotacao=lotacao, status=Atendimento.Status.RASCUNHO
    ).first()
    if entrada is not None:
        assert_owned(entrada, lotacao.municipio_id)
        if entrada.situacao in FILA_ABERTA:
            _mover_fila(entrada, EntradaLista.Situacao.EM_ATENDIMENTO, lotacao, atendimento_em=timezone.now())
    if existente is not None:
        return existente
    agora = timezone.now()
    return Atendimento.objects.create(
        municipio_id=lotacao.municipio_id,
        cidadao=cidadao,
        lotacao=lotacao,
        estabelecimento=lotacao.estabelecimento,
        entrada=entrada,
        salvo_por=lotacao,
        salvo_em=agora,
        iniciado_em=agora,
        tipo_atendimento=5 if entrada is not None and entrada.tipo == EntradaLista.Tipo.ESPONTANEA else 2,
    )


def atendimento_salvar_rascunho(
    *, atendimento: Atendimento, lotacao: Lotacao, dados: dict[str, Any], versao: int
) -> int:
    """Keep what was typed (the whole form) and return the new version.

    One conditional UPDATE: it succeeds only if nobody saved since `versao`, so two
    professionals on the same atendimento never overwrite each other silently.
    """
    assert_owned(atendimento, lotacao.municipio_id)
    alterados = Atendimento.objects.filter(
        pk=atendimento.pk, versao=versao, status=Atendimento.Status.RASCUNHO, lotacao=lotacao
    ).update(rascunho=dados, versao=F("versao") + 1, salvo_por=lotacao, salvo_em=timezone.now())
    if not alterados:
        atual = Atendimento.objects.select_related("lotacao__profissional").get(pk=atendimento.pk)
        _pode_editar(atual, lotacao)
        raise Conflito(atual)
    return versao + 1


def _pode_editar(atual: Atendimento, lotacao: Lotacao) -> None:
    if atual.status == Atendimento.Status.FINALIZADO:
        raise JaFinalizado("Este atendimento já foi finalizado; correções são feitas por adendo.")
    if atual.lotacao_id != lotacao.id:
        raise NaoEAutor(atual)


@transaction.atomic
def atendimento_assumir(*, atendimento: Atendimento, lotacao: Lotacao, motivo: str, ator: Ator) -> Atendimento:
    """Hand a draft over to `lotacao` (the previous professional left, fell ill, changed shift).

    From now on it is this lotação's atendimento: it alone saves and finalises it, and the
    record and national documents name it. The version moves on, so a page still open by
    the previous professional can no longer save over it.
    """
    atual = (
        Atendimento.objects.select_for_update(of=("self",))
        .select_related("lotacao__profissional")
        .get(pk=atendimento.pk)
    )
    assert_owned(atual, lotacao.municipio_id)
    if atual.status == Atendimento.Status.FINALIZADO:
        raise JaFinalizado("Este atendimento já foi finalizado; correções são feitas por adendo.")
    motivo = motivo.strip()
    if not motivo:
        raise ValidationError("Informe o motivo para assumir o atendimento.")
    anterior = atual.lotacao
    if anterior.id == lotacao.id:
        return atual
    atual.lotacao, atual.estabelecimento_id = lotacao, lotacao.estabelecimento_id
    atual.salvo_por, atual.salvo_em, atual.versao = lotacao, timezone.now(), atual.versao + 1
    atual.save(update_fields=["lotacao", "estabelecimento", "salvo_por", "salvo_em", "versao"])
    audit_event(
        evento="atendimento_assumido",
        ator=ator,
        cidadao_id=atual.cidadao_id,
        o_que=f"atendimento {atual.uuid} assumido de {anterior.profissional.nome}",
        detalhes={
            "atendimento_id": atual.pk,
            "de_lotacao_id": anterior.id,
            "para_lotacao_id": lotacao.id,
            "motivo": motivo[:300],
        },
    )
    return atual


class Formularios:
    """The atendimento page's forms, bound to a saved draft or a POST."""

    def __init__(self, dados: Any | None, inicial: dict[str, Any] | None = None) -> None:
        self.principal = formularios.AtendimentoForm(dados, initial=inicial)
        self.medicao = formularios.MedicaoForm(dados, prefix="m")
        self.atestado = formularios.AtestadoForm(dados, prefix="atestado")
        self.listas = {nome: classe(dados, prefix=nome) for nome, classe in formularios.LISTAS.items()}

    def todos(self) -> list[Any]:
        return [self.principal, self.medicao, self.atestado, *self.listas.values()]

    def validos(self) -> bool:
        return all(form.is_valid() for form in self.todos())

    def erros(self) -> list[str]:
        """Field errors as sentences ("CID-10: Código CID-10 desconhecido: X."), for messages."""
        erros = []
        for form in self.todos():
            for formulario in getattr(form, "forms", [form]):
                for campo, lista in formulario.errors.items():
                    rotulo = formulario.fields[campo].label if campo in formulario.fields else ""
                    erros += [f"{rotulo}: {erro}" if rotulo else erro for erro in lista]
        return erros

    def linhas(self, nome: str) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.listas[nome]
            if any(v not in (None, "", False) for v in form.cleaned_data.values())
        ]


@transaction.atomic
def atendimento_finalizar(*, atendimento: Atendimento, lotacao: Lotacao, dados: Any, versao: int) -> Atendimento:
    """Validate everything typed, write the structured rows, feed the problem list, lock
    the record and register its deliveries. Raises ValidationError with every message."""
    atual = Atendimento.objects.select_for_update().select_related("cidadao", "municipio").get(pk=atendimento.pk)
    assert_owned(atual, lotacao.municipio_id)
    _pode_editar(atual, lotacao)
    if atual.versao != versao:
        raise Conflito(atual)
    forms = Formularios(dados)
    erros: list[str] = []
    if not forms.validos():
        erros += forms.erros()
    else:
        erros += _erros_de_permissao(forms, permissoes_da_lotacao(lotacao=lotacao))
        erros += _erros_de_regras(atual, forms)
    if erros:
        raise ValidationError(erros)

    agora = timezone.now()
    principal = forms.principal.cleaned_data
    for campo in (
        "tipo_atendimento",
        "subjetivo",
        "subjetivo_ciap",
        "objetivo",
        "avaliacao",
        "plano",
        "orientacoes",
        "condutas",
    ):
        setattr(atual, campo, principal[campo])
    atual.medicao = _medicao_criar(cidadao=atual.cidadao, lotacao=lotacao, dados=forms.medicao.cleaned_data, em=agora)
    atual.rascunho = {}
    atual.status = Atendimento.Status.FINALIZADO
    atual.finalizado_em = agora
    atual.salvo_por, atual.salvo_em, atual.versao = lotacao, agora, atual.versao + 1
    atual.save()
    _gravar_linhas(atual, lotacao, forms, agora)
    # Checked on the rows just written, exactly as the delivery will map them; raising
    # rolls all of it back, so the atendimento stays a draft with what was typed.
    erros_integracoes = verificacoes_ao_finalizar(municipio=atual.municipio, objeto=atual)
    if erros_integracoes:
        raise ValidationError(erros_integracoes)
    if atual.entrada_id is not None:
        entrada = EntradaLista.objects.select_for_update().get(pk=atual.entrada_id)
        if entrada.situacao != EntradaLista.Situacao.ATENDIDO:
            _mover_fila(entrada, EntradaLista.Situacao.ATENDIDO, lotacao, atendido_em=agora)
    outbox_registrar(municipio=atual.municipio, destino="rnds", tipo="rac", chave=f"rac:{atual.uuid}", objeto=atual)
    outbox_registrar(
        municipio=atual.municipio,
        destino="sisab",
        tipo="ficha_atendimento_individual",
        chave=f"fai:{atual.uuid}",
        objeto=atual,
    )
    return atual


def _erros_de_permissao(forms: Formularios, permissoes: frozenset[str]) -> list[str]:
    """What the form holds that the actor's perfis do not allow to issue."""
    erros = []
    if "prescricao.emitir" not in permissoes and any(rx["medicamento"] for rx in forms.linhas("prescricoes")):
        erros.append("Seu perfil nesta lotação não permite prescrever medicamentos: retire a prescrição.")
    if "exame.solicitar" not in permissoes and any(e["sigtap"] for e in forms.linhas("exames")):
        erros.append("Seu perfil nesta lotação não permite solicitar exames: retire a solicitação.")
    atestado = forms.atestado.cleaned_data
    if "atestado.emitir" not in permissoes and (atestado.get("dias") or atestado.get("cid10") or atestado.get("texto")):
        erros.append("Seu perfil nesta lotação não permite emitir atestados: retire o atestado.")
    return erros


def _erros_de_regras(atendimento: Atendimento, forms: Formularios) -> list[str]:
    principal = forms.principal.cleaned_data
    problemas = forms.linhas("problemas")
    erros: list[str] = []
    if not problemas:
        erros.append("Registre ao menos um problema/condição avaliado (CIAP2 ou CID-10).")
    if not principal["condutas"]:
        erros.append("Marque ao menos uma conduta/desfecho.")
    erros += problemas_erros(
        itens=[ItemAvaliado(p["ciap"], p["cid10"], p["situacao"]) for p in problemas],
        nascimento=atendimento.cidadao.data_nascimento,
        dia=timezone.localdate(),
    )
    encaminhamentos = forms.linhas("encaminhamentos")
    for enc in encaminhamentos:
        if not enc["especialidade"]:
            erros.append("Informe a especialidade de cada encaminhamento.")
        erros += encaminhamento_erros(ciap=enc["ciap"], cid10=enc["cid10"])
    if encaminhamentos and 4 not in principal["condutas"] and not set(principal["condutas"]) & {5, 6, 7, 8, 10}:
        erros.append("Com encaminhamento, marque a conduta de encaminhamento correspondente.")
    atestado = forms.atestado.cleaned_data
    if (atestado.get("cid10") or atestado.get("texto")) and not atestado.get("dias"):
        erros.append("Informe os dias de afastamento do atestado.")
    return erros


def _gravar_linhas(atendimento: Atendimento, lotacao: Lotacao, forms: Formularios, agora: datetime.datetime) -> None:
    municipio_id, cidadao, hoje = atendimento.municipio_id, atendimento.cidadao, agora.date()
    problemas = forms.linhas("problemas")
    nomes = descricoes([("ciap2", p["ciap"]) for p in problemas] + [("cid10", p["cid10"]) for p in problemas])
    for item in problemas:
        problema = None
        if item["situacao"] is not None and not eh_codigo_ab(item["ciap"]):
            problema = _problema_atualizar(atendimento, lotacao, item, nomes, agora)
        ProblemaAvaliado.objects.create(
            municipio_id=municipio_id,
            atendimento=atendimento,
            problema=problema,
            ciap=item["ciap"],
            cid10=item["cid10"],
            situacao=item["situacao"],
            sequencial=problema.evolucoes if problema else None,
        )
    for alergia in forms.linhas("alergias"):
        if alergia["agente"]:
            Alergia.objects.create(
                municipio_id=municipio_id,
                cidadao=cidadao,
                agente=alergia["agente"],
                categoria=alergia["categoria"] or Alergia.Categoria.OUTRO,
                criticidade=alergia["criticidade"] or Alergia.Criticidade.DESCONHECIDA,
                atendimento=atendimento,
                lotacao=lotacao,
                em=agora,
            )
    prescricoes = forms.linhas("prescricoes")
    medicamentos = descricoes([("medicamento", p["medicamento"]) for p in prescricoes])
    for rx in prescricoes:
        if rx["medicamento"]:
            Prescricao.objects.create(
                municipio_id=municipio_id,
                atendimento=atendimento,
                cidadao=cidadao,
                catmat=rx["medicamento"],
                medicamento=medicamentos.get(("medicamento", rx["medicamento"]), rx["medicamento"]),
                dose=rx["dose"],
                via=rx["via"],
                posologia=rx["posologia"],
                duracao_dias=rx["duracao_dias"],
                uso_continuo=rx["uso_continuo"],
                inicio=hoje,
            )
    exames = forms.linhas("exames")
    nomes_exames = descricoes([("sigtap", e["sigtap"]) for e in exames])
    for exame in exames:
        if exame["sigtap"]:
            ExameSolicitado.objects.create(
                municipio_id=municipio_id,
                atendimento=atendimento,
                sigtap=exame["sigtap"],
                descricao=nomes_exames.get(("sigtap", exame["sigtap"]), ""),
                justificativa=exame["justificativa"],
            )
    atestado = forms.atestado.cleaned_data
    if atestado.get("dias"):
        Atestado.objects.create(
            municipio_id=municipio_id,
            atendimento=atendimento,
            dias=atestado["dias"],
            cid10=atestado["cid10"],
            texto=atestado["texto"],
        )
    for enc in forms.linhas("encaminhamentos"):
        Encaminhamento.objects.create(
            municipio_id=municipio_id,
            atendimento=atendimento,
            especialidade=enc["especialidade"],
            cid10=enc["cid10"],
            ciap=enc["ciap"],
            motivo=enc["motivo"],
        )


def _problema_atualizar(
    atendimento: Atendimento,
    lotacao: Lotacao,
    item: dict[str, Any],
    nomes: dict[tuple[str, str], str],
    agora: datetime.datetime,
) -> Problema:
    """The same code still open in the list is the same problem: it evolves; else a new one."""
    filtro = {"ciap": item["ciap"]} if item["ciap"] else {"cid10": item["cid10"]}
    problema = (
        Problema.objects.select_for_update()
        .filter(municipio_id=atendimento.municipio_id, cidadao=atendimento.cidadao, **filtro)
        .exclude(situacao=Problema.Situacao.RESOLVIDO)
        .first()
    )
    descricao = nomes.get(("cid10", item["cid10"])) or nomes.get(("ciap2", item["ciap"])) or ""
    if problema is None:
        problema = Problema(
            municipio_id=atendimento.municipio_id,
            cidadao=atendimento.cidadao,
            ciap=item["ciap"],
            cid10=item["cid10"],
            inicio=agora.date(),
        )
    problema.cid10 = item["cid10"] or problema.cid10
    problema.descricao = descricao[:300]
    problema.situacao = item["situacao"]
    problema.fim = agora.date() if item["situacao"] == Problema.Situacao.RESOLVIDO else None
    problema.evolucoes += 1
    problema.lotacao, problema.atualizado_em = lotacao, agora
    problema.save()
    return problema


@transaction.atomic
def atendimento_adendar(*, atendimento: Atendimento, lotacao: Lotacao, texto: str, ator: Ator) -> Adendo:
    """A correction to a finalised atendimento: a new row, audited; the original stays as it was."""
    assert_owned(atendimento, lotacao.municipio_id)
    if atendimento.status != Atendimento.Status.FINALIZADO:
        raise ValidationError("Adendos são para atendimentos finalizados; edite o rascunho.")
    adendo = Adendo.objects.create(
        municipio_id=atendimento.municipio_id, atendimento=atendimento, lotacao=lotacao, texto=texto
    )
    envio = outbox_ultimo_envio(destino="rnds", municipio_id=atendimento.municipio_id, objeto=atendimento)
    if envio is not None and envio.status != Outbox.Status.ERRO:
        # The RNDS holds (or will) this atendimento's RAC: a corrected record replaces it,
        # rebuilt from the record as it stands, chained after any earlier replacement.
        outbox_registrar_substituicao(
            municipio=atendimento.municipio, destino="rnds", objeto=atendimento, tipo="rac", chave_original=envio.chave
        )
    audit_event(
        evento="prontuario_adendo",
        ator=ator,
        cidadao_id=atendimento.cidadao_id,
        o_que=f"adendo ao atendimento {atendimento.uuid}",
        detalhes={"adendo_id": adendo.id},
    )
    return adendo
