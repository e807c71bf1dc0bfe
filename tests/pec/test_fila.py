"""pec.fila, the engine the e-mail queue and the outbox share: the policy's arithmetic.
The claim under concurrency is pinned by tests/pec/test_outbox.py and test_email.py."""

from datetime import timedelta

from pec.fila import ERRO, PENDENTE, Fila

FILA = Fila(max_tentativas=3, primeira_espera=timedelta(minutes=1), espera_maxima=timedelta(hours=1))


def test_backoff_doubles_up_to_the_cap_for_any_number_of_attempts():
    assert [FILA.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert FILA.backoff(7) == timedelta(hours=1)
    assert FILA.backoff(5000) == timedelta(hours=1)  # a row retried for months: no overflow


def test_jitter_stays_within_its_fraction():
    com_jitter = Fila(
        max_tentativas=3, primeira_espera=timedelta(seconds=100), espera_maxima=timedelta(hours=1), jitter=0.25
    )
    assert all(timedelta(seconds=75) <= com_jitter.backoff(1) <= timedelta(seconds=125) for _ in range(50))


def test_a_failure_gives_up_after_the_last_attempt_unless_told_not_to():
    erro = ConnectionError("x" * 5000)
    assert FILA.falha(tentativas=2, erro=erro)["status"] == PENDENTE
    ultima = FILA.falha(tentativas=3, erro=erro)
    assert ultima["status"] == ERRO and ultima["tentativas"] == 3
    assert ultima["ultimo_erro"].startswith("ConnectionError: x") and len(ultima["ultimo_erro"]) == 4000
    assert FILA.falha(tentativas=30, erro=erro, desistir=False)["status"] == PENDENTE
