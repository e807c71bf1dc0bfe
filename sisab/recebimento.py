"""Receiving LEDI fichas: the PEC-compatible API and the import of lotes (zip).

This makes the installation usable as a municipal or state centralizer: local servers
and third-party systems send `.esus` (Thrift) or XML fichas, each kept as it arrived,
decoded, and linked to the installation that typed it. What a ficha says also goes into
the municipality's records where its tipo has them (sisab.inclusao: doses, cadastros).

A ficha is held to what we hold our own to before sending (sisab.regras: the XSD, then
the LEDI rules), whether it came as XML or `.esus`: a centralizer discards a whole file
for one bad field, so a ficha we would have to forward broken is refused here, with the
rule broken, while its sender can still fix it. The envelope's own limits (CNES, INE,
uuid) are checked first, so a value too long for the database never reaches it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
import secrets
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, connection, transaction

from pec.models import Municipio, Usuario
from pec.outbox import apos_commit_enfileirar
from pec.tenancy import tenant_context
from sisab import ledi, regras
from sisab.inclusao import ficha_incluir
from sisab.models import CredencialRecebimento, FichaRecebida, LoteRecebido

logger = logging.getLogger(__name__)

MAX_FICHA_BYTES = 5 * 1024 * 1024
# camada-transporte: a canonical UUID, which may carry the CNES and a hyphen in front (44).
_UUID = r"(\d{7}-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_RE = re.compile(_UUID)
_NOME_ARQUIVO = re.compile(_UUID + r"\.esus(\.xml)?")
# The ficha's own uuid and the fichas it points to.
_UUIDS_DA_FICHA = ("uuid", "uuidFicha", "uuidFichaOriginadora", "uuidFichaCancelada")
# Cuidado Compartilhado has no headerTransport (its lotação is a LotacaoThrift): the XSD only.
_SEM_CABECALHO = {16}
MAX_LOTE_ENTRADAS = 200_000
LOTE_MAX_BYTES = 50 * 1024 * 1024  # a lote uploaded on the page (nginx's client_max_body_size too)
# Reading one member of a zip: CRC mismatch, encrypted, unknown compression, corrupt or
# truncated deflate stream. The member is refused; the rest of the lote goes on.
_ERROS_DE_ZIP = (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError)


def credencial_emitir(
    *, municipio_id: int, nome: str, responsavel: str, documento: str, email: str, por: Usuario
) -> tuple[CredencialRecebimento, str]:
    """Create a credential; the password is returned once and never stored in clear."""
    senha = secrets.token_urlsafe(18)
    credencial = CredencialRecebimento.objects.create(
        municipio_id=municipio_id,
        nome=nome,
        responsavel=responsavel,
        documento=documento,
        email=email,
        usuario=f"ledi-{secrets.token_hex(6)}",
        senha_hash=make_password(senha),
        criado_por=por,
    )
    return credencial, senha


def credencial_autenticar(*, usuario: str, senha: str) -> CredencialRecebimento | None:
    """The active credential for this login, or None. Runs before any tenant is known:
    the `app.credencial` setting makes exactly this one row readable (see the migration)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.credencial', %s, true)", [usuario])
        credencial = CredencialRecebimento.objects.filter(usuario=usuario).select_related("municipio").first()
        cursor.execute("SELECT set_config('app.credencial', '', true)")
    if credencial is None:
        # Hash anyway: an unknown login answers as slowly as a wrong password, so timing
        # does not tell which logins exist.
        make_password(senha)
        return None
    if not check_password(senha, credencial.senha_hash):
        return None
    return credencial


def _decodificar(conteudo: bytes) -> tuple[ledi.DadoTransporte, str]:
    if conteudo.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return ledi.de_xml(conteudo), FichaRecebida.Formato.XML
    return ledi.de_esus(conteudo), FichaRecebida.Formato.THRIFT


def _envelope_erros(dado: ledi.DadoTransporte) -> list[str]:
    erros = []
    if not _UUID_RE.fullmatch(dado.uuid):
        erros.append(
            f"uuidDadoSerializado “{dado.uuid[:60]}” não é um UUID canônico (opcionalmente precedido "
            "do CNES e de um hífen)."
        )
    if not re.fullmatch(r"\d{7}", dado.cnes):
        erros.append(f"cnesDadoSerializado “{dado.cnes[:20]}” deve ter 7 dígitos.")
    if dado.ine and not re.fullmatch(r"\d{10}", dado.ine):
        erros.append(f"ineDadoSerializado “{dado.ine[:20]}” deve ter 10 dígitos.")
    for chave in _UUIDS_DA_FICHA:
        valor = dado.ficha.get(chave)
        if valor is not None and not _UUID_RE.fullmatch(str(valor)):
            erros.append(f"{chave} “{str(valor)[:60]}” não é um UUID canônico.")
    return erros


