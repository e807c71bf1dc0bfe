"""LEDI receiving under hostile `.esus` files: time and peak memory of each refusal.

    .venv/bin/python bench/ledi_recebimento_bench.py

Issue 15 item 1: a 10-byte `.esus` whose first field declares a 2 GiB string made the
Thrift decoder allocate about 4.2 GB and take 12-18 s before the 400; a 187-byte file
declaring a 3-million-element list added 830 MB. Each case below runs in its own process,
so its peak RSS (maxrss from wait4) is that case's alone; the "imports only" row is the
floor every process pays (Django, lxml, thriftpy2, the IDL).

The "API" row posts the file to /api/v1/recebimento/ficha through Django's test client
with a real credential, on the database of DATABASE_URL, inside one transaction that is
rolled back: nothing stays behind. The other rows call the decoder (sisab.ledi.de_esus)
alone, or the lote import's per-file path for the zip.
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
EXEMPLOS = RAIZ.parent.parent / "shared" / "reference" / "ledi" / "examples"
NOME = "0019615-6f783cac-ab7c-4246-8458-d3cd99164c10.esus"  # a well-formed name: the decoder runs

# Field 1 of DadoTransporteThrift (a string) declaring 2 GiB - 1 bytes, then 3 bytes.
STRING_2_GIB = b"\x0b\x00\x01" + struct.pack("!i", 2**31 - 1) + b"abc"
# Field 99, a list of structs declaring 3,000,000 items, padded to 187 bytes.
LISTA_3_MILHOES = b"\x0f\x00\x63\x0c" + struct.pack("!i", 3_000_000)
LISTA_3_MILHOES += b"\x00" * (187 - len(LISTA_3_MILHOES))


def _zip(*arquivos: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as arquivo_zip:
        for nome, conteudo in arquivos:
            arquivo_zip.writestr(nome, conteudo)
    return buffer.getvalue()


def _ficha_bomba() -> bytes:
    """A valid envelope (the official Procedimentos example) whose ficha is the 10 bytes."""
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.utils import deserialize, serialize

    from sisab import ledi

    dado = ledi.de_xml((EXEMPLOS / "Procedimentos.esus.xml").read_bytes())
    envelope = deserialize(ledi._envelope_cls()(), ledi.para_esus(dado), TBinaryProtocolFactory())
    envelope.dadoSerializado = STRING_2_GIB
    return serialize(envelope, TBinaryProtocolFactory())


def _valido() -> bytes:
    from sisab import ledi

    return ledi.para_esus(ledi.de_xml((EXEMPLOS / "Procedimentos.esus.xml").read_bytes()))


def _decodificar(conteudo: bytes) -> tuple[float, str]:
    from sisab import ledi

    inicio = time.perf_counter()
    try:
        dado = ledi.de_esus(conteudo)
    except ledi.LediErro as exc:
        return time.perf_counter() - inicio, f"refused: {exc}"
    return time.perf_counter() - inicio, f"read: ficha tipo {dado.tipo}"


def _lote(conteudo: bytes) -> tuple[float, str]:
    """The lote import's path for each member (read from the zip, decoded), no database."""
    from sisab import ledi
    from sisab.recebimento import _decodificar as decodificar

    inicio = time.perf_counter()
    arquivo_zip = zipfile.ZipFile(io.BytesIO(conteudo))
    recusas = 0
    for info in arquivo_zip.infolist():
        try:
            decodificar(arquivo_zip.read(info))
        except ledi.LediErro:
            recusas += 1
    return (
        time.perf_counter() - inicio,
        f"{recusas} of {len(arquivo_zip.infolist())} refused ({len(conteudo)}-byte zip)",
    )


def _api(conteudo: bytes) -> tuple[float, str]:
    """POST to the receiving API with a fresh credential; everything rolled back."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client

    from pec.models import Municipio, Usuario
    from pec.tenancy import tenant_context
    from sisab.recebimento import credencial_emitir

    with transaction.atomic():
        municipio, _ = Municipio.objects.get_or_create(ibge="4205407", defaults={"nome": "Bancada LEDI", "uf": "SC"})
        ator, _ = Usuario.objects.get_or_create(cpf="52998224725", defaults={"nome": "BANCADA LEDI"})
        with tenant_context(municipio.id):
            credencial, senha = credencial_emitir(
                municipio_id=municipio.id,
                nome="Bancada",
                responsavel="Bancada",
                documento="12345678000199",
                email="b@exemplo.gov.br",
                por=ator,
            )
        client = Client(HTTP_HOST="localhost")
        client.post("/api/recebimento/login", {"usuario": credencial.usuario, "senha": senha})
        inicio = time.perf_counter()
        resposta = client.post("/api/v1/recebimento/ficha", {"ficha": SimpleUploadedFile(NOME, conteudo)})
        decorrido = time.perf_counter() - inicio
        transaction.set_rollback(True)
    return decorrido, f"HTTP {resposta.status_code}: {resposta.content.decode()[:110]}"


CASOS: dict[str, Callable[[], tuple[float, str]]] = {
    "imports only (floor)": lambda: (0.0, ""),
    "10-byte .esus declaring a 2 GiB string": lambda: _decodificar(STRING_2_GIB),
    "187-byte .esus declaring a 3,000,000-item list": lambda: _decodificar(LISTA_3_MILHOES),
    "valid envelope whose ficha declares a 2 GiB string": lambda: _decodificar(_ficha_bomba()),
    "zip of three 10-byte files (lote path)": lambda: _lote(_zip(*((f"{n}.esus", STRING_2_GIB) for n in "abc"))),
    "API: 10-byte .esus declaring a 2 GiB string": lambda: _api(STRING_2_GIB),
    "API: valid official example as .esus (reference)": lambda: _api(_valido()),
    "valid official example as .esus (reference)": lambda: _decodificar(_valido()),
}


def medir(caso: str) -> tuple[float, float, str]:
    """Wall time (s) and peak RSS (MB) of one case's process, and what it printed."""
    inicio = time.perf_counter()
    with tempfile.TemporaryFile() as saida:
        processo = subprocess.Popen(
            [sys.executable, __file__, "--caso", caso], cwd=RAIZ, stdout=saida, stderr=subprocess.DEVNULL
        )
        _, status, uso = os.wait4(processo.pid, 0)
        decorrido = time.perf_counter() - inicio
        saida.seek(0)
        texto = saida.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"case {caso!r} failed:\n{texto}")
    return decorrido, uso.ru_maxrss / 1024, texto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caso", help=argparse.SUPPRESS)
    argumentos = parser.parse_args()
    if argumentos.caso is not None:
        sys.path.insert(0, str(RAIZ))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        CASOS[argumentos.caso]()  # warm: the IDL and the XSDs load once per process
        segundos, resultado = CASOS[argumentos.caso]()
        print(f"{segundos:.6f}\t{resultado}")
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| case | process wall (s) | the decode / the request itself (ms) | peak RSS (MB) | outcome |")
    print("|---|---|---|---|---|")
    for caso in CASOS:
        parede, rss, texto = medir(caso)
        proprio, _, resultado = texto.splitlines()[-1].partition("\t")
        print(f"| {caso} | {parede:.2f} | {float(proprio) * 1000:.2f} | {rss:.0f} | {resultado} |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
