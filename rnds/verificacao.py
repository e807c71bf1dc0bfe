"""What would make the RNDS refuse a record, said so the professional can fix it before
finalising (prontuario's finalise services ask pec.integracoes.verificacoes_ao_finalizar,
with which RndsConfig.ready registers `rnds_verificar_ao_finalizar`).

The same Bundle the delivery would send is built and run through rnds.perfis; the
typical mistakes are then explained in the professional's words, and anything else the
checker finds is passed on with its FHIR path. A missing CPF/CNS of the citizen or CNS
of the professional is not the record's fault and never holds it: the record finalises
and its delivery waits (rnds.pendencias).
"""

from __future__ import annotations

import dataclasses
import datetime
from functools import lru_cache

from django.db.models import Model
from django.utils import timezone

from pec.models import Municipio
from rnds.bundles import bundle_construir
from rnds.mapeamento import MAPEADORES
from rnds.models import ConfiguracaoRNDS
from rnds.pendencias import identificacao_motivos, pendencia_registrar
from rnds.perfis import conjuntos, verificar_bundle
from rnds.registros import Registro, RegistroAtendimento, RegistroVacina

CS = "http://www.saude.gov.br/fhir/r4/CodeSystem/"
# Stand-ins with valid check digits for documents still missing, so the profile walk
# judges the record's content alone (the documents are rnds.pendencias' business).
_CPF_PROVISORIO = "52998224725"
_CNS_PROVISORIO = "898001160660001"


@lru_cache(maxsize=1)
def _sistemas() -> dict[str, frozenset[str]]:
    """Every code system's codes, merged over the profile sets (rnds.perfis' cached data)."""
    sistemas: dict[str, set[str]] = {}
    for conjunto in conjuntos().values():
        for url, codigos in conjunto.sistemas.items():
            sistemas.setdefault(url.removeprefix(CS), set()).update(codigos)
    return {nome: frozenset(codigos) for nome, codigos in sistemas.items()}


def _codigo_valido(sistema: str, codigo: str) -> bool:
    return codigo in _sistemas().get(sistema, frozenset())


def rnds_verificar(registro: Registro, *, agora: datetime.datetime | None = None) -> list[str]:
    """Messages (pt-BR) for what the professional must fix in the record; empty when the
    RNDS should accept it once the documents are there (see rnds.pendencias for those)."""
    agora = agora or timezone.now()
    quem = registro.quem
    erros: list[str] = []
    if not _codigo_valido("BRCBO", quem.profissional_cbo):
        erros.append(f"O CBO {quem.profissional_cbo} da sua lotação não é aceito pela RNDS.")
    if not (quem.cnes.isdigit() and len(quem.cnes) == 7):
        erros.append("O CNES do estabelecimento deve ter 7 dígitos.")
    if isinstance(registro, RegistroAtendimento):
        erros += _atendimento(registro, agora)
    elif isinstance(registro, RegistroVacina):
        erros += _vacina(registro, agora)
    if erros:
        return erros
    # Anything else the profiles forbid, with the element's path (a bug of ours, not theirs).
    bundle = bundle_construir(_com_documentos(registro), solicitante="0")
    return [f"Registro fora do padrão da RNDS: {erro}" for erro in verificar_bundle(bundle)]


def _com_documentos(registro: Registro) -> Registro:
    if not rnds_identificacao(registro):
        return registro
    quem = dataclasses.replace(registro.quem, cidadao_cpf=_CPF_PROVISORIO, profissional_cns=_CNS_PROVISORIO)
    return dataclasses.replace(registro, quem=quem)


def rnds_identificacao(registro: Registro) -> list[str]:
    """Why the RNDS cannot receive the record yet for lack of a document (rnds.pendencias)."""
    quem = registro.quem
    return identificacao_motivos(
        cidadao_cpf=quem.cidadao_cpf, cidadao_cns=quem.cidadao_cns, profissional_cns=quem.profissional_cns
    )