def ficha_recebida_erros(*, dado: ledi.DadoTransporte, formato: str) -> list[str]:
    """The envelope's limits, the XSD (an XML file was checked as it was parsed) and the
    same LEDI rules as on export; [] when the ficha may be stored and forwarded."""
    erros = _envelope_erros(dado)
    if not erros and formato == FichaRecebida.Formato.THRIFT:
        erros = regras.xsd_erros(dado)
    if erros or dado.tipo in _SEM_CABECALHO:
        return erros
    try:
        return regras.ficha_erros(tipo=dado.tipo, dados=dado.ficha)
    except (KeyError, TypeError, ValueError, AttributeError):
        # A ficha that passed the XSD but that the rules cannot read: refused, never a 500.
        logger.exception("LEDI rules failed on received ficha %s", dado.uuid)
        return ["A ficha não pôde ser verificada pelas regras do LEDI: confira a estrutura da ficha."]


def ficha_receber(
    *,
    municipio: Municipio,
    conteudo: bytes,
    nome_arquivo: str = "",
    credencial: CredencialRecebimento | None = None,
    lote: LoteRecebido | None = None,
) -> tuple[FichaRecebida, bool]:
    """Decode, check and store one ficha; return (ficha, created). The same uuid again
    is not an error: it returns the stored ficha (senders retry after timeouts).

    Raises ledi.LediErro with a Portuguese message for anything the sender must fix.
    Must run inside the municipality's tenant context.
    """
    if len(conteudo) > MAX_FICHA_BYTES:
        raise ledi.LediErro("Arquivo maior que 5 MB: uma ficha LEDI por arquivo.")
    if nome_arquivo and not _NOME_ARQUIVO.fullmatch(nome_arquivo):
        raise ledi.LediErro("O nome do arquivo deve ser o uuidDadoSerializado seguido de .esus (ou .esus.xml).")
    dado, formato = _decodificar(conteudo)
    if dado.cod_ibge != municipio.ibge:
        raise ledi.LediErro(
            f"codIbge {dado.cod_ibge or '(vazio)'} não é o do município desta credencial ({municipio.ibge})."
        )
    esperado = f"{dado.uuid}.esus"
    if nome_arquivo and nome_arquivo not in (esperado, f"{esperado}.xml"):
        raise ledi.LediErro(f"O nome do arquivo deve ser o uuidDadoSerializado: {esperado[:60]}.")
    if erros := ficha_recebida_erros(dado=dado, formato=formato):
        raise ledi.LediErro(" ".join(erros[:20]))
    existente = FichaRecebida.objects.filter(municipio=municipio, uuid=dado.uuid).first()
    if existente is not None:
        if existente.pendencias:  # re-sent after the admin registered who was missing
            ficha_incluir(existente)
        return existente, False
    origem = dado.originadora
    try:
        with transaction.atomic():
            ficha = FichaRecebida.objects.create(
                municipio=municipio,
                uuid=dado.uuid,
                tipo=dado.tipo,
                formato=formato,
                cnes=dado.cnes,
                ine=dado.ine or "",
                conteudo=conteudo,
                ficha=dado.ficha,
                remetente=dado.remetente,
                originadora=origem,
                instalacao_origem=f"{origem.get('contraChave', '')} {origem.get('uuidInstalacao', '')}".strip()[:200],
                credencial=credencial,
                lote=lote,
            )
            ficha_incluir(ficha)
    except IntegrityError:  # the same uuid arrived concurrently
        return FichaRecebida.objects.get(municipio=municipio, uuid=dado.uuid), False
    except DataError as exc:  # a value the checks above let through: this ficha alone is refused
        logger.warning("Received ficha %s refused by the database: %s", dado.uuid, exc)
        raise ledi.LediErro("A ficha tem um valor que excede o tamanho permitido no LEDI.") from exc
    return ficha, True


def _abrir_zip(fonte: IO[bytes] | Path) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip and its files; only its central directory is read here."""
    try:
        arquivo_zip = zipfile.ZipFile(fonte)
        entradas = [info for info in arquivo_zip.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ledi.LediErro("O arquivo não é um zip válido de fichas LEDI.") from exc
    if len(entradas) > MAX_LOTE_ENTRADAS:
        arquivo_zip.close()
        raise ledi.LediErro(f"O lote tem mais de {MAX_LOTE_ENTRADAS} arquivos.")
    return arquivo_zip, entradas


def _importar(lote: LoteRecebido, arquivo_zip: zipfile.ZipFile, entradas: list[zipfile.ZipInfo]) -> None:
    """Each ficha of the zip accepted or refused on its own, in the lote's tenant."""
    municipio = lote.municipio
    lote.total, lote.aceitas, lote.repetidas, lote.recusas = len(entradas), 0, 0, []
    for info in entradas:
        if info.file_size > MAX_FICHA_BYTES:
            lote.recusas.append({"arquivo": info.filename, "motivo": "Arquivo maior que 5 MB."})
            continue
        try:
            conteudo_ficha = arquivo_zip.read(info)
        except _ERROS_DE_ZIP as exc:
            lote.recusas.append({"arquivo": info.filename, "motivo": f"Arquivo ilegível no zip: {exc}"})
            continue
        try:
            with transaction.atomic():
                _, criada = ficha_receber(
                    municipio=municipio,
                    conteudo=conteudo_ficha,
                    lote=lote,
                    nome_arquivo=PurePosixPath(info.filename).name,
                )
        except ledi.LediErro as exc:
            lote.recusas.append({"arquivo": info.filename, "motivo": str(exc)})
            continue
        if criada:
            lote.aceitas += 1
        else:
            lote.repetidas += 1
    lote.status = LoteRecebido.Status.CONCLUIDO
    lote.save(update_fields=["total", "aceitas", "repetidas", "recusas", "status"])


