"""The one test world and its builders. Alice (recepção) and Bob (médico) work in
municipality A, at UBS Centro; Charlie (recepção) works in municipality B: "Charlie
should have no access to Alice's stuff" (healthchecks' Alice, Bob and Charlie).

Every builder takes what it needs and returns the saved object; rows that belong to a
municipality are written in its tenant context, as the application writes them. `entrar`
is the one way a test logs in: the user's session with a lotação chosen.
Tests import this module as `fabricas` (a fixture is called `mundo`)."""

from __future__ import annotations

import datetime
import io
import itertools
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone

from pec import documentos
from pec.documentos import cpf_com_digitos
from pec.identity.login import SESSION_LOTACAO, SESSION_MUNICIPIO
from pec.identity.permissoes import perfis_garantir_padrao, perfis_padrao_para_cbo
from pec.models import (
    Equipe,
    Estabelecimento,
    Lotacao,
    LotacaoPerfil,
    Municipio,
    Profissional,
    Usuario,
)
from pec.tenancy import tenant_context
from prontuario.cadastro.services import cidadao_cadastrar
from prontuario.models import (
    Atendimento,
    Cidadao,
    EntradaLista,
    EscutaInicial,
    ExameSolicitado,
    Medicao,
    ProblemaAvaliado,
    RegraVacinacao,
    Termo,
    Vacinacao,
)

SENHA = "senha-forte-123"

_seq = itertools.count(1)


# --- documents ---------------------------------------------------------------------------------


def novo_cpf() -> str:
    return cpf_com_digitos(f"{300000000 + next(_seq):09d}")


def cpf() -> str:
    return cpf_com_digitos(f"{700000000 + next(_seq):09d}")


def cns_provisorio() -> str:
    """A valid provisional CNS (starts with 7; weighted sum multiple of 11)."""
    while True:
        numero = documentos.cns_provisorio(f"7{next(_seq) + 10000000:013d}")
        if numero is not None:
            return numero


# --- people and places -------------------------------------------------------------------------


def municipio(
    nome: str = "Município A", ibge: str | None = None, *, com_perfis: bool = False, **fields: object
) -> Municipio:
    """A municipality; `com_perfis` also creates its copies of the default perfis."""
    m = Municipio.objects.create(ibge=ibge or f"{5000000 + next(_seq)}", nome=nome, uf="MG", **fields)
    if com_perfis:
        with tenant_context(m.id):
            perfis_garantir_padrao(municipio_id=m.id)
    return m


def municipio_com_perfis(nome: str = "Município A", **campos: Any) -> Municipio:
    return municipio(nome, com_perfis=True, **campos)


def usuario(nome: str = "Alice", password: str = SENHA, **fields: object) -> Usuario:
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
    perfis: Iterable[str] = (),
) -> Lotacao:
    """A lotação (a new UBS unless one is given) with exactly the given perfil codes."""
    with tenant_context(municipio.id):
        estabelecimento = estabelecimento or Estabelecimento.objects.create(
            municipio=municipio, cnes=f"{next(_seq):07d}", nome="UBS Centro"
        )
        profissional, _ = Profissional.objects.get_or_create(
            municipio=municipio, cpf=usuario.cpf, defaults={"usuario": usuario, "nome": usuario.nome}
        )
        lot = Lotacao.objects.create(
            municipio=municipio,
            profissional=profissional,
            usuario=usuario,
            estabelecimento=estabelecimento,
            equipe=equipe,
            cbo=cbo,
        )
    perfis = list(perfis)
    return dar_perfis(lot, perfis) if perfis else lot


def lotacao_com_perfis(
    m: Municipio, usuario: Usuario, *, cbo: str = "225142", perfis: list[str] | None = None, **kwargs: Any
) -> Lotacao:
    """A lotação with the default perfis of its CBO (as the CNES import gives), or the given ones."""
    return lotacao(m, usuario, cbo=cbo, perfis=perfis_padrao_para_cbo(cbo) if perfis is None else perfis, **kwargs)


def dar_perfis(lotacao: Lotacao, codigos: Iterable[str] | None = None) -> Lotacao:
    """The lotação gets these perfis (by default those of its CBO, as the CNES import does)."""
    with tenant_context(lotacao.municipio_id):
        todos = perfis_garantir_padrao(municipio_id=lotacao.municipio_id)
        for codigo in perfis_padrao_para_cbo(lotacao.cbo) if codigos is None else codigos:
            LotacaoPerfil.objects.create(municipio_id=lotacao.municipio_id, lotacao=lotacao, perfil=todos[codigo])
    return lotacao


