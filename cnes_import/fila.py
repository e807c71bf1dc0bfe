"""CNES files sent on the page, imported out of the request: a state-sized file takes
seconds to minutes, too long to hold a web worker.

The request stores the file and writes its history row queued (`importacao_enfileirar`);
after the commit a Celery worker runs the preview or the apply and fills that same row
(`importacao_processar`), whose page refreshes itself until then. The row carries the
request's audit data, so an applied import is audited with the administrator's IP and
request id as when it ran in the request. A broker that is down marks the row failed
with a message for the page and never turns the upload into a 500.
"""

from __future__ import annotations

import functools

from cnes_import.models import ImportacaoCnes
from cnes_import.services import arquivo_sha256, cnes_importar, envio_caminho, envio_descartar
from pec.ator import Ator
from pec.outbox import apos_commit_enfileirar
from pec.tenancy import tenant_context

FILA_INDISPONIVEL = "A fila de tarefas está indisponível: envie o arquivo de novo."
PREVIA_INDISPONIVEL = "Esta prévia não está mais disponível. Envie o arquivo novamente."
ERRO_INTERNO = "A importação não terminou por um erro interno. Confira o histórico e envie o arquivo de novo."


def importacao_enfileirar(
    *, ator: Ator, token: str, nome_arquivo: str, simulacao: bool, resetar_perfis: bool, sha256: str = ""
) -> ImportacaoCnes:
    """The queued row of a stored upload (`token`, cnes_import.services.envio_guardar), its
    import queued after the commit. `sha256`: for an apply, the previewed file's, which the
    worker checks the stored bytes against. Inside the actor's tenant context."""
    importacao = ImportacaoCnes.objects.create(
        municipio_id=ator.municipio_id,
        usuario=ator.usuario,
        origem=ImportacaoCnes.Origem.WEB,
        arquivo_nome=nome_arquivo[:255],
        arquivo_sha256=sha256,
        simulacao=simulacao,
        resetar_perfis=resetar_perfis,
        status=ImportacaoCnes.Status.NA_FILA,
        token=token,
        requisicao=ator.dados(),
    )
    from cnes_import.tasks import cnes_importacao_processar

    apos_commit_enfileirar(
        cnes_importacao_processar,
        em_falha=functools.partial(_falhar, importacao, FILA_INDISPONIVEL),
        municipio_id=importacao.municipio_id,
        importacao_id=importacao.id,
    )
    return importacao


def importacao_processar(*, municipio_id: int, importacao_id: int) -> ImportacaoCnes | None:
    """The worker's half of importacao_enfileirar. An apply is one transaction (as
    cnes_importar always is): a redelivered task after a killed worker imports again."""
    with tenant_context(municipio_id):
        importacao = ImportacaoCnes.objects.select_related("municipio", "usuario").filter(id=importacao_id).first()
        if importacao is None or not importacao.em_curso:
            return importacao
        importacao.status = ImportacaoCnes.Status.EM_ANDAMENTO
        importacao.save(update_fields=["status"])
        ator = Ator.carregar(importacao.requisicao, municipio_id=municipio_id)
    caminho = envio_caminho(token=importacao.token)
    sha256 = arquivo_sha256(caminho) if caminho is not None else ""
    # The bytes applied must be the bytes previewed.
    if caminho is None or (not importacao.simulacao and sha256 != importacao.arquivo_sha256):
        return _falhar(importacao, PREVIA_INDISPONIVEL)
    try:
        resultado = cnes_importar(
            municipio=importacao.municipio,
            arquivo=caminho,
            dry_run=importacao.simulacao,
            resetar_perfis=importacao.resetar_perfis,
            ator=ator.com_usuario(importacao.usuario),
            origem=importacao.origem,
            nome_arquivo=importacao.arquivo_nome,
            sha256=sha256,
            registro=importacao,
        )
    except Exception:
        _falhar(importacao, ERRO_INTERNO)
        raise
    if not (importacao.simulacao and resultado.ok):  # only a good preview waits for "Aplicar"
        envio_descartar(token=importacao.token)
    return resultado.importacao


def _falhar(importacao: ImportacaoCnes, mensagem: str) -> ImportacaoCnes:
    with tenant_context(importacao.municipio_id):
        importacao.status, importacao.mensagem = ImportacaoCnes.Status.FALHOU, mensagem
        importacao.save(update_fields=["status", "mensagem"])
    envio_descartar(token=importacao.token)
    return importacao
