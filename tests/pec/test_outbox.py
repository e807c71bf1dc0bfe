"""The outbox: rows live and die with their record's transaction, and delivery survives
refusals, outages and concurrent workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from pec import outbox
from pec.models import Estabelecimento, Municipio, Outbox
from pec.tenancy import tenant_context
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db


@pytest.fixture
def municipio():
    return fabricas.municipio("A")


@pytest.fixture
def registro(municipio):
    """Any committed record stands in for a finalised atendimento here."""
    return fabricas.estabelecimento(municipio)


@pytest.fixture
def entregas():
    """A deliverer for the test destination: records calls, answers as told."""
    chamadas: list[int] = []
    respostas: list[dict | Exception] = []

    def entregar(item: Outbox) -> dict:
        chamadas.append(item.id)
        resposta = respostas.pop(0) if respostas else {"id": f"remoto-{item.id}"}
        if isinstance(resposta, Exception):
            raise resposta
        return resposta

    outbox.registrar_entregador("teste", entregar)
    yield chamadas, respostas
    outbox._entregadores.pop("teste", None)


def registrar(municipio: Municipio, registro: Estabelecimento, chave: str = "k1") -> Outbox:
    with tenant_context(municipio.id):
        return outbox.outbox_registrar(municipio=municipio, destino="teste", tipo="rac", chave=chave, objeto=registro)


def estado(municipio: Municipio, item: Outbox) -> Outbox:
    with tenant_context(municipio.id):
        return Outbox.objects.get(id=item.id)


def test_row_is_written_with_the_record(municipio, registro):
    item = registrar(municipio, registro)
    assert item.status == Outbox.Status.PENDENTE
    assert (item.objeto_tipo, item.objeto_id) == ("pec.estabelecimento", registro.id)


def test_no_row_when_the_record_transaction_rolls_back(municipio):
    class Falha(Exception):
        pass

    with pytest.raises(Falha), tenant_context(municipio.id):
        registro = Estabelecimento.objects.create(municipio=municipio, cnes="7654321", nome="UBS")
        outbox.outbox_registrar(municipio=municipio, destino="teste", tipo="rac", chave="x", objeto=registro)
        raise Falha
    with tenant_context(municipio.id):
        assert not Outbox.objects.exists()
        assert not Estabelecimento.objects.exists()


def test_outside_a_transaction_registering_is_refused(municipio, registro):
    connections["default"].in_atomic_block, antes = False, connections["default"].in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            outbox.outbox_registrar(municipio=municipio, destino="teste", tipo="rac", chave="y", objeto=registro)
    finally:
        connections["default"].in_atomic_block = antes


def test_same_key_twice_is_one_row(municipio, registro):
    assert registrar(municipio, registro).id == registrar(municipio, registro).id


def test_training_municipality_rows_are_never_delivered(registro, entregas):
    treino = fabricas.municipio("Treino", modo=Municipio.Modo.TREINAMENTO)
    outro = fabricas.estabelecimento(treino)
    item = registrar(treino, outro)
    assert item.status == Outbox.Status.TREINAMENTO
    assert outbox.outbox_drenar(municipio_id=treino.id, destino="teste") == {}
    assert entregas[0] == []


def test_delivery_records_the_answer(municipio, registro, entregas):
    item = registrar(municipio, registro)
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"enviado": 1}
    item = estado(municipio, item)
    assert item.status == Outbox.Status.ENVIADO
    assert item.resposta == {"id": f"remoto-{item.id}"}
    assert item.tentativas == 1 and item.enviado_em is not None
    # Delivered rows are never sent again.
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {}


def test_transient_failure_is_retried_later_with_backoff(municipio, registro, entregas):
    chamadas, respostas = entregas
    respostas.append(ConnectionError("receiver down"))
    item = registrar(municipio, registro)
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"pendente": 1}
    item = estado(municipio, item)
    assert item.tentativas == 1 and "receiver down" in item.ultimo_erro
    assert timezone.now() + timedelta(seconds=20) < item.proxima_tentativa < timezone.now() + timedelta(seconds=40)
    # Not due yet: nothing happens.
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {}
    with tenant_context(municipio.id):
        Outbox.objects.filter(id=item.id).update(proxima_tentativa=timezone.now())
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"enviado": 1}
    assert chamadas == [item.id, item.id]


def test_refusal_goes_to_dead_letter_at_once_and_can_be_resent(municipio, registro, entregas):
    _, respostas = entregas
    respostas.append(outbox.Recusado("ERR793: regra violada"))
    item = registrar(municipio, registro)
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"erro": 1}
    assert estado(municipio, item).ultimo_erro == "ERR793: regra violada"
    assert outbox.outbox_reenviar(municipio_id=municipio.id, ids=[item.id]) == 1
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"enviado": 1}


def test_too_many_failures_end_in_dead_letter(municipio, registro, entregas):
    _, respostas = entregas
    item = registrar(municipio, registro)
    with tenant_context(municipio.id):
        Outbox.objects.filter(id=item.id).update(tentativas=outbox.MAX_TENTATIVAS - 1)
    respostas.append(TimeoutError("slow"))
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="teste") == {"erro": 1}


def test_without_deliverer_rows_wait(municipio, registro):
    with tenant_context(municipio.id):
        item = outbox.outbox_registrar(municipio=municipio, destino="ainda-nao", tipo="x", chave="z", objeto=registro)
    assert outbox.outbox_drenar(municipio_id=municipio.id, destino="ainda-nao") == {"pendente": 1}
    assert estado(municipio, item).status == Outbox.Status.PENDENTE


def test_backoff_grows_and_is_capped():
    assert timedelta(seconds=22) <= outbox.backoff(1) <= timedelta(seconds=38)
    assert timedelta(minutes=6) <= outbox.backoff(5) <= timedelta(minutes=10)
    assert outbox.backoff(40) <= timedelta(hours=7.5)


def em_outra_conexao(func):  # type: ignore[no-untyped-def]
    """Run func in a thread: its own database connection, autocommit, outside the test's
    transaction (so what it writes is committed and what it locks is really locked)."""
    resultado: list[object] = []
    erros: list[BaseException] = []

    def alvo() -> None:
        try:
            resultado.append(func())
        except BaseException as exc:  # re-raised in the test thread
            erros.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=alvo)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the other connection hung"
    if erros:
        raise erros[0]
    return resultado[0]


def test_a_claimed_row_is_skipped_by_another_worker():
    def criar():  # type: ignore[no-untyped-def]
        municipio = fabricas.municipio("Concorrente")
        registro = fabricas.estabelecimento(municipio)
        return municipio, registrar(municipio, registro)

    municipio, item = em_outra_conexao(criar)
    bloqueado, liberar = threading.Event(), threading.Event()

    def worker_1() -> None:
        try:
            with tenant_context(municipio.id):
                # Holds the row, as _reivindicar does between its SELECT and UPDATE.
                Outbox.objects.select_for_update().get(id=item.id)
                bloqueado.set()
                liberar.wait(timeout=20)
        finally:
            connection.close()

    def reivindicar():  # type: ignore[no-untyped-def]
        return outbox._reivindicar(municipio_id=municipio.id, destino="teste", limite=10)

    thread = threading.Thread(target=worker_1)
    thread.start()
    try:
        assert bloqueado.wait(timeout=20)
        assert em_outra_conexao(reivindicar) == []  # skipped, not waited for
        liberar.set()
        thread.join(timeout=20)
        # Released: another worker claims it and pushes it a lease ahead of everyone else.
        assert [row.id for row in em_outra_conexao(reivindicar)] == [item.id]
        assert em_outra_conexao(reivindicar) == []
    finally:
        liberar.set()
        thread.join(timeout=20)

        def limpar() -> None:
            with tenant_context(municipio.id):
                Outbox.objects.filter(municipio=municipio).delete()
                Estabelecimento.objects.filter(municipio=municipio).delete()
            Municipio.objects.filter(id=municipio.id).delete()

        em_outra_conexao(limpar)


def test_broker_down_after_commit_is_logged_not_raised(
    municipio, registro, broker_fora_do_ar, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True) as nudges:
        item = registrar(municipio, registro)
    assert len(nudges) == 1  # the nudge ran, met the closed port, and did not raise
    assert "the sweeper will pick it up" in caplog.text and "outbox_drenar_task" in caplog.text
    assert estado(municipio, item).status == Outbox.Status.PENDENTE