def lote_importar(*, municipio: Municipio, nome: str, conteudo: bytes, por: Usuario | None) -> LoteRecebido:
    """Import a zip of `.esus`/`.esus.xml` files, each named after its uuid (as LEDI's zip
    and our export name them), here and now (manage.py import_lote). Each ficha is
    accepted or refused on its own (a refused one is listed with the reason); a file that
    is not a readable zip is refused whole and leaves nothing behind."""
    arquivo_zip, entradas = _abrir_zip(io.BytesIO(conteudo))
    with tenant_context(municipio.id):
        lote = LoteRecebido.objects.create(
            municipio=municipio,
            arquivo=nome[:255],
            sha256=hashlib.sha256(conteudo).hexdigest(),
            total=len(entradas),
            importado_por=por,
        )
        _importar(lote, arquivo_zip, entradas)
    return lote


def _pasta_lotes() -> Path:
    return Path(getattr(settings, "LEDI_LOTES_DIR", settings.VAR_DIR / "lotes_ledi"))


def lote_enfileirar(*, municipio: Municipio, arquivo: UploadedFile[bytes], por: Usuario) -> LoteRecebido:
    """A lote uploaded on the admin page: stored, checked to be a zip (nothing is kept when
    it is not), and imported by a worker (sisab.tasks.sisab_lote_importar); the request
    returns at once. Must run inside the municipality's tenant context."""
    pasta = _pasta_lotes()
    pasta.mkdir(parents=True, exist_ok=True, mode=0o700)
    token, soma = secrets.token_hex(16), hashlib.sha256()
    with open(pasta / token, "xb") as destino:
        for bloco in arquivo.chunks():
            soma.update(bloco)
            destino.write(bloco)
    try:
        arquivo_zip, entradas = _abrir_zip(pasta / token)
    except ledi.LediErro:
        (pasta / token).unlink(missing_ok=True)
        raise
    arquivo_zip.close()
    lote = LoteRecebido.objects.create(
        municipio=municipio,
        arquivo=(arquivo.name or "")[:255],
        sha256=soma.hexdigest(),
        total=len(entradas),
        importado_por=por,
        status=LoteRecebido.Status.NA_FILA,
        token=token,
    )
    from sisab.tasks import sisab_lote_importar

    apos_commit_enfileirar(
        sisab_lote_importar,
        em_falha=functools.partial(_lote_falhar, lote, "A fila de tarefas está indisponível: envie o lote de novo."),
        municipio_id=lote.municipio_id,
        lote_id=lote.id,
    )
    return lote


def _lote_falhar(lote: LoteRecebido, mensagem: str) -> None:
    """The lote says why it was not imported; its stored file goes."""
    with tenant_context(lote.municipio_id):
        LoteRecebido.objects.filter(id=lote.id).update(status=LoteRecebido.Status.FALHOU, mensagem=mensagem)
    (_pasta_lotes() / lote.token).unlink(missing_ok=True)


def lote_processar(*, municipio_id: int, lote_id: int) -> LoteRecebido | None:
    """The worker's half of lote_enfileirar. The import is one transaction: a worker killed
    midway leaves no ficha behind, and the redelivered task imports the lote from its start."""
    with tenant_context(municipio_id):
        lote = LoteRecebido.objects.select_related("municipio").filter(id=lote_id).first()
        if lote is None or not lote.em_curso:
            return lote
        lote.status = LoteRecebido.Status.EM_ANDAMENTO
        lote.save(update_fields=["status"])
    caminho = _pasta_lotes() / lote.token
    try:
        arquivo_zip, entradas = _abrir_zip(caminho)
    except ledi.LediErro:
        _lote_falhar(lote, "O arquivo enviado não está mais disponível.")
        return lote
    try:
        with arquivo_zip, tenant_context(municipio_id):
            _importar(lote, arquivo_zip, entradas)
    except Exception:
        # The import rolled back; without this the page would wait for it forever.
        _lote_falhar(lote, "Erro interno ao importar o lote: envie-o de novo ou fale com o suporte.")
        raise
    caminho.unlink(missing_ok=True)
    return lote
