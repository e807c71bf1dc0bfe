"""The CNES import: one municipality's establishments, teams, professionals and lotações
brought in line with its CNES XML, idempotently and in one transaction.

- Rows are matched by natural key (CNES, INE, CPF, and profissional + estabelecimento +
  equipe + CBO for lotações), compared, and written only when something differs, in bulk:
  re-importing the same file writes nothing.
- What left the file is deactivated, never deleted (history points at it), and comes
  back to life if it reappears.
- A bad record is rejected alone, with its reason; its rows already in the database are
  left as they are, so a typo in CNES does not lock a professional out.
- The whole file is refused (nothing written) if it is not this municipality's, is not
  well-formed, declares a DTD, or is cut short.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import batched
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, models, transaction

import dados
from cnes_import.bulk import inserir
from cnes_import.models import ACOES, TIPOS, ConfiguracaoCnes, ImportacaoCnes
from cnes_import.parser import (
    VERSOES,
    ArquivoCnesInvalido,
    EquipeXml,
    EstabelecimentoXml,
    Identificacao,
    ProfissionalXml,
    ler_cnes,
)
from pec.administracao.selectors import lotacoes_administradoras
from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.documentos import cns_valido, cpf_valido, so_digitos
from pec.identity.contas import contas_vinculadas_registrar
from pec.identity.permissoes import perfis_garantir_padrao, perfis_padrao_para_cbo
from pec.models import Equipe, Estabelecimento, Lotacao, LotacaoPerfil, Municipio, Profissional, Usuario
from pec.tenancy import tenant_context

log = logging.getLogger(__name__)

CNES_RE = re.compile(r"^\d{7}$")
INE_RE = re.compile(r"^\d{10}$")
TIPO_EQUIPE_RE = re.compile(r"^\d{1,4}$")
MICROAREA_RE = re.compile(r"^\d{1,2}$")
LIMITE_EXEMPLOS = 200
LOTE = 2000
# pg_advisory_xact_lock(class, municipio): one import per municipality at a time, so the
# weekly job and an administrator's upload cannot interleave.
_TRAVA = 74_010

Progresso = Callable[[str, int, int], None]
# (CPF, CNES, INE or "", CBO): a lotação as the file names it.
ChaveLotacao = tuple[str, str, str, str]
M = TypeVar("M", bound=models.Model)


@dataclass
class ResultadoImportacao:
    importacao: ImportacaoCnes

    @property
    def ok(self) -> bool:
        return self.importacao.status == ImportacaoCnes.Status.CONCLUIDA

    @property
    def mensagem(self) -> str:
        return self.importacao.mensagem

    @property
    def contagens(self) -> dict[str, dict[str, int]]:
        contagens: dict[str, dict[str, int]] = self.importacao.contagens
        return contagens

    @property
    def rejeicoes(self) -> list[dict[str, str]]:
        rejeicoes: list[dict[str, str]] = self.importacao.rejeicoes
        return rejeicoes


@dataclass
class _Relatorio:
    identificacao: Identificacao | None = None
    contagens: dict[str, dict[str, int]] = field(
        default_factory=lambda: {tipo: dict.fromkeys(ACOES, 0) for tipo in TIPOS} | {"usuarios": {"criados": 0}}
    )
    rejeicoes: list[dict[str, str]] = field(default_factory=list)
    alteracoes: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {tipo: {} for tipo in TIPOS})
    avisos: list[str] = field(default_factory=list)
    # Accounts that existed before and now also work in this municipality (pec.identity.contas).
    vinculados: list[int] = field(default_factory=list)

    def rejeitar(self, tipo: str, registro: str, motivo: str) -> None:
        self.contagens[tipo]["rejeitados"] += 1
        self.rejeicoes.append({"tipo": tipo, "registro": registro, "motivo": motivo})

    def anotar(self, tipo: str, acao: str, descricao: str) -> None:
        self.contagens[tipo][acao] += 1
        exemplos = self.alteracoes[tipo].setdefault(acao, [])
        if len(exemplos) < LIMITE_EXEMPLOS:
            exemplos.append(descricao)


@dataclass
class _Arquivo:
    """The file's accepted records, and the keys of rejected ones whose rows must stay."""

    estabelecimentos: dict[str, EstabelecimentoXml] = field(default_factory=dict)
    equipes: dict[str, EquipeXml] = field(default_factory=dict)
    profissionais: dict[str, ProfissionalXml] = field(default_factory=dict)
    lotacoes: dict[ChaveLotacao, str] = field(default_factory=dict)
    protegidos: dict[str, set[Any]] = field(default_factory=lambda: {tipo: set() for tipo in TIPOS})


class _Simulacao(Exception):
    """Raised at the end of a dry run to roll the savepoint back."""