def rnds_verificar_ao_finalizar(*, municipio: Municipio, objeto: Model) -> list[str]:
    """What prontuario's finalise services call (through pec.integracoes), inside their transaction, once the record's
    rows are written: rnds_verificar on the record as the delivery would map it, whose
    messages hold the record. A missing document does not: it is noted as the record's
    pendência, shown to the professional, and the record finalises. Empty when the
    municipality does not send (RNDS not enabled, or training): nothing to protect then,
    and a professional is never held by a rule of a system the record will not reach."""
    if municipio.em_treinamento:
        return []
    if not ConfiguracaoRNDS.objects.filter(municipio_id=municipio.id, habilitado=True).exists():
        return []
    registro = MAPEADORES[objeto._meta.label_lower](objeto)
    erros = rnds_verificar(registro)
    motivos = rnds_identificacao(registro)
    if motivos and not erros:
        pendencia_registrar(municipio_id=municipio.id, objeto=objeto, motivos=motivos)
    return erros


def _atendimento(registro: RegistroAtendimento, agora: datetime.datetime) -> list[str]:
    erros = []
    if not registro.problemas:
        erros.append("Informe ao menos um problema ou condição avaliada (CIAP2 ou CID-10) na Avaliação.")
    for problema in registro.problemas:
        if problema.sistema not in ("CIAP2", "CID10") or not _codigo_valido("BR" + problema.sistema, problema.codigo):
            rotulo = "CID-10" if problema.sistema == "CID10" else problema.sistema
            erros.append(f"O código {rotulo} {problema.codigo} não existe na tabela da RNDS: escolha-o da lista.")
    if not registro.procedimentos:
        erros.append("Informe ao menos um procedimento (SIGTAP) realizado no atendimento.")
    for procedimento in registro.procedimentos:
        if not _codigo_valido("BRTabelaSUS", procedimento.codigo):
            erros.append(f"O procedimento {procedimento.codigo} não existe na tabela SIGTAP da RNDS.")
        if procedimento.quantidade < 1:
            erros.append(f"A quantidade do procedimento {procedimento.codigo} deve ser ao menos 1.")
    if registro.fim < registro.inicio:
        erros.append("O fim do atendimento é anterior ao início.")
    if registro.inicio > agora + datetime.timedelta(minutes=5):
        erros.append("A data do atendimento está no futuro.")
    return erros


def _vacina(registro: RegistroVacina, agora: datetime.datetime) -> list[str]:
    erros = []
    if not _codigo_valido("BRImunobiologico", registro.imunobiologico):
        erros.append(f"O imunobiológico {registro.imunobiologico} não existe na tabela da RNDS.")
    if not _codigo_valido("BRFabricantePNI", registro.fabricante):
        erros.append("Informe o fabricante do lote (tabela de fabricantes do PNI).")
    if not registro.lote.strip():
        erros.append("Informe o lote da vacina.")
    if not _codigo_valido("BRDose", registro.dose):
        erros.append("Informe a dose aplicada (1ª dose, reforço, dose única...).")
    if not _codigo_valido("BREstrategiaVacinacao", registro.estrategia):
        erros.append("Informe a estratégia de vacinação.")
    if registro.aplicada_em > agora + datetime.timedelta(minutes=5):
        erros.append("A data de aplicação não pode estar no futuro.")
    if registro.imunobiologico == "15" and registro.contato_hanseniase is None:
        erros.append("Para a BCG, informe se o cidadão é contato de hanseníase.")
    if registro.estrategia == "2" and not registro.indicacao_cid10:
        erros.append("Na estratégia Especial, informe o CID-10 da indicação.")
    if registro.indicacao_cid10 and not _codigo_valido("BRCID10", registro.indicacao_cid10):
        erros.append(f"O CID-10 {registro.indicacao_cid10} da indicação não existe na tabela da RNDS.")
    if registro.validade_lote and registro.validade_lote < registro.aplicada_em.date():
        erros.append("O lote estava vencido na data de aplicação: confira a validade.")
    return erros
