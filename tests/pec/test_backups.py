"""Backups: the encrypted container, and the whole cycle against a real database.

pg_dump only sees committed rows, so the cycle runs on a database of its own (created
with the production roles, migrated, seeded through the app role) and drives the real
`manage.py` commands in subprocesses pointed at it, as an operator would.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache

from pec.audit import chain as audit
from pec.backups.arquivos import arquivos_de, retencao_aplicar, retencao_selecionar, sha256_arquivo
from pec.backups.avisos import BackupError
from pec.backups.chaves import assinatura_privada_carregar, chave_gerar, chave_privada_carregar
from pec.backups.formato import CHUNK, HEADER_SIZE, Cifrador, Decifrador, arquivo_estrutura_verificar
from pec.backups.origem import assinatura_gravar
from pec.backups.postgres import TABELAS, banco_verificar, papel_config, rls_estado
from pec.backups.restauracao import destino_de_rascunho, restaurar_arquivo
from pec.backups.services import backup_verificar_atraso
from pec.dbroles import admin_connect, drop_database, setup_database
from pec.models import Backup, EmailSaida
from tests import mundo as fabricas

BASE_DIR = Path(settings.BASE_DIR)

SEED = """
from datetime import date
from pec.audit.chain import audit_event
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from tests import mundo as fabricas

admin = fabricas.usuario("Ana Admin", administrador_instalacao=True, email="admin@example.org")
for nome, pessoa in (("Alfa", "Alice"), ("Beta", "Charlie")):
    municipio = fabricas.municipio(nome)
    usuario = fabricas.usuario(pessoa)
    for i in range(3):
        fabricas.estabelecimento(municipio, nome=f"UBS {nome} {i}")
    fabricas.lotacao(municipio, usuario)
    with tenant_context(municipio.id):
        for i in range(4):
            cidadao = Cidadao.objects.create(municipio=municipio, nome=f"Cidadão {nome} {i}", data_nascimento=date(1980, 1, i + 1), sexo=i % 2, raca_cor=1)
            audit_event(evento="leitura_prontuario", usuario=usuario, municipio_id=municipio.id, cidadao_id=cidadao.id, o_que="folha de rosto")