def cnes_importar(
    *,
    municipio: Municipio,
    arquivo: str | os.PathLike[str],
    dry_run: bool = False,
    resetar_perfis: bool = False,
    ator: Ator | None = None,
    origem: str = ImportacaoCnes.Origem.COMANDO,
    nome_arquivo: str | None = None,
    progresso: Progresso | None = None,
    sha256: str | None = None,
    registro: ImportacaoCnes | None = None,
) -> ResultadoImportacao:
    """Import a CNES XML (or a .zip holding one) into `municipio` and record it in the history.

    A refused file writes nothing but the history entry saying why. `dry_run` computes
    every change, rolls it back and records the simulation. An applied import is also an
    administrative change in the audit trail, as `ator` (None: the system's, for a command or
    the scheduled import).
    `sha256`: the file's, when the caller has just computed it (a state file is large).
    `registro`: the queued row of a page upload, filled with the result instead of a new row.
    """
    ator = ator or Ator.do_sistema(municipio)
    caminho = Path(arquivo)
    inicio = time.monotonic()
    relatorio = _Relatorio()
    status, mensagem = ImportacaoCnes.Status.CONCLUIDA, ""
    sha256 = sha256 or arquivo_sha256(caminho)
    with tenant_context(municipio.id):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_TRAVA, municipio.id])
                conteudo = _ler_arquivo(caminho=caminho, municipio=municipio, relatorio=relatorio, progresso=progresso)
                administradores = lotacoes_administradoras(municipio_id=municipio.id).exists()
                _sincronizar(
                    municipio=municipio,
                    conteudo=conteudo,
                    resetar_perfis=resetar_perfis,
                    relatorio=relatorio,
                    progresso=progresso,
                )
                if administradores and not lotacoes_administradoras(municipio_id=municipio.id).exists():
                    relatorio.avisos.append(
                        "Atenção: depois desta importação nenhuma lotação ativa terá a permissão de administrar "
                        "o município (as lotações dos administradores atuais não estão no arquivo). O administrador "
                        "da instalação poderá atribuir o perfil de administrador a uma das novas lotações."
                    )
                if relatorio.vinculados:
                    relatorio.avisos.append(
                        f"{len(relatorio.vinculados)} profissional(is) do arquivo já tinham conta de acesso na "
                        "instalação e passam a entrar também neste município com ela; o vínculo foi registrado na "
                        "auditoria e avisado ao e-mail confirmado de cada conta."
                    )
                if dry_run:
                    raise _Simulacao
                contas_vinculadas_registrar(municipio=municipio, usuario_ids=relatorio.vinculados, ator=ator)
        except _Simulacao:
            pass
        except ArquivoCnesInvalido as exc:
            status, mensagem = ImportacaoCnes.Status.RECUSADA, str(exc)
            identificacao = relatorio.identificacao
            relatorio = _Relatorio(identificacao=identificacao)
        if status == ImportacaoCnes.Status.CONCLUIDA:
            mensagem = _resumo(relatorio, dry_run=dry_run)
        identificacao = relatorio.identificacao
        campos = {
            "usuario": ator.usuario,
            "origem": origem,
            "arquivo_nome": (nome_arquivo or caminho.name)[:255],
            "arquivo_sha256": sha256,
            "versao": identificacao.versao[:10] if identificacao else "",
            "data_arquivo": identificacao.data[:20] if identificacao else "",
            "simulacao": dry_run,
            "resetar_perfis": resetar_perfis,
            "status": status,
            "mensagem": mensagem,
            "contagens": relatorio.contagens,
            "rejeicoes": relatorio.rejeicoes,
            "alteracoes": relatorio.alteracoes,
            "duracao_segundos": round(time.monotonic() - inicio, 3),
        }
        importacao = _registrar(municipio=municipio, registro=registro, campos=campos)
        if status == ImportacaoCnes.Status.CONCLUIDA and not dry_run:
            audit_event(
                evento="admin_alteracao",
                ator=ator,
                municipio_id=municipio.id,
                o_que=f"Importação do CNES {importacao.arquivo_nome}",
                detalhes={
                    "acao": "importacao_cnes",
                    "importacao_id": importacao.id,
                    "arquivo_sha256": sha256,
                    "resetar_perfis": resetar_perfis,
                    "contagens": relatorio.contagens,
                },
            )
    log.info(
        "CNES import %s municipio=%s file=%s sha256=%s dry_run=%s status=%s counts=%s",
        importacao.id,
        municipio.ibge,
        importacao.arquivo_nome,
        sha256,
        dry_run,
        status,
        relatorio.contagens,
    )
    return ResultadoImportacao(importacao=importacao)


def _registrar(*, municipio: Municipio, registro: ImportacaoCnes | None, campos: dict[str, Any]) -> ImportacaoCnes:
    if registro is None:
        return ImportacaoCnes.objects.create(municipio=municipio, **campos)
    for campo, valor in campos.items():
        setattr(registro, campo, valor)
    registro.save(update_fields=list(campos))
    return registro


