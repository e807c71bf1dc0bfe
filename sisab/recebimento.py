"""Receiving LEDI fichas: the PEC-compatible API and the import of lotes (zip).

This makes the installation usable as a municipal or state centralizer: local servers
and third-party systems send `.esus` (Thrift) or XML fichas, each kept as it arrived,
decoded, and linked to the installation that typed it. The doses of vaccination fichas
also go into the citizens' records (sisab.vacinas_recebidas).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
import zlib

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, connection, transaction

from pec.models import Municipio, Usuario
from pec.tenancy import tenant_context
from sisab import ledi
from sisab.models import CredencialRecebimento, FichaRecebida, LoteRecebido
from sisab.vacinas_recebidas import vacinas_incluir

MAX_FICHA_BYTES = 5 * 1024 * 1024
MAX_LOTE_ENTRADAS = 200_000
# Reading one member of a zip: CRC mismatch, encrypted, unknown compression, corrupt or
# truncated deflate stream. The member is refused; the rest of the lote goes on.
_ERROS_DE_ZIP = (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError)


def credencial_emitir(
    *, municipio_id: int, nome: str, responsavel: str, documento: str, email: str, ator: Usuario
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
        criado_por=ator,
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
    dado, formato = _decodificar(conteudo)
    if dado.cod_ibge != municipio.ibge:
        raise ledi.LediErro(
            f"codIbge {dado.cod_ibge or '(vazio)'} não é o do município desta credencial ({municipio.ibge})."
        )
    esperado = f"{dado.uuid}.esus"
    if nome_arquivo and nome_arquivo not in (esperado, f"{esperado}.xml"):
        raise ledi.LediErro(f"O nome do arquivo deve ser o uuidDadoSerializado: {esperado}.")
    existente = FichaRecebida.objects.filter(municipio=municipio, uuid=dado.uuid).first()
    if existente is not None:
        if existente.pendencias:  # re-sent after the admin registered who was missing
            with transaction.atomic():
                vacinas_incluir(existente)
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
                instalacao_origem=f"{origem.get('contraChave', '')} {origem.get('uuidInstalacao', '')}".strip(),
                credencial=credencial,
                lote=lote,
            )
            vacinas_incluir(ficha)
    except IntegrityError:  # the same uuid arrived concurrently
        return FichaRecebida.objects.get(municipio=municipio, uuid=dado.uuid), False
    return ficha, True


def lote_importar(*, municipio: Municipio, nome: str, conteudo: bytes, ator: Usuario | None) -> LoteRecebido:
    """Import a zip of `.esus`/`.esus.xml` files. Each ficha is accepted or refused on
    its own (a refused one is listed with the reason); a file that is not a readable zip
    is refused whole and leaves nothing behind."""
    try:
        arquivo_zip = zipfile.ZipFile(io.BytesIO(conteudo))
        entradas = [info for info in arquivo_zip.infolist() if not info.is_dir()]
    except zipfile.BadZipFile as exc:
        raise ledi.LediErro("O arquivo não é um zip válido de fichas LEDI.") from exc
    if len(entradas) > MAX_LOTE_ENTRADAS:
        raise ledi.LediErro(f"O lote tem mais de {MAX_LOTE_ENTRADAS} arquivos.")
    with tenant_context(municipio.id):
        lote = LoteRecebido.objects.create(
            municipio=municipio, arquivo=nome[:255], sha256=hashlib.sha256(conteudo).hexdigest(),
            total=len(entradas), importado_por=ator,
        )
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
                    _, criada = ficha_receber(municipio=municipio, conteudo=conteudo_ficha, lote=lote)
            except ledi.LediErro as exc:
                lote.recusas.append({"arquivo": info.filename, "motivo": str(exc)})
                continue
            if criada:
                lote.aceitas += 1
            else:
                lote.repetidas += 1
        lote.save(update_fields=["aceitas", "repetidas", "recusas"])
    return lote
