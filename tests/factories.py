"""Builders for test data. Alice and Bob work in municipality A, Charlie in B:
"Charlie should have no access to Alice's stuff"."""

from __future__ import annotations

import io
import itertools
import struct
import zipfile

from pec.documentos import cpf_com_digitos
from pec.models import Equipe, Estabelecimento, Lotacao, Municipio, Profissional, Usuario
from pec.tenancy import tenant_context

_seq = itertools.count(1)


def novo_cpf() -> str:
    return cpf_com_digitos(f"{300000000 + next(_seq):09d}")


def municipio(nome: str = "Município A", ibge: str | None = None, **fields: object) -> Municipio:
    return Municipio.objects.create(ibge=ibge or f"{5000000 + next(_seq)}", nome=nome, uf="MG", **fields)


def usuario(nome: str = "Alice", password: str = "senha-forte-123", **fields: object) -> Usuario:
    return Usuario.objects.create_user(novo_cpf(), password, nome=nome, **fields)


def estabelecimento(municipio: Municipio, nome: str = "UBS Centro") -> Estabelecimento:
    with tenant_context(municipio.id):
        return Estabelecimento.objects.create(municipio=municipio, cnes=f"{next(_seq):07d}", nome=nome)


def lotacao(
    municipio: Municipio,
    usuario: Usuario,
    *,
    cbo: str = "225142",
    estabelecimento: Estabelecimento | None = None,
    equipe: Equipe | None = None,
) -> Lotacao:
    with tenant_context(municipio.id):
        estabelecimento = estabelecimento or Estabelecimento.objects.create(
            municipio=municipio, cnes=f"{next(_seq):07d}", nome="UBS Centro"
        )
        profissional, _ = Profissional.objects.get_or_create(
            municipio=municipio, cpf=usuario.cpf, defaults={"usuario": usuario, "nome": usuario.nome}
        )
        return Lotacao.objects.create(
            municipio=municipio,
            profissional=profissional,
            usuario=usuario,
            estabelecimento=estabelecimento,
            equipe=equipe,
            cbo=cbo,
        )


def zip_com_membro_corrompido(lote: bytes, nome: str) -> bytes:
    """The zip with `nome`'s deflated bytes scrambled (what a broken transfer leaves)."""
    dados = bytearray(lote)
    info = zipfile.ZipFile(io.BytesIO(lote)).getinfo(nome)
    tamanho_nome, tamanho_extra = struct.unpack("<HH", dados[info.header_offset + 26:info.header_offset + 30])
    inicio = info.header_offset + 30 + tamanho_nome + tamanho_extra
    for i in range(inicio + 5, inicio + 25):
        dados[i] ^= 0xFF
    return bytes(dados)