def cnes_importar_da_pasta(*, municipio: Municipio) -> ResultadoImportacao | None:
    """The weekly job: import the newest .xml/.zip of the municipality's folder, unless that
    exact file (by SHA-256) was already imported. None when there is nothing to do."""
    with tenant_context(municipio.id):
        configuracao = ConfiguracaoCnes.objects.filter(municipio_id=municipio.id).first()
        if configuracao is None:
            return None
        arquivo = arquivo_mais_recente(pasta=Path(configuracao.pasta))
        if arquivo is None:
            log.warning("CNES folder %s of municipio %s has no .xml or .zip file", configuracao.pasta, municipio.ibge)
            return None
        sha256 = arquivo_sha256(arquivo)
        ja_importado = ImportacaoCnes.objects.filter(
            municipio_id=municipio.id, arquivo_sha256=sha256, status=ImportacaoCnes.Status.CONCLUIDA, simulacao=False
        ).exists()
    if ja_importado:
        log.info("CNES file %s of municipio %s already imported; skipped", arquivo, municipio.ibge)
        return None
    return cnes_importar(
        municipio=municipio,
        arquivo=arquivo,
        origem=ImportacaoCnes.Origem.AGENDADA,
        sha256=sha256,
        ator=Ator.do_sistema(municipio),
    )


def arquivo_mais_recente(*, pasta: Path) -> Path | None:
    if not pasta.is_dir():
        return None
    candidatos = [p for p in pasta.iterdir() if p.is_file() and p.suffix.lower() in (".xml", ".zip")]
    return max(candidatos, key=lambda p: (p.stat().st_mtime, p.name), default=None)


def cnes_pasta_definir(*, municipio: Municipio, pasta: str | None) -> ConfiguracaoCnes | None:
    """Set (or, with None, remove) the folder of the weekly import."""
    with tenant_context(municipio.id):
        if pasta is None:
            ConfiguracaoCnes.objects.filter(municipio_id=municipio.id).delete()
            return None
        configuracao, _ = ConfiguracaoCnes.objects.update_or_create(
            municipio_id=municipio.id, defaults={"pasta": pasta}
        )
        return configuracao