audit_event(evento="admin_alteracao", usuario=admin, instalacao=True, o_que="seed")
"""


# --- The container, without a database ---------------------------------------------------


def _chaves() -> tuple:
    privada_pem, publica_pem = chave_gerar()
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(privada_pem, None), serialization.load_pem_public_key(publica_pem)


def _container(dados: bytes, manifesto: dict | None = None) -> tuple[bytes, object]:
    privada, publica = _chaves()
    saida = io.BytesIO()
    cifrador = Cifrador(saida, publica)
    cifrador.manifesto(manifesto or {"linhas": {"t": 1}})
    for i in range(0, len(dados), 300_000):  # writes that straddle the 1 MiB frames
        cifrador.write(dados[i : i + 300_000])
    cifrador.finalizar()
    assert cifrador.sha256.hexdigest() == hashlib.sha256(saida.getvalue()).hexdigest()
    return saida.getvalue(), privada


def _ler(conteudo: bytes, privada: Any) -> tuple[dict, bytes]:
    decifrador = Decifrador(io.BytesIO(conteudo), privada)
    return decifrador.manifesto, b"".join(decifrador.dados())


DADOS = os.urandom(2_500_000)


def test_container_round_trip():
    conteudo, privada = _container(DADOS, {"linhas": {"public.x": 7}})
    assert DADOS not in conteudo and DADOS[:64] not in conteudo
    manifesto, dados = _ler(conteudo, privada)
    assert manifesto == {"linhas": {"public.x": 7}}
    assert dados == DADOS


def test_container_flipped_byte_fails_authentication():
    conteudo, privada = _container(DADOS)
    alterado = bytearray(conteudo)
    alterado[len(alterado) // 2] ^= 0x01
    with pytest.raises(BackupError, match=r"corrupted or was altered: frame 2 .* fails authentication"):
        _ler(bytes(alterado), privada)


def _quadros(conteudo: bytes) -> list[tuple[int, int]]:
    """(offset, total length) of each frame of a container."""
    quadros, posicao = [], HEADER_SIZE
    while posicao < len(conteudo):
        tamanho = 5 + int.from_bytes(conteudo[posicao + 1 : posicao + 5], "big")
        quadros.append((posicao, tamanho))
        posicao += tamanho
    return quadros


def test_container_truncated_is_detected_with_and_without_the_key(tmp_path):
    conteudo, privada = _container(DADOS)
    fim = _quadros(conteudo)[-1][0]  # a cut exactly before the end marker
    for corte in (len(conteudo) - 10, HEADER_SIZE + 100, len(conteudo) // 2, fim):
        with pytest.raises(BackupError, match="truncated"):
            _ler(conteudo[:corte], privada)
        arquivo = tmp_path / "x.pecbackup"
        arquivo.write_bytes(conteudo[:corte])
        with pytest.raises(BackupError, match="truncated"):
            arquivo_estrutura_verificar(arquivo)
    with pytest.raises(BackupError, match="without its end marker"):
        _ler(conteudo[:fim], privada)


def test_container_reordered_frames_fail():
    conteudo, privada = _container(DADOS)
    (a, na), (b, nb) = _quadros(conteudo)[1:3]  # two full 1 MiB data frames
    assert na == nb == 5 + CHUNK + 16
    trocado = conteudo[:a] + conteudo[b : b + nb] + conteudo[a : a + na] + conteudo[b + nb :]
    assert len(trocado) == len(conteudo) and trocado != conteudo
    with pytest.raises(BackupError, match=r"frame 1 .* fails authentication"):
        _ler(trocado, privada)


def test_container_trailing_bytes_fail():
    conteudo, privada = _container(b"abc")
    with pytest.raises(BackupError, match="after its end marker"):
        _ler(conteudo + b"x", privada)


def test_container_wrong_key_says_so():
    conteudo, _ = _container(b"abc")
    outra, _ = _chaves()
    with pytest.raises(BackupError, match="Wrong private key: this backup was encrypted for key"):
        _ler(conteudo, outra)


def test_not_a_backup_file():
    privada, _ = _chaves()
    with pytest.raises(BackupError, match="Not a PEC backup file"):
        _ler(b"PGDMP" + b"\0" * 200, privada)


# --- Retention ------------------------------------------------------------------------------


def test_retention_keeps_grandfather_father_son():
    agora = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 02:00 in Brasília, the same day
    # One backup a day for three years, plus an earlier second one on the newest day.
    copias = [(i, agora - timedelta(days=i)) for i in range(3 * 365)] + [(-1, agora - timedelta(hours=2))]
    manter = retencao_selecionar(copias=copias, diarios=7, semanais=5, mensais=12, anuais=20)
    quando = dict(copias)
    mantidas = {quando[i].date() for i in manter}
    d = lambda *ymd: datetime(*ymd).date()  # noqa: E731
    diarios = {d(2026, 11, dia) for dia in range(15, 22)}
    semanais = {d(2026, 11, 21), d(2026, 11, 15), d(2026, 11, 8), d(2026, 11, 1), d(2026, 10, 25)}
    mensais = {
        d(2026, 11, 21),
        d(2026, 10, 31),
        d(2026, 9, 30),
        d(2026, 8, 31),
        d(2026, 7, 31),
        d(2026, 6, 30),
        d(2026, 5, 31),
        d(2026, 4, 30),
        d(2026, 3, 31),
        d(2026, 2, 28),
        d(2026, 1, 31),
        d(2025, 12, 31),
    }
    anuais = {d(2026, 11, 21), d(2025, 12, 31), d(2024, 12, 31), d(2023, 12, 31)}
    assert mantidas == diarios | semanais | mensais | anuais
    assert 0 in manter and -1 not in manter  # of two backups on one day, the newer
    assert retencao_selecionar(copias=copias, diarios=0, semanais=0, mensais=0, anuais=0) == set()


# --- The whole cycle on a database of its own -------------------------------------------------


def _url(banco: str) -> str:
    return urlunsplit(urlsplit(settings.DATABASE_URL)._replace(path="/" + banco))


def _papel(kind: str, banco: str) -> psycopg.Connection:
    return psycopg.connect(
        dbname=banco,
        host=settings.DB_ADMIN.get("HOST") or None,
        port=settings.DB_ADMIN.get("PORT") or None,
        user=settings.DB_ROLES[kind]["USER"],
        password=settings.DB_ROLES[kind]["PASSWORD"] or None,
        autocommit=True,
    )


class Instalacao:
    def __init__(self, banco: str, pasta: Path) -> None:
        self.banco = banco
        self.pasta = pasta
        self.saida = pasta / "backups"
        self.privada = pasta / "privada.pem"
        self.publica = pasta / "publica.pem"
        self.assinatura = pasta / "assinatura.pem"  # the backup unit's credential
        self.confiavel = pasta / "assinatura_publica.pem"  # where restores happen
        self.env = {
            **os.environ,
            "DATABASE_URL": _url(banco),
            "PEC_BACKUP_DIR": str(self.saida),
            "PEC_BACKUP_PUBLIC_KEY": str(self.publica),
            "PEC_BACKUP_PRIVATE_KEY": "",
            "PEC_BACKUP_COPY_DIR": "",
            "PEC_AUDIT_HEAD_KEY": "chave-das-cabecas-da-auditoria-fora-do-servidor",
            "PEC_BACKUP_SIGNING_KEY": str(self.assinatura),
            "PEC_BACKUP_TRUSTED_KEYS": str(self.confiavel),
        }

    def manage(self, *args: str, entrada: str | None = None, env: dict | None = None, **kwargs: Any):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env={**self.env, **(env or {})},
            input=entrada if entrada is not None else "",
            capture_output=True,
            text=True,
            timeout=600,
            **kwargs,
        )

    def ok(self, *args: str, **kwargs: Any) -> str:
        resultado = self.manage(*args, **kwargs)
        assert resultado.returncode == 0, resultado.stdout + resultado.stderr
        return resultado.stdout

    def sql(self, consulta: str, params: list | None = None) -> list[tuple]:
        with _papel("backup", self.banco) as conn:
            return conn.execute(consulta, params).fetchall()

    def backups_registrados(self) -> list[tuple]:
        return self.sql("SELECT id, status, verificacao, arquivo, erro FROM pec_backup ORDER BY id")

    def alertas(self) -> list[tuple]:
        return self.sql("SELECT para, assunto, corpo FROM pec_emailsaida ORDER BY id")

    def bancos_extras(self) -> list[str]:
        with admin_connect(settings.DB_ADMIN, "postgres") as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [self.banco[:24] + "\\_%"])
            return [r[0] for r in rows.fetchall()]


@pytest.fixture(scope="module")
def instalacao(tmp_path_factory):
    banco = f"{settings.DB_ADMIN['NAME'][:20]}_bt{os.getpid()}"
    drop_database(settings.DB_ADMIN, banco)
    setup_database(settings.DB_ADMIN, banco, settings.DB_ROLES)
    inst = Instalacao(banco, tmp_path_factory.mktemp("backups"))
    try:
        inst.ok("migrate", "--no-input", "-v0")
        inst.ok("shell", "-c", SEED)
        inst.ok("backup_keygen", str(inst.privada), str(inst.publica))
        inst.ok("backup_keygen", "--signing", str(inst.assinatura), str(inst.confiavel))
        yield inst
    finally:
        for extra in inst.bancos_extras():
            drop_database(settings.DB_ADMIN, extra)
        drop_database(settings.DB_ADMIN, banco)


def _impressoes(inst: Instalacao) -> dict[str, tuple]:
    """Row count and a digest of every row of every table but the backup history itself."""
    tabelas = [r[0] for r in inst.sql(TABELAS)]
    return {
        t: inst.sql(f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x")[0]
        for t in tabelas
        if t != "public.pec_backup"
    }


def _backup_ok(inst: Instalacao) -> Path:
    saida = inst.ok("backup")
    assert "verify: OK" in saida and "Backup written and verified by restore" in saida
    return Path(saida.strip().splitlines()[-1].split(": ", 1)[1])


@pytest.fixture(scope="module")
def arquivo_bom(instalacao):
    return _backup_ok(instalacao)


def test_round_trip_backup_verify_destroy_restore(instalacao, arquivo_bom):
    inst = instalacao
    antes = _impressoes(inst)
    assert antes["public.prontuario_cidadao"][0] == 8 and antes["public.pec_estabelecimento"][0] >= 6
    assert antes["public.pec_eventoauditoria"][0] == 9
    municipios = [r[0] for r in inst.sql("SELECT id FROM pec_municipio ORDER BY id")]
    assert len(municipios) == 2

    # The backup recorded itself, verified in flight, and left no scratch database behind.
    registro = inst.backups_registrados()[-1]
    assert registro[1:4] == ("sucesso", "ok", str(arquivo_bom))
    assert inst.bancos_extras() == []
    lado = Path(str(arquivo_bom) + ".sha256").read_text().split()
    assert lado == [sha256_arquivo(arquivo_bom), arquivo_bom.name]
    assert b"Cidad" not in arquivo_bom.read_bytes()  # encrypted: no plaintext row inside

    saida = inst.ok("verify_backup", str(arquivo_bom), "--private-key", str(inst.privada))
    assert "Backup OK" in saida and "restore: done" in saida
    assert inst.bancos_extras() == []
    # The manifest kept beside the file carries the audit heads signed: the copy kept off
    # the server is what `verify_audit --heads` compares the live chains with.
    manifesto_ao_lado = arquivo_bom.with_name(arquivo_bom.name + ".json")
    cabecas = json.loads(manifesto_ao_lado.read_text())["cabecas_assinadas"]
    assert sum(c["sequencia"] for c in cabecas["cadeias"].values()) == 9 and len(cabecas["municipios"]) == 2
    assert "none shorter than the heads exported" in inst.ok("verify_audit", "--heads", str(manifesto_ao_lado))

    drop_database(settings.DB_ADMIN, inst.banco)  # the disaster
    saida = inst.ok("restore", str(arquivo_bom), "--private-key", str(inst.privada), "--yes", "--switch")
    assert "There was no previous database" in saida

    assert _impressoes(inst) == antes
    with _papel("backup", inst.banco) as conn:
        assert audit.verificar_cadeias(conn) == []
        estado = rls_estado(conn)
    tenant = [t for t, rls in estado.items() if rls["municipio_id"]]
    assert "public.prontuario_cidadao" in tenant and "public.pec_eventoauditoria" in tenant
    assert all(estado[t]["ativa"] and estado[t]["forcada"] and estado[t]["politicas"] for t in tenant)
    # And it still works: the app role sees one municipality at a time, and none without one.
    with _papel("app", inst.banco) as conn:
        assert conn.execute("SELECT count(*) FROM prontuario_cidadao").fetchone()[0] == 0
        with conn.transaction():
            conn.execute("SELECT set_config('app.municipio', %s, true)", [str(municipios[0])])
            vistos = conn.execute("SELECT DISTINCT municipio_id FROM prontuario_cidadao").fetchall()
        assert vistos == [(municipios[0],)]
    # The append function is the audit role's again (pg_restore --no-owner left it with
    # the owner, whom its trigger would refuse): the restored installation can audit.
    with _papel("app", inst.banco) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.municipio', %s, true)", [str(municipios[0])])
        evento = conn.execute(
            "SELECT sequencia, usuario_banco FROM pec_auditoria_registrar(%s, 'admin_alteracao', NULL, '', NULL, NULL, "
            "'depois da restauração', '', '', '{}')",
            [municipios[0]],
        ).fetchone()
        assert evento[1] == settings.DB_ROLES["app"]["USER"]
        raise psycopg.Rollback()  # leave the restored database as the backup had it
    # The run that made the backup is complete in the restored history.
    assert inst.sql("SELECT status, arquivo FROM pec_backup WHERE id = %s", [registro[0]]) == [
        ("sucesso", str(arquivo_bom))
    ]


def test_verification_catches_a_changed_database(instalacao, arquivo_bom):
    """The checks are not decorative: a missing row, RLS turned off, a forged audit row.
    The scratch database is the restore role's (CREATEDB, no superuser), read back by the
    backup role."""
    inst = instalacao
    chave = chave_privada_carregar(inst.privada)
    alvo = f"{inst.banco}_chk"
    destino = destino_de_rascunho()
    assert (destino.criador["USER"], destino.leitor["USER"]) == (
        settings.DB_ROLES["restore"]["USER"],
        settings.DB_ROLES["backup"]["USER"],
    )
    try:
        manifesto, _ = restaurar_arquivo(
            arquivo=arquivo_bom, chave=chave, destino=destino, banco=alvo, progresso=lambda _: None
        )
        papel = papel_config("backup")
        assert banco_verificar(papel=papel, banco=alvo, manifesto=manifesto) == []
        with admin_connect(settings.DB_ADMIN, alvo) as conn:
            conn.execute("DELETE FROM prontuario_cidadao WHERE id = (SELECT max(id) FROM prontuario_cidadao)")
            conn.execute("ALTER TABLE pec_estabelecimento NO FORCE ROW LEVEL SECURITY")
            conn.execute("ALTER TABLE pec_eventoauditoria DISABLE TRIGGER USER")
            conn.execute(
                "UPDATE pec_eventoauditoria SET o_que = 'forjado' WHERE sequencia = 2 AND municipio_id IS NOT NULL"
            )
        problemas = "\n".join(banco_verificar(papel=papel, banco=alvo, manifesto=manifesto))
        assert "table public.prontuario_cidadao: 7 rows restored, 8 in the backup" in problemas
        assert "public.pec_estabelecimento has municipio_id but no forced row-level security" in problemas
        assert "hash mismatch" in problemas
    finally:
        drop_database(settings.DB_ADMIN, alvo)


def _falha_verificacao(inst: Instalacao, arquivo: Path, *args: str) -> str:
    alertas_antes = len(inst.alertas())
    resultado = inst.manage("verify_backup", str(arquivo), *args)
    assert resultado.returncode != 0
    assert "Verification FAILED" in resultado.stderr and "Backup OK" not in resultado.stdout
    # The row of the run that wrote the file (an intact copy is known by its SHA-256), or a new one.
    registro = inst.sql(
        "SELECT status, verificacao, erro FROM pec_backup WHERE arquivo = %s OR sha256 = %s ORDER BY verificado_em",
        [str(arquivo.resolve()), sha256_arquivo(arquivo)],
    )
    assert registro and registro[-1][:2] == ("erro", "falhou")
    alertas = inst.alertas()[alertas_antes:]
    assert [(a[0], a[1]) for a in alertas] == [(["admin@example.org"], "[PEC] Falha na verificação do backup")]
    assert arquivo.name in alertas[0][2]
    assert inst.bancos_extras() == []
    return resultado.stderr


def _copia(origem: Path, pasta: Path, *, com_sha: bool = True, com_assinatura: bool = True) -> Path:
    pasta.mkdir()
    destino = pasta / origem.name
    shutil.copy(origem, destino)
    for lado, copiar in ((".sha256", com_sha), (".sig", com_assinatura)):
        if copiar:
            shutil.copy(str(origem) + lado, str(destino) + lado)
    return destino


def test_corrupted_byte_fails_with_alert(instalacao, arquivo_bom, tmp_path):
    """Caught before anything is restored: by the .sha256 beside it, else by the signature
    (over the whole file's SHA-256). Without either, the cipher's authentication catches it
    too (test_container_flipped_byte_fails_authentication)."""
    inst = instalacao
    for nome, com_sha, onde, esperado in (
        ("com_sha", True, 2, "is corrupted: its SHA-256 is"),
        ("sem_sha", False, 3, "is not signed by a trusted key"),
    ):
        arquivo = _copia(arquivo_bom, tmp_path / nome, com_sha=com_sha)
        dados = bytearray(arquivo.read_bytes())
        dados[len(dados) // onde] ^= 0x40
        arquivo.write_bytes(bytes(dados))
        assert esperado in _falha_verificacao(inst, arquivo, "--private-key", str(inst.privada))


def test_truncated_file_fails_with_alert(instalacao, arquivo_bom, tmp_path):
    arquivo = _copia(arquivo_bom, tmp_path / "t", com_sha=False)
    arquivo.write_bytes(arquivo.read_bytes()[: arquivo.stat().st_size * 2 // 3])
    assert "is not signed by a trusted key" in _falha_verificacao(
        instalacao, arquivo, "--private-key", str(instalacao.privada)
    )


def test_wrong_key_fails_with_alert(instalacao, arquivo_bom, tmp_path):
    inst = instalacao
    inst.ok("backup_keygen", str(tmp_path / "outra.pem"), str(tmp_path / "outra.pub"))
    arquivo = _copia(arquivo_bom, tmp_path / "w")
    assert "Wrong private key" in _falha_verificacao(inst, arquivo, "--private-key", str(tmp_path / "outra.pem"))
    # The same file with the right key verifies again, and the run is a success once more.
    inst.ok("verify_backup", str(arquivo), "--private-key", str(inst.privada))
    assert inst.sql("SELECT status, verificacao, erro FROM pec_backup WHERE arquivo = %s", [str(arquivo_bom)]) == [
        ("sucesso", "ok", "")
    ]


def _limite_de_arquivo() -> None:
    # Files this process writes stop growing at 32 KiB, as on a full disk; ignoring
    # SIGXFSZ makes write() fail with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def test_full_disk_fails_with_alert_and_leaves_nothing(instalacao, tmp_path):
    inst = instalacao
    pasta = tmp_path / "cheio"
    alertas_antes, registros_antes = len(inst.alertas()), len(inst.backups_registrados())
    resultado = inst.manage("backup", "--dir", str(pasta), preexec_fn=_limite_de_arquivo)
    assert resultado.returncode != 0
    assert "Backup FAILED: No space left to write the backup in" in resultado.stderr
    assert "written and verified" not in resultado.stdout
    assert list(pasta.iterdir()) == []  # no partial file under any name
    novos = inst.backups_registrados()[registros_antes:]
    assert [(r[1], r[4].startswith("No space left")) for r in novos] == [("erro", True)]
    assert [a[1] for a in inst.alertas()[alertas_antes:]] == ["[PEC] Falha no backup do banco de dados"]
    assert inst.bancos_extras() == []


def test_missing_public_key_fails_with_alert(instalacao):
    inst = instalacao
    alertas_antes = len(inst.alertas())
    resultado = inst.manage("backup", env={"PEC_BACKUP_PUBLIC_KEY": ""})
    assert resultado.returncode != 0 and "No backup public key configured" in resultado.stderr
    assert inst.backups_registrados()[-1][1] == "erro"
    assert len(inst.alertas()) == alertas_antes + 1


def test_restore_asks_for_the_database_name(instalacao, arquivo_bom):
    inst = instalacao
    resultado = inst.manage("restore", str(arquivo_bom), "--private-key", str(inst.privada), entrada="pec_errado\n")
    assert resultado.returncode != 0 and "Confirmation did not match; nothing done." in resultado.stderr
    assert inst.bancos_extras() == []


def test_restore_without_switch_keeps_the_current_database(instalacao, arquivo_bom):
    inst = instalacao
    saida = inst.ok("restore", str(arquivo_bom), "--private-key", str(inst.privada), entrada=inst.banco + "\n")
    assert f"The installation still uses {inst.banco}" in saida
    extras = inst.bancos_extras()
    assert len(extras) == 1 and "_restaurado_" in extras[0] and extras[0] in saida
    drop_database(settings.DB_ADMIN, extras[0])


def test_the_restore_role_is_createdb_only_and_cannot_open_the_live_database(instalacao):
    """The nightly test restore needs no superuser: its role only creates databases."""
    inst = instalacao
    papel = settings.DB_ROLES["restore"]["USER"]
    atributos = inst.sql(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s", [papel]
    )
    assert atributos == [(False, True, False, False)]
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        _papel("restore", inst.banco)


def test_a_killed_run_leaves_nothing_the_next_run_does_not_clean(instalacao):
    """kill -9 mid-backup leaves a scratch database with every patient, a .part file and a
    row "em andamento" forever; the next run removes them under the lock first."""
    inst = instalacao
    sobra = f"{inst.banco[:24]}_verif_20260101020000_4242"
    with psycopg.connect(
        dbname="postgres",
        host=settings.DB_ADMIN.get("HOST") or None,
        port=settings.DB_ADMIN.get("PORT") or None,
        user=settings.DB_ROLES["restore"]["USER"],
        password=settings.DB_ROLES["restore"]["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'CREATE DATABASE "{sobra}"')
    inst.saida.mkdir(exist_ok=True)
    parciais = [
        inst.saida / "pec-20260101-020000.pecbackup.part",
        inst.saida / "pec-20260101-020000.pecbackup.json.part",
    ]
    for parcial in parciais:
        parcial.write_bytes(b"meio backup")
    inst.ok("shell", "-c", "from pec.models import Backup; Backup.objects.create(origem='automatico')")
    preso = inst.backups_registrados()[-1]
    assert preso[1] == "em_andamento" and sobra in inst.bancos_extras()

    saida = inst.ok("backup")
    assert f"cleanup: dropped scratch database {sobra}" in saida
    assert inst.bancos_extras() == [] and not any(p.exists() for p in parciais)
    assert not list(inst.saida.glob("*.part"))
    estado = inst.sql("SELECT status, erro FROM pec_backup WHERE id = %s", [preso[0]])[0]
    assert estado[0] == "erro" and estado[1].startswith("Interrompido antes de terminar")
    assert inst.backups_registrados()[-1][1:3] == ("sucesso", "ok")


def _forjado(inst: Instalacao, arquivo: Path, pasta: Path, *, assinar_com: Path | None = None) -> Path:
    """A copy as someone with the (public) encryption key could make one: a valid container
    and .sha256, but no signature of the installation's signing key."""
    copia = _copia(arquivo, pasta, com_assinatura=False)
    if assinar_com is not None:
        sha = sha256_arquivo(copia)
        assinatura_gravar(arquivo=copia, sha256=sha, chave=assinatura_privada_carregar(assinar_com))
    return copia


def test_a_backup_without_a_trusted_signature_is_neither_verified_nor_restored(instalacao, arquivo_bom, tmp_path):
    inst = instalacao
    assert Path(str(arquivo_bom) + ".sig").read_text().startswith("ed25519 ")
    sem = _forjado(inst, arquivo_bom, tmp_path / "sem")
    assert "has no signature" in _falha_verificacao(inst, sem, "--private-key", str(inst.privada))
    inst.ok("backup_keygen", "--signing", str(tmp_path / "intruso.pem"), str(tmp_path / "intruso.pub"))
    outra = _forjado(inst, arquivo_bom, tmp_path / "outra", assinar_com=tmp_path / "intruso.pem")
    assert "is not signed by a trusted key" in _falha_verificacao(inst, outra, "--private-key", str(inst.privada))
    resultado = inst.manage("restore", str(outra), "--private-key", str(inst.privada), "--yes")
    assert resultado.returncode != 0 and "is not signed by a trusted key" in resultado.stderr
    assert inst.bancos_extras() == []
    # Without any trusted key the restorer must bring the SHA-256 recorded off the server.
    sem_confianca = {"PEC_BACKUP_TRUSTED_KEYS": ""}
    resultado = inst.manage("verify_backup", str(arquivo_bom), "--private-key", str(inst.privada), env=sem_confianca)
    assert resultado.returncode != 0 and "origin cannot be checked" in resultado.stderr
    errado = inst.manage(
        "verify_backup", str(sem), "--private-key", str(inst.privada), "--sha256", "0" * 64, env=sem_confianca
    )
    assert errado.returncode != 0 and "is not the backup recorded off the server" in errado.stderr
    saida = inst.ok(
        "verify_backup",
        str(sem),
        "--private-key",
        str(inst.privada),
        "--sha256",
        sha256_arquivo(arquivo_bom),
        env=sem_confianca,
    )
    assert "SHA-256 matches the one recorded off the server" in saida and "Backup OK" in saida
    saida = inst.ok("verify_backup", str(arquivo_bom), "--private-key", str(inst.privada))
    assert "signed by the trusted key" in saida


def test_missing_signing_key_fails_with_alert(instalacao):
    inst = instalacao
    resultado = inst.manage("backup", env={"PEC_BACKUP_SIGNING_KEY": ""})
    assert resultado.returncode != 0 and "No backup signing key configured" in resultado.stderr
    assert inst.backups_registrados()[-1][1] == "erro"


def test_nightly_job_copies_and_verifies_the_copy(instalacao, tmp_path):
    inst = instalacao
    saida = inst.ok("backup", "--nightly", env={"PEC_BACKUP_COPY_DIR": str(tmp_path / "nas")})
    assert "copy: " in saida and "verify: OK" in saida
    _, status, verificacao, arquivo, erro = inst.backups_registrados()[-1]
    assert (status, verificacao, erro) == ("sucesso", "ok", "")
    copia = tmp_path / "nas" / Path(arquivo).name
    assert inst.sql("SELECT copiado_para FROM pec_backup ORDER BY id DESC LIMIT 1") == [(str(copia),)]
    assert sha256_arquivo(copia) == sha256_arquivo(Path(arquivo))
    assert (tmp_path / "nas" / (copia.name + ".json")).exists()


# --- In the test database: retention on disk, the 26-hour alarm, the page ----------------------


@pytest.fixture
def admin(db):
    return fabricas.usuario("Ana Admin", administrador_instalacao=True, email="ana@example.org")


def _registro(pasta: Path, quando: datetime, **campos: Any) -> Backup:
    arquivo = pasta / f"pec-{quando:%Y%m%d%H%M}.pecbackup"
    for caminho in arquivos_de(arquivo):
        caminho.write_text("x")
    return Backup.objects.create(
        iniciado_em=quando, finalizado_em=quando, arquivo=str(arquivo), status=campos.pop("status", "sucesso"), **campos
    )


def test_retention_removes_files_and_copies_it_does_not_keep(db, tmp_path, settings):
    settings.BACKUP_RETENCAO = {"diarios": 2, "semanais": 0, "mensais": 0, "anuais": 0}
    agora = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    copias = tmp_path / "copias"
    copias.mkdir()
    velhos = [_registro(tmp_path, agora - timedelta(days=d), verificacao="ok") for d in (0, 1, 2, 3)]
    shutil.copy(velhos[3].arquivo, copias / Path(velhos[3].arquivo).name)
    Backup.objects.filter(pk=velhos[3].pk).update(copiado_para=str(copias / Path(velhos[3].arquivo).name))
    falho_recente = _registro(tmp_path, agora - timedelta(hours=1), status="erro", verificacao="falhou")
    falho_antigo = _registro(tmp_path, agora - timedelta(days=5), status="erro")
    removidos = {b.pk for b in retencao_aplicar(agora=agora)}
    assert removidos == {velhos[2].pk, velhos[3].pk, falho_antigo.pk}
    assert Path(velhos[0].arquivo).exists() and Path(velhos[1].arquivo).exists()
    assert Path(falho_recente.arquivo).exists()  # kept for the admin to look at, not counted
    assert not Path(velhos[3].arquivo).exists() and not Path(velhos[3].arquivo + ".sha256").exists()
    assert list(copias.iterdir()) == []
    assert Backup.objects.get(pk=velhos[3].pk).apagado_em == agora


def test_no_success_in_26_hours_alerts_once(admin):
    cache.delete("pec:backup:atraso-alertado")
    agora = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    Backup.objects.create(  # the last success, 27 hours ago
        iniciado_em=agora - timedelta(hours=27), finalizado_em=agora - timedelta(hours=27), status="sucesso"
    )
    Backup.objects.create(iniciado_em=agora - timedelta(hours=2), status="erro")
    assert backup_verificar_atraso(agora=agora) is True
    assert backup_verificar_atraso(agora=agora) is True
    alertas = list(EmailSaida.objects.filter(assunto__contains="Nenhum backup"))
    assert [a.para for a in alertas] == [["ana@example.org"]]
    assert "20/11/2026 06:00" in alertas[0].corpo  # Brasília time
    Backup.objects.create(iniciado_em=agora - timedelta(hours=1), finalizado_em=agora, status="sucesso")
    assert backup_verificar_atraso(agora=agora) is False
    cache.delete("pec:backup:atraso-alertado")


def test_backup_page_for_installation_admin_only(client, admin, tmp_path):
    agora = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    Backup.objects.create(
        iniciado_em=agora,
        finalizado_em=agora,
        status="erro",
        tamanho=12345,
        verificacao="falhou",
        verificacao_detalhe="audit chain municipio 3: row seq 2 (id 9) hash mismatch",
        erro="Verificação falhou: x",
    )
    client.force_login(admin)
    resposta = client.get("/instalacao/backups/")
    assert resposta.status_code == 200
    texto = resposta.content.decode()
    assert "hash mismatch" in texto and "12,1\xa0KB" in texto and "Nenhum backup bem-sucedido" in texto
    assert 'href="/instalacao/backups/"' in client.get("/").content.decode()  # offered on the home page

    alice = fabricas.usuario("Alice")
    client.force_login(alice)
    assert client.get("/instalacao/backups/").status_code == 403
    client.logout()
    assert client.get("/instalacao/backups/").status_code == 302