def entrar(
    quem: Lotacao | Usuario, lotacao: Lotacao | None = None, *, client: Client | None = None, pela_escolha: bool = False
) -> Client:
    """A client logged in as `quem`, working in a lotação: `entrar(lotacao)` is that lotação's
    user, `entrar(usuario, lotacao)` names both, `entrar(usuario)` chooses none.

    The lotação is put in the session as the lotação choice leaves it; with
    `pela_escolha` it is chosen through the real page instead (which also writes
    the choice to the audit trail). force_login stands for a complete login, second step
    included (tests/conftest.py)."""
    if isinstance(quem, Lotacao):
        usuario, lotacao = quem.usuario, quem
    else:
        usuario = quem
    client = client or Client()
    client.force_login(usuario, backend="django.contrib.auth.backends.ModelBackend")
    if lotacao is None:
        return client
    if pela_escolha:
        resposta = client.post("/lotacao/", {"lotacao": lotacao.id})
        assert resposta.status_code == 302, resposta
        assert client.session[SESSION_LOTACAO] == lotacao.id
        return client
    sessao = client.session
    sessao[SESSION_LOTACAO] = lotacao.id
    sessao[SESSION_MUNICIPIO] = lotacao.municipio_id
    sessao.save()
    return client


@dataclass
class Mundo:
    a: Municipio
    b: Municipio
    ubs: Estabelecimento  # UBS Centro, A
    alice: Lotacao  # recepção, A / Centro
    bob: Lotacao  # médico, A / Centro
    charlie: Lotacao  # recepção, B


def mundo(**municipio_a: Any) -> Mundo:
    a = municipio("Município A", **municipio_a)
    b = municipio("Município B")
    ubs = estabelecimento(a, "UBS Centro")
    alice = dar_perfis(lotacao(a, usuario("Alice"), cbo="422110", estabelecimento=ubs))
    bob = dar_perfis(lotacao(a, usuario("Bob"), cbo="225142", estabelecimento=ubs))
    charlie = dar_perfis(lotacao(b, usuario("Charlie"), cbo="422110"))
    return Mundo(a=a, b=b, ubs=ubs, alice=alice, bob=bob, charlie=charlie)


def recarregar(lot: Lotacao) -> Lotacao:
    """The lotação again, with what the clinical services read from it."""
    with tenant_context(lot.municipio_id):
        return Lotacao.objects.select_related("profissional", "estabelecimento", "municipio").get(id=lot.id)


# --- the registry and the clinic ---------------------------------------------------------------


def dados(**campos: Any) -> dict[str, Any]:
    """A complete citizen registration."""
    base: dict[str, Any] = {
        "nome": "Maria José da Silva",
        "data_nascimento": datetime.date(1980, 3, 12),
        "sexo": 1,
        "raca_cor": 4,
        "nome_mae": "Ana Aparecida da Silva",
        "pai_desconhecido": True,
        "nacionalidade": 1,
        "municipio_nascimento_ibge": "3106200",
    }
    base.update(campos)
    return base


def cidadao(lotacao: Lotacao, **campos: Any) -> Cidadao:
    with tenant_context(lotacao.municipio_id):
        return cidadao_cadastrar(lotacao=lotacao, dados=dados(**campos), confirmar_duplicado=True)


def na_fila(cidadao: Cidadao, lotacao: Lotacao, **campos: Any) -> EntradaLista:
    """The citizen in the day's list of the lotação's UBS (a spontaneous arrival)."""
    with tenant_context(cidadao.municipio_id):
        return EntradaLista.objects.create(
            municipio_id=cidadao.municipio_id,
            estabelecimento=lotacao.estabelecimento,
            cidadao=cidadao,
            tipo=EntradaLista.Tipo.ESPONTANEA,
            chegada_em=timezone.now(),
            criado_por=lotacao,
            **campos,
        )


def atendimento_finalizado(
    cidadao: Cidadao,
    medico: Lotacao,
    *,
    quando: datetime.datetime | None = None,
    ciap: str = "A03",
    cid10: str = "R509",
) -> Atendimento:
    """A finished atendimento as the clinical services leave it: measurements, a problem, an exam."""
    quando = quando or timezone.now() - datetime.timedelta(hours=1)
    with tenant_context(cidadao.municipio_id):
        medicao = Medicao.objects.create(
            municipio_id=cidadao.municipio_id,
            cidadao=cidadao,
            lotacao=medico,
            em=quando,
            pressao_sistolica=120,
            pressao_diastolica=80,
            temperatura="37.8",
            peso="61.5",
            altura="162.0",
        )
        registro = Atendimento.objects.create(
            municipio_id=cidadao.municipio_id,
            cidadao=cidadao,
            lotacao=medico,
            estabelecimento=medico.estabelecimento,
            status=Atendimento.Status.FINALIZADO,
            salvo_por=medico,
            salvo_em=quando,
            iniciado_em=quando,
            finalizado_em=quando + datetime.timedelta(minutes=20),
            tipo_atendimento=5,
            condutas=[9],
            medicao=medicao,
        )
        ProblemaAvaliado.objects.create(municipio_id=cidadao.municipio_id, atendimento=registro, ciap=ciap, cid10=cid10)
        ExameSolicitado.objects.create(
            municipio_id=cidadao.municipio_id, atendimento=registro, sigtap="0202010473", descricao="Glicemia"
        )
    return registro


def atendimento_rascunho(cidadao: Cidadao, medico: Lotacao) -> Atendimento:
    """An atendimento started and not finished (what "Iniciar atendimento" leaves)."""
    agora = timezone.now()
    with tenant_context(cidadao.municipio_id):
        return Atendimento.objects.create(
            municipio_id=cidadao.municipio_id,
            cidadao=cidadao,
            lotacao=medico,
            estabelecimento=medico.estabelecimento,
            salvo_por=medico,
            salvo_em=agora,
            iniciado_em=agora,
        )