def arquivo_sha256(caminho: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(caminho, "rb") as arquivo:
        for bloco in iter(lambda: arquivo.read(1024 * 1024), b""):
            digest.update(bloco)
    return digest.hexdigest()


def _resumo(relatorio: _Relatorio, *, dry_run: bool) -> str:
    partes = []
    for tipo, rotulo in (
        ("estabelecimentos", "estabelecimentos"),
        ("equipes", "equipes"),
        ("profissionais", "profissionais"),
        ("lotacoes", "lotações"),
    ):
        c = relatorio.contagens[tipo]
        partes.append(
            f"{rotulo}: {c['criados']} novos, {c['atualizados']} atualizados, "
            f"{c['desativados']} desativados, {c['rejeitados']} rejeitados"
        )
    prefixo = "Simulação (nada foi gravado)" if dry_run else "Importação concluída"
    return " ".join([f"{prefixo}. " + "; ".join(partes) + ".", *relatorio.avisos])


# --- Uploads waiting for "Aplicar" -------------------------------------------------------
# The previewed file stays on the server (named by a random token kept in the session), so
# "Aplicar" imports exactly the bytes that were previewed without a second upload.
ENVIO_VALIDADE_SEGUNDOS = 24 * 3600
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _pasta_envios() -> Path:
    return Path(getattr(settings, "CNES_ENVIOS_DIR", settings.VAR_DIR / "cnes_envios"))


def envio_guardar(*, arquivo: UploadedFile[bytes]) -> str:
    """Store an upload until it is applied or discarded; return its token."""
    pasta = _pasta_envios()
    pasta.mkdir(parents=True, exist_ok=True, mode=0o700)
    limite = time.time() - ENVIO_VALIDADE_SEGUNDOS
    for antigo in pasta.iterdir():
        if _TOKEN_RE.match(antigo.name) and antigo.stat().st_mtime < limite:
            antigo.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    with open(pasta / token, "xb") as destino:
        for bloco in arquivo.chunks():
            destino.write(bloco)
    return token


def envio_caminho(*, token: str) -> Path | None:
    if not _TOKEN_RE.match(token or ""):
        return None
    caminho = _pasta_envios() / token
    return caminho if caminho.is_file() else None


def envio_descartar(*, token: str) -> None:
    caminho = envio_caminho(token=token)
    if caminho is not None:
        caminho.unlink(missing_ok=True)


# --- Reading and validating ---------------------------------------------------------------


def _ler_arquivo(
    *, caminho: Path, municipio: Municipio, relatorio: _Relatorio, progresso: Progresso | None
) -> _Arquivo:
    leitura = (lambda feito, total: progresso("leitura", feito, total)) if progresso else None
    registros = ler_cnes(caminho, progresso=leitura)
    identificacao = next(registros, None)
    if not isinstance(identificacao, Identificacao):
        raise ArquivoCnesInvalido("O arquivo não tem o cabeçalho IDENTIFICACAO (município e versão).")
    relatorio.identificacao = identificacao
    _conferir_identificacao(identificacao, municipio)
    conteudo = _Arquivo()
    for registro in registros:
        if isinstance(registro, EstabelecimentoXml):
            _aceitar_estabelecimento(registro, conteudo, relatorio)
        elif isinstance(registro, ProfissionalXml):
            _aceitar_profissional(registro, conteudo, relatorio)
    if not conteudo.estabelecimentos and not conteudo.profissionais:
        # An empty export would deactivate the whole municipality: never what was meant.
        raise ArquivoCnesInvalido(
            "O arquivo não contém estabelecimentos nem profissionais válidos. Nada foi importado."
        )
    _aceitar_lotacoes(conteudo, relatorio)
    return conteudo


def _conferir_identificacao(identificacao: Identificacao, municipio: Municipio) -> None:
    ibge = identificacao.ibge
    # CNES writes 7 digits; a 6-digit code (without the check digit) is the same municipality.
    if not (ibge == municipio.ibge or (len(ibge) == 6 and municipio.ibge.startswith(ibge))):
        raise ArquivoCnesInvalido(
            f"Este arquivo é do município de código IBGE {ibge or '(vazio)'}, não de {municipio.nome} "
            f"({municipio.ibge}). Nada foi importado."
        )
    if identificacao.versao not in VERSOES:
        raise ArquivoCnesInvalido(
            f"Versão do XML do CNES não suportada: {identificacao.versao or '(vazia)'} (aceitas: {', '.join(VERSOES)})."
        )


def _aceitar_estabelecimento(est: EstabelecimentoXml, conteudo: _Arquivo, relatorio: _Relatorio) -> None:
    registro = f"CNES {est.cnes} {est.nome}".strip()
    motivo = ""
    if not CNES_RE.match(est.cnes):
        motivo = "CNES inválido (deve ter 7 dígitos)"
    elif est.cnes in conteudo.estabelecimentos:
        motivo = "CNES repetido no arquivo"
    elif not est.nome:
        motivo = "nome do estabelecimento (NM_FANTA) vazio"
    if motivo:
        relatorio.rejeitar("estabelecimentos", registro, motivo)
        if CNES_RE.match(est.cnes) and est.cnes not in conteudo.estabelecimentos:
            conteudo.protegidos["estabelecimentos"].add(est.cnes)
            for equipe in est.equipes:
                relatorio.rejeitar(
                    "equipes", f"INE {equipe.ine} {equipe.nome}", f"estabelecimento {est.cnes} rejeitado"
                )
                conteudo.protegidos["equipes"].add(equipe.ine)
        return
    conteudo.estabelecimentos[est.cnes] = est
    for equipe in est.equipes:
        _aceitar_equipe(equipe, conteudo, relatorio)


def _aceitar_equipe(equipe: EquipeXml, conteudo: _Arquivo, relatorio: _Relatorio) -> None:
    registro = f"INE {equipe.ine} {equipe.nome}".strip()
    if not INE_RE.match(equipe.ine):
        relatorio.rejeitar("equipes", registro, "INE inválido (deve ter 10 dígitos)")
        return
    if not TIPO_EQUIPE_RE.match(equipe.tipo_codigo):
        relatorio.rejeitar("equipes", registro, f"tipo de equipe (TP_EQUIPE) inválido: {equipe.tipo_codigo!r}")
        conteudo.protegidos["equipes"].add(equipe.ine)
        return
    anterior = conteudo.equipes.get(equipe.ine)
    # An eMulti may be listed under several UBS; one establishment must own it. The lowest
    # CNES wins, so the choice does not depend on the order of the file (2.1 and 3.0 differ).
    if anterior is None or equipe.cnes < anterior.cnes:
        conteudo.equipes[equipe.ine] = equipe


def _aceitar_profissional(prof: ProfissionalXml, conteudo: _Arquivo, relatorio: _Relatorio) -> None:
    registro = f"CPF {prof.cpf} {prof.nome}".strip()
    if not cpf_valido(prof.cpf):
        relatorio.rejeitar("profissionais", registro, "CPF inválido")
        return
    motivo = ""
    if prof.cns and not cns_valido(prof.cns):
        motivo = "CNS inválido"
    elif not prof.nome:
        motivo = "nome do profissional (NM_PROF) vazio"
    if motivo:
        relatorio.rejeitar("profissionais", registro, motivo)
        conteudo.protegidos["profissionais"].add(prof.cpf)
        return
    anterior = conteudo.profissionais.get(prof.cpf)
    if anterior is not None:
        # The same person listed twice: one professional with the lotações of both.
        anterior.lotacoes.extend(prof.lotacoes)
        return
    conteudo.profissionais[prof.cpf] = prof


def _aceitar_lotacoes(conteudo: _Arquivo, relatorio: _Relatorio) -> None:
    cbos = dados.cbos()
    protegidos = conteudo.protegidos
    for prof in conteudo.profissionais.values():
        for lot in prof.lotacoes:
            chave = (prof.cpf, lot.cnes, lot.ine, lot.cbo)
            registro = f"CPF {prof.cpf} {prof.nome} · CNES {lot.cnes} · INE {lot.ine or '-'} · CBO {lot.cbo}"
            motivo = ""
            if lot.cnes not in conteudo.estabelecimentos:
                motivo = (
                    f"estabelecimento {lot.cnes} rejeitado"
                    if lot.cnes in protegidos["estabelecimentos"]
                    else f"estabelecimento {lot.cnes or '(vazio)'} não está no arquivo"
                )
            elif lot.ine and lot.ine not in conteudo.equipes:
                motivo = (
                    f"equipe {lot.ine} rejeitada"
                    if lot.ine in protegidos["equipes"]
                    else f"equipe INE {lot.ine} não está no arquivo"
                )
            elif lot.cbo not in cbos:
                motivo = f"CBO {lot.cbo or '(vazio)'} desconhecido"
            elif lot.microarea and not MICROAREA_RE.match(lot.microarea):
                motivo = f"microárea inválida: {lot.microarea!r}"
            if motivo:
                relatorio.rejeitar("lotacoes", registro, motivo)
                protegidos["lotacoes"].add(chave)
                continue
            conteudo.lotacoes[chave] = lot.microarea.zfill(2) if lot.microarea else ""


# --- Writing -------------------------------------------------------------------------------


def _sincronizar(
    *,
    municipio: Municipio,
    conteudo: _Arquivo,
    resetar_perfis: bool,
    relatorio: _Relatorio,
    progresso: Progresso | None,
) -> None:
    def etapa(nome: str) -> None:
        if progresso:
            progresso(nome, 0, 0)

    etapa("estabelecimentos")
    est_ids, est_rotulos = _sincronizar_tabela(
        modelo=Estabelecimento,
        campos=CAMPOS_ESTABELECIMENTO,
        tipo="estabelecimentos",
        chave="cnes",
        municipio_id=municipio.id,
        desejados={cnes: _valores_estabelecimento(est) for cnes, est in conteudo.estabelecimentos.items()},
        protegidos=conteudo.protegidos["estabelecimentos"],
        relatorio=relatorio,
        rotulo=lambda cnes, valores: f"{valores['nome']} ({cnes})",
    )
    etapa("equipes")
    est_por_cnes = {cnes: est_ids[cnes] for cnes in conteudo.estabelecimentos}
    eq_ids, eq_rotulos = _sincronizar_tabela(
        modelo=Equipe,
        campos=CAMPOS_EQUIPE,
        tipo="equipes",
        chave="ine",
        municipio_id=municipio.id,
        desejados={ine: _valores_equipe(eq, est_por_cnes) for ine, eq in conteudo.equipes.items()},
        protegidos=conteudo.protegidos["equipes"],
        relatorio=relatorio,
        rotulo=lambda ine, valores: f"{valores['nome']} (INE {ine})",
    )
    etapa("usuarios")
    ja_no_municipio = set(Profissional.objects.filter(municipio_id=municipio.id).values_list("cpf", flat=True))
    usuario_ids, criados = _garantir_usuarios(conteudo.profissionais, relatorio)
    relatorio.vinculados = sorted(
        usuario_ids[cpf] for cpf in conteudo.profissionais if cpf not in criados and cpf not in ja_no_municipio
    )
    etapa("profissionais")
    prof_ids, prof_rotulos = _sincronizar_tabela(
        modelo=Profissional,
        campos=CAMPOS_PROFISSIONAL,
        tipo="profissionais",
        chave="cpf",
        municipio_id=municipio.id,
        desejados={cpf: _valores_profissional(prof, usuario_ids[cpf]) for cpf, prof in conteudo.profissionais.items()},
        protegidos=conteudo.protegidos["profissionais"],
        relatorio=relatorio,
        rotulo=lambda cpf, valores: f"{valores['nome']} (CPF {cpf})",
        # The CNS and council the administrator entered where the file had none.
        mantidos_se_vazios=("cns", "conselho", "registro_conselho", "uf_conselho"),
    )
    etapa("lotacoes")
    _sincronizar_lotacoes(
        municipio_id=municipio.id,
        conteudo=conteudo,
        est_ids=est_ids,
        eq_ids=eq_ids,
        prof_ids=prof_ids,
        rotulos=(prof_rotulos, est_rotulos, eq_rotulos),
        resetar_perfis=resetar_perfis,
        relatorio=relatorio,
        progresso=progresso,
    )


# The columns the file decides, per table (keys of the _valores_* dicts).
CAMPOS_ESTABELECIMENTO = ["nome", "tipo", "cnpj", "logradouro", "numero", "bairro", "cep", "telefone", "ativo"]
CAMPOS_EQUIPE = ["nome", "tipo_codigo", "tipo_nome", "area", "estabelecimento_id", "ativo"]
CAMPOS_PROFISSIONAL = [
    "usuario_id",
    "cns",
    "nome",
    "conselho",
    "registro_conselho",
    "uf_conselho",
    "email",
    "telefone",
    "ativo",
]


def _cortar(modelo: type[models.Model], valores: dict[str, Any]) -> dict[str, Any]:
    """Fit strings to their columns: one overlong name must not fail the whole import."""
    limites = _limites(modelo)
    for campo, valor in valores.items():
        limite = limites.get(campo)
        if limite and isinstance(valor, str) and len(valor) > limite:
            valores[campo] = valor[:limite]
    return valores


@cache
def _limites(modelo: type[models.Model]) -> dict[str, int]:
    return {f.attname: f.max_length for f in modelo._meta.concrete_fields if getattr(f, "max_length", None)}  # type: ignore[misc]  # filtered to fields with a max_length


def _valores_estabelecimento(est: EstabelecimentoXml) -> dict[str, Any]:
    return _cortar(
        Estabelecimento,
        {
            "nome": est.nome,
            "tipo": est.tipo,
            "cnpj": so_digitos(est.cnpj),
            "logradouro": est.logradouro,
            "numero": est.numero,
            "bairro": est.bairro,
            "cep": so_digitos(est.cep),
            "telefone": est.telefone,
            "ativo": True,
        },
    )


def _valores_equipe(eq: EquipeXml, est_por_cnes: dict[str, int]) -> dict[str, Any]:
    return _cortar(
        Equipe,
        {
            "nome": eq.nome or f"Equipe {eq.ine}",
            "tipo_codigo": eq.tipo_codigo,
            "tipo_nome": eq.tipo_nome,
            "area": eq.area,
            "estabelecimento_id": est_por_cnes[eq.cnes],
            "ativo": not eq.desativada,
        },
    )


def _email_ou_vazio(valor: str) -> str:
    if not valor:  # the usual case (CNES masks e-mails); skip the exception path
        return ""
    try:
        validate_email(valor)
    except ValidationError:
        return ""
    return valor


def _valores_profissional(prof: ProfissionalXml, usuario_id: int) -> dict[str, Any]:
    return _cortar(
        Profissional,
        {
            "usuario_id": usuario_id,
            "cns": prof.cns,
            "nome": prof.nome,
            "conselho": prof.conselho,
            "registro_conselho": prof.registro,
            "uf_conselho": prof.uf_conselho,
            "email": _email_ou_vazio(prof.email),
            "telefone": prof.telefone,
            "ativo": True,
        },
    )


def _sincronizar_tabela[M: models.Model](
    *,
    modelo: type[M],
    tipo: str,
    chave: str,
    campos: list[str],
    municipio_id: int,
    desejados: dict[str, dict[str, Any]],
    protegidos: set[str],
    relatorio: _Relatorio,
    rotulo: Callable[[str, dict[str, Any]], str],
    mantidos_se_vazios: tuple[str, ...] = (),
) -> tuple[dict[str, int], dict[int, str]]:
    """Create, update, deactivate one table by natural key; return key -> id and id -> label
    for every row of the municipality (also those not in the file).

    `campos` are the keys of each desired dict ("nome" and "ativo" among them); a field of
    `mantidos_se_vazios` that the file leaves empty keeps the value stored (entered by the
    administrator where the CNES lacked it).
    """
    existentes = {
        linha[chave]: linha
        for linha in modelo.objects.filter(municipio_id=municipio_id).values("id", chave, *campos)  # type: ignore[attr-defined]
    }
    # Keys only: model instances are built one batch at a time, so tens of thousands of
    # new rows never sit in memory together.
    novos: list[str] = []
    alterados: list[M] = []
    for valor_chave, valores in desejados.items():
        linha = existentes.get(valor_chave)
        if linha is None:
            novos.append(valor_chave)
            relatorio.anotar(tipo, "criados", rotulo(valor_chave, valores))
            continue
        for campo in mantidos_se_vazios:
            if not valores[campo] and linha[campo]:
                valores[campo] = linha[campo]
        mudancas = [campo for campo, valor in valores.items() if linha[campo] != valor]
        if not mudancas:
            continue
        alterados.append(modelo(id=linha["id"], municipio_id=municipio_id, **{chave: valor_chave}, **valores))
        if linha["ativo"] and not valores["ativo"]:
            relatorio.anotar(tipo, "desativados", rotulo(valor_chave, valores))
        else:
            relatorio.anotar(tipo, "atualizados", f"{rotulo(valor_chave, valores)}: {', '.join(mudancas)}")
    saindo = []
    for valor_chave, linha in existentes.items():
        if linha["ativo"] and valor_chave not in desejados and valor_chave not in protegidos:
            saindo.append(linha["id"])
            relatorio.anotar(tipo, "desativados", rotulo(valor_chave, linha))
    ids = {valor_chave: linha["id"] for valor_chave, linha in existentes.items()}
    rotulos = {linha["id"]: rotulo(valor_chave, linha) for valor_chave, linha in existentes.items()}
    for lote in batched(novos, LOTE):
        criados = inserir(modelo, ({"municipio_id": municipio_id, chave: k, **desejados[k]} for k in lote))
        for valor_chave, novo_id in zip(lote, criados, strict=True):
            ids[valor_chave] = novo_id
            rotulos[novo_id] = rotulo(valor_chave, desejados[valor_chave])
    if alterados:
        modelo.objects.bulk_update(alterados, campos, batch_size=500)  # type: ignore[attr-defined]
    for lote in batched(saindo, 10_000):
        modelo.objects.filter(id__in=lote).update(ativo=False)  # type: ignore[attr-defined]
    return ids, rotulos


def _garantir_usuarios(
    profissionais: dict[str, ProfissionalXml], relatorio: _Relatorio
) -> tuple[dict[str, int], set[str]]:
    """The installation-level account of each CPF, created when missing; and the CPFs
    whose account this import created.

    The file is uploaded by a municipal administrator, so it never decides how an account
    is recovered: new accounts get no e-mail (the file's stays on the Profissional, the
    municipality's own contact) and no usable password; existing accounts are never
    changed (see pec.identity.contas). The person enters with gov.br or through an address the
    installation administrator sets, and then verifies their own.
    """
    cpfs = list(profissionais)
    ids = _usuarios_por_cpf(cpfs)
    faltando = [cpf for cpf in cpfs if cpf not in ids]
    limite_nome = Usuario._meta.get_field("nome").max_length
    for lote in batched(faltando, LOTE):
        # ignorar_conflitos: another municipality's import may create the same person now.
        inserir(
            Usuario,
            (
                {
                    "cpf": cpf,
                    "nome": profissionais[cpf].nome[:limite_nome],
                    "email": "",
                    # What set_unusable_password() stores, without drawing 40 random
                    # characters one by one for each of tens of thousands of accounts.
                    "password": UNUSABLE_PASSWORD_PREFIX + os.urandom(20).hex(),
                }
                for cpf in lote
            ),
            ignorar_conflitos=True,
        )
    ids.update(_usuarios_por_cpf(faltando))
    relatorio.contagens["usuarios"]["criados"] += len(faltando)
    return ids, set(faltando)


def _usuarios_por_cpf(cpfs: list[str]) -> dict[str, int]:
    """One query with an array parameter: an IN list of tens of thousands of placeholders
    costs more to build and parse than the lookup itself."""
    if not cpfs:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cpf, id FROM {Usuario._meta.db_table} WHERE cpf = ANY(%s)", [cpfs])
        return dict(cursor.fetchall())


def _sincronizar_lotacoes(
    *,
    municipio_id: int,
    conteudo: _Arquivo,
    est_ids: dict[str, int],
    eq_ids: dict[str, int],
    prof_ids: dict[str, int],
    rotulos: tuple[dict[int, str], dict[int, str], dict[int, str]],
    resetar_perfis: bool,
    relatorio: _Relatorio,
    progresso: Progresso | None,
) -> None:
    prof_rotulos, est_rotulos, eq_rotulos = rotulos
    usuario_de = dict(Profissional.objects.filter(municipio_id=municipio_id).values_list("id", "usuario_id"))
    perfis = perfis_garantir_padrao(municipio_id=municipio_id)
    perfis_do_cbo: dict[str, frozenset[int]] = {}

    def padrao(cbo: str) -> frozenset[int]:
        if cbo not in perfis_do_cbo:
            perfis_do_cbo[cbo] = frozenset(perfis[codigo].id for codigo in perfis_padrao_para_cbo(cbo))
        return perfis_do_cbo[cbo]

    def rotulo(prof_id: int, est_id: int, eq_id: int | None, cbo: str) -> str:
        equipe = f" · {eq_rotulos.get(eq_id, eq_id)}" if eq_id else ""
        return f"{prof_rotulos.get(prof_id, prof_id)} · CBO {cbo} · {est_rotulos.get(est_id, est_id)}{equipe}"

    def ids_da_chave(chave: ChaveLotacao) -> tuple[int, int, int | None, str] | None:
        cpf, cnes, ine, cbo = chave
        if cpf not in prof_ids or cnes not in est_ids or (ine and ine not in eq_ids):
            return None
        return (prof_ids[cpf], est_ids[cnes], eq_ids[ine] if ine else None, cbo)

    desejadas: dict[tuple[int, int, int | None, str], str] = {}
    for chave, microarea in conteudo.lotacoes.items():
        ids = ids_da_chave(chave)
        assert ids is not None, chave  # accepted lotações point at accepted rows
        desejadas[ids] = microarea
    protegidas = {ids for chave in conteudo.protegidos["lotacoes"] if (ids := ids_da_chave(chave))}
    profs_protegidos = {prof_ids[cpf] for cpf in conteudo.protegidos["profissionais"] if cpf in prof_ids}

    existentes: dict[tuple[int, int, int | None, str], tuple[int, str, bool, bool, int | None]] = {
        (prof, est, eq, cbo): (lot_id, microarea, ativo, editados, usuario_id)
        for lot_id, prof, est, eq, cbo, microarea, ativo, editados, usuario_id in Lotacao.objects.filter(
            municipio_id=municipio_id
        ).values_list(
            "id",
            "profissional_id",
            "estabelecimento_id",
            "equipe_id",
            "cbo",
            "microarea",
            "ativo",
            "perfis_editados",
            "usuario_id",
        )
    }
    perfis_atuais: dict[int, set[int]] = defaultdict(set)
    for lot_id, perfil_id in LotacaoPerfil.objects.filter(municipio_id=municipio_id).values_list(
        "lotacao_id", "perfil_id"
    ):
        perfis_atuais[lot_id].add(perfil_id)

    novas: list[tuple[int, int, int | None, str]] = []
    alteradas: list[Lotacao] = []
    refazer_perfis: dict[int, frozenset[int]] = {}
    for ids, microarea in desejadas.items():
        prof_id, _est_id, _eq_id, cbo = ids
        atual = existentes.get(ids)
        if atual is None:
            novas.append(ids)
            relatorio.anotar("lotacoes", "criados", rotulo(*ids))
            continue
        lot_id, microarea_atual, ativo, editados, usuario_id = atual
        mudancas = []
        if microarea_atual != microarea:
            mudancas.append("microárea")
        if not ativo:
            mudancas.append("reativada")
        if usuario_id != usuario_de[prof_id]:
            mudancas.append("usuário")
        if editados and resetar_perfis:
            mudancas.append("perfis redefinidos")
        if (not editados or resetar_perfis) and perfis_atuais.get(lot_id, set()) != padrao(cbo):
            refazer_perfis[lot_id] = padrao(cbo)
            if "perfis redefinidos" not in mudancas:
                mudancas.append("perfis")
        if not mudancas:
            continue
        alteradas.append(
            Lotacao(
                id=lot_id,
                municipio_id=municipio_id,
                microarea=microarea,
                ativo=True,
                usuario_id=usuario_de[prof_id],
                perfis_editados=editados and not resetar_perfis,
            )
        )
        relatorio.anotar("lotacoes", "atualizados", f"{rotulo(*ids)}: {', '.join(mudancas)}")

    saindo = []
    for ids, (lot_id, _, ativo, _, _) in existentes.items():
        if ativo and ids not in desejadas and ids not in protegidas and ids[0] not in profs_protegidos:
            saindo.append(lot_id)
            relatorio.anotar("lotacoes", "desativados", rotulo(*ids))

    total = len(novas)
    for feito, lote in enumerate(batched(novas, LOTE), start=1):
        criadas = inserir(
            Lotacao,
            (
                {
                    "municipio_id": municipio_id,
                    "profissional_id": ids[0],
                    "usuario_id": usuario_de[ids[0]],
                    "estabelecimento_id": ids[1],
                    "equipe_id": ids[2],
                    "cbo": ids[3],
                    "microarea": desejadas[ids],
                    "ativo": True,
                    "perfis_editados": False,
                }
                for ids in lote
            ),
        )
        inserir(
            LotacaoPerfil,
            (
                {"municipio_id": municipio_id, "lotacao_id": lot_id, "perfil_id": perfil_id}
                for ids, lot_id in zip(lote, criadas, strict=True)
                for perfil_id in padrao(ids[3])
            ),
        )
        if progresso:
            progresso("lotacoes", min(feito * LOTE, total), total)
    if alteradas:
        Lotacao.objects.bulk_update(alteradas, ["microarea", "ativo", "usuario_id", "perfis_editados"], batch_size=500)
    for refazer in batched(list(refazer_perfis), 10_000):
        LotacaoPerfil.objects.filter(lotacao_id__in=refazer).delete()
        for parte in batched(
            (
                {"municipio_id": municipio_id, "lotacao_id": lot_id, "perfil_id": perfil_id}
                for lot_id in refazer
                for perfil_id in refazer_perfis[lot_id]
            ),
            LOTE,
        ):
            inserir(LotacaoPerfil, parte)
    for desativar in batched(saindo, 10_000):
        Lotacao.objects.filter(id__in=desativar).update(ativo=False)