def escuta_finalizada(
    cidadao: Cidadao, enfermeira: Lotacao, *, quando: datetime.datetime | None = None
) -> EscutaInicial:
    """A finished escuta inicial (with its list entry and measurements)."""
    quando = quando or timezone.now() - datetime.timedelta(hours=2)
    with tenant_context(cidadao.municipio_id):
        entrada = EntradaLista.objects.create(
            municipio_id=cidadao.municipio_id,
            estabelecimento=enfermeira.estabelecimento,
            cidadao=cidadao,
            tipo=EntradaLista.Tipo.ESPONTANEA,
            chegada_em=quando,
            escuta_em=quando,
            criado_por=enfermeira,
        )
        medicao = Medicao.objects.create(
            municipio_id=cidadao.municipio_id,
            cidadao=cidadao,
            lotacao=enfermeira,
            em=quando,
            frequencia_cardiaca=88,
            saturacao_o2=97,
            glicemia=98,
            glicemia_momento=0,
        )
        return EscutaInicial.objects.create(
            municipio_id=cidadao.municipio_id,
            entrada=entrada,
            cidadao=cidadao,
            lotacao=enfermeira,
            estabelecimento=enfermeira.estabelecimento,
            motivo_ciap="A03",
            medicao=medicao,
            classificacao_risco=3,
            desfecho=EscutaInicial.Desfecho.ATENDIMENTO,
            finalizada_em=quando + datetime.timedelta(minutes=10),
        )


def regra_vacina() -> RegraVacinacao:
    """A current-application rule whose strategy LEDI can name (rotina, LEDI code 1)."""
    rnds = {t.codigo for t in Termo.objects.filter(tabela="estrategia") if (t.extra or {}).get("ledi") == 1}
    return RegraVacinacao.objects.filter(estrategia__in=rnds).order_by("id").first()  # type: ignore[return-value]


def vacinacao(
    cidadao: Cidadao, vacinadora: Lotacao, *, quando: datetime.datetime | None = None, **campos: object
) -> Vacinacao:
    """A dose registered in the PEC under a rule of the calendar."""
    quando = quando or timezone.now() - datetime.timedelta(hours=3)
    regra = regra_vacina()
    valores = {
        "data_aplicacao": timezone.localtime(quando).date(),
        "imunobiologico": regra.imunobiologico,
        "estrategia": regra.estrategia,
        "dose": regra.dose,
        "lote": "LT2026A",
        "fabricante": "149",
        "via": "10866",
        "local_aplicacao": "2",
        "grupo_atendimento": "000210",
        "condicao_maternal": "1",
        **campos,
    }
    with tenant_context(cidadao.municipio_id):
        return Vacinacao.objects.create(
            municipio_id=cidadao.municipio_id,
            cidadao=cidadao,
            lotacao=vacinadora,
            estabelecimento=vacinadora.estabelecimento,
            registrado_em=quando,
            **valores,
        )


# --- SISAB --------------------------------------------------------------------------------------


def instalacao_sisab(municipio: Municipio) -> Any:
    """The municipality's identity as a LEDI sender (the administrator's first SISAB form)."""
    from sisab.models import InstalacaoSisab

    with tenant_context(municipio.id):
        return InstalacaoSisab.objects.create(
            municipio=municipio,
            contra_chave="PEC-centralizado - 1.0",
            responsavel_documento="12345678000199",
            responsavel_nome="SECRETARIA MUNICIPAL DE SAUDE",
            fone="3133334444",
            email="sms@exemplo.gov.br",
        )


def destino_sisab(municipio: Municipio, pasta: str = "/tmp") -> Any:
    """A folder destination for the municipality's fichas."""
    from sisab.models import DestinoSisab

    with tenant_context(municipio.id):
        return DestinoSisab.objects.create(municipio=municipio, nome="Pasta", tipo="pasta", pasta=pasta)


def lote_recebido(municipio: Municipio) -> Any:
    """A LEDI lote received from a local server, already imported."""
    from sisab.models import LoteRecebido

    with tenant_context(municipio.id):
        return LoteRecebido.objects.create(municipio=municipio, arquivo="lote.zip", sha256="0" * 64)


# --- files ---------------------------------------------------------------------------------------


def zip_com_membro_corrompido(lote: bytes, nome: str) -> bytes:
    """The zip with `nome`'s deflated bytes scrambled (what a broken transfer leaves)."""
    conteudo = bytearray(lote)
    info = zipfile.ZipFile(io.BytesIO(lote)).getinfo(nome)
    tamanho_nome, tamanho_extra = struct.unpack("<HH", conteudo[info.header_offset + 26 : info.header_offset + 30])
    inicio = info.header_offset + 30 + tamanho_nome + tamanho_extra
    for i in range(inicio + 5, inicio + 25):
        conteudo[i] ^= 0xFF
    return bytes(conteudo)
