"""Charlie should have no access to Alice's stuff, on every URL of the project.

Every pattern of the URLconf that takes a parameter names an object; each needs either a
builder in CONSTRUTORES (an object of municipality A behind that URL) or a reason in
SEM_DONO (its parameter is not municipal data). A new URL with neither fails the first
test, so the isolation guard grows with the URLconf. For each builder, Charlie
(municipality B, with every perfil of his municipality) gets 404 and changes nothing in A,
while A's own user (with every perfil too) gets the page: the 404 is about ownership."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cds.models import FichaCds, FichaCdsLinha
from cnes_import.models import ImportacaoCnes
from pec.identity.permissoes import PERFIS_PADRAO
from pec.models import EventoAuditoria, Perfil, Profissional
from pec.outbox import outbox_registrar
from pec.tenancy import TenantModel, tenant_context
from prontuario.agenda import lista
from prontuario.agenda import services as agenda
from rnds.models import CertificadoA1
from sisab import envio
from sisab.models import EntregaSisab, FichaSisab
from sisab.recebimento import credencial_emitir
from tests import mundo as fabricas
from tests.cds import test_territorio as territorio
from tests.mundo import Mundo

pytestmark = pytest.mark.django_db

Construtor = Callable[[Mundo], dict[str, Any]]


def padroes(resolvedor: URLResolver | None = None, herdados: bool = False) -> Iterator[tuple[str, bool]]:
    """(url name, takes a parameter) for every named pattern, through every include."""
    resolvedor = resolvedor or get_resolver("config.urls")
    for padrao in resolvedor.url_patterns:
        com_parametro = herdados or _tem_parametro(padrao)
        if isinstance(padrao, URLResolver):
            yield from padroes(padrao, com_parametro)
        elif isinstance(padrao, URLPattern) and padrao.name:
            yield padrao.name, com_parametro


def _tem_parametro(padrao: URLPattern | URLResolver) -> bool:
    return bool(getattr(padrao.pattern, "converters", None) or padrao.pattern.regex.groupindex)


# --- objects of municipality A, one kind per URL -------------------------------------------------


def _cidadao(m: Mundo) -> dict[str, Any]:
    return {"cidadao_id": fabricas.cidadao(m.alice).id}


def _entrada(m: Mundo) -> dict[str, Any]:
    return {"entrada_id": fabricas.na_fila(fabricas.cidadao(m.alice), m.alice).id}


def _atendimento(m: Mundo) -> dict[str, Any]:
    return {"atendimento_id": fabricas.atendimento_finalizado(fabricas.cidadao(m.alice), m.bob).id}


def _rascunho(m: Mundo) -> dict[str, Any]:
    return {"atendimento_id": fabricas.atendimento_rascunho(fabricas.cidadao(m.alice), m.bob).id}


def _documento(m: Mundo) -> dict[str, Any]:
    return {**_atendimento(m), "tipo": "exames"}


def _vacinacao(m: Mundo) -> dict[str, Any]:
    return {"vacinacao_id": fabricas.vacinacao(fabricas.cidadao(m.alice), m.bob).id}


def _inicio_amanha() -> datetime.datetime:
    dia = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(dia, datetime.time(8)))


def _agenda(m: Mundo) -> dict[str, Any]:
    with tenant_context(m.a.id):
        agenda.agenda_configurar(
            agenda=m.bob, duracao_minutos=20, periodos=[(d, datetime.time(8), datetime.time(12)) for d in range(7)]
        )
    return {"agenda_id": m.bob.id}


def _bloqueio(m: Mundo) -> dict[str, Any]:
    _agenda(m)
    inicio = _inicio_amanha()
    with tenant_context(m.a.id):
        bloqueio = agenda.agenda_bloquear(
            agenda=m.bob, inicio=inicio, fim=inicio + datetime.timedelta(hours=1), motivo="Reunião", por=m.alice
        )
    return {"bloqueio_id": bloqueio.id}


def _agendamento(m: Mundo) -> dict[str, Any]:
    _agenda(m)
    maria = fabricas.cidadao(m.alice)
    with tenant_context(m.a.id):
        agendamento = agenda.agendar(agenda=m.bob, cidadao=maria, inicio=_inicio_amanha(), por=m.alice)
    return {"agendamento_id": agendamento.id}


def _entrada_da_lista(m: Mundo) -> dict[str, Any]:
    maria = fabricas.cidadao(m.alice)
    with tenant_context(m.a.id):
        return {"entrada_id": lista.lista_adicionar(por=m.alice, cidadao=maria).id}


def _importacao(m: Mundo) -> dict[str, Any]:
    with tenant_context(m.a.id):
        importacao = ImportacaoCnes.objects.create(
            municipio=m.a,
            origem=ImportacaoCnes.Origem.WEB,
            arquivo_nome="cnes.xml",
            arquivo_sha256="0" * 64,
            simulacao=True,
            status=ImportacaoCnes.Status.CONCLUIDA,
        )
    return {"importacao_id": importacao.id}


def _certificado(m: Mundo) -> dict[str, Any]:
    agora = timezone.now()
    with tenant_context(m.a.id):
        certificado = CertificadoA1.objects.create(
            municipio=m.a,
            arquivo_cifrado="-",
            senha_cifrada="-",
            titular="PREFEITURA A",
            emissor="AC Teste",
            valido_de=agora - datetime.timedelta(days=1),
            valido_ate=agora + datetime.timedelta(days=365),
            impressao_digital="0" * 64,
        )
    return {"certificado_id": certificado.id}


def _envio_rnds(m: Mundo) -> dict[str, Any]:
    atendimento = fabricas.atendimento_finalizado(fabricas.cidadao(m.alice), m.bob)
    with tenant_context(m.a.id):
        item = outbox_registrar(
            municipio=m.a, destino="rnds", tipo="rac", chave=f"rac:{atendimento.uuid}", objeto=atendimento
        )
    return {"item_id": item.id}


def _ficha_sisab(m: Mundo) -> dict[str, Any]:
    with tenant_context(m.a.id):
        Profissional.objects.filter(id=m.bob.profissional_id).update(cns=fabricas.cns_provisorio())
    fabricas.instalacao_sisab(m.a)
    maria = fabricas.cidadao(m.alice, nome="MARIA JOSE DA SILVA", cpf=fabricas.cpf())
    fabricas.atendimento_finalizado(maria, fabricas.recarregar(m.bob))
    envio.fichas_gerar(municipio_id=m.a.id)
    with tenant_context(m.a.id):
        return {"ficha_id": FichaSisab.objects.filter(origem="atendimento").first().id}


def _destino_sisab(m: Mundo) -> dict[str, Any]:
    """A destination with a delivery in error, which "reenviar" would queue again."""
    destino = fabricas.destino_sisab(m.a)
    ficha_id = _ficha_sisab(m)["ficha_id"]
    with tenant_context(m.a.id):
        EntregaSisab.objects.create(
            municipio=m.a,
            ficha_id=ficha_id,
            destino=destino,
            status=EntregaSisab.Status.ERRO,
            ultimo_erro="400: CNS inválido",
        )
    return {"destino_id": destino.id}


def _credencial(m: Mundo) -> dict[str, Any]:
    with tenant_context(m.a.id):
        credencial, _ = credencial_emitir(
            municipio_id=m.a.id,
            nome="Servidor local",
            responsavel="Fulano",
            documento="12345678000199",
            email="ti@exemplo.gov.br",
            por=m.alice.usuario,
        )
    return {"credencial_id": credencial.id}


def _lote(m: Mundo) -> dict[str, Any]:
    return {"lote_id": fabricas.lote_recebido(m.a).id}


def _ficha_cds(m: Mundo) -> dict[str, Any]:
    """An atividade coletiva credited to Bob (a médico: a CBO that may type it), as its page
    saves it, with Maria as a participant."""
    maria = fabricas.cidadao(m.alice, cpf=fabricas.cpf())
    with tenant_context(m.a.id):
        ficha = FichaCds(municipio=m.a, tipo=6, lotacao=m.bob, data_atendimento=timezone.localdate(), turno=1)
        ficha.uuid_originadora = ficha.uuid
        ficha.dados = {"atividadeTipo": 5, "numParticipantes": 3, "publicoAlvo": [1], "temasParaSaude": [1]}
        ficha.save()
        FichaCdsLinha.objects.create(
            municipio=m.a, ficha=ficha, ordem=0, cidadao=maria, dados={"cpfParticipante": maria.cpf, "sexo": 1}
        )
    return {"ficha_id": ficha.id}


def _logradouro(m: Mundo) -> dict[str, Any]:
    return {"logradouro_id": territorio.logradouro(m.bob).id}


def _imovel(m: Mundo) -> dict[str, Any]:
    return {"imovel_id": territorio.imovel(m.bob).id}


def _familia(m: Mundo) -> dict[str, Any]:
    return {"familia_id": territorio.familia(m.bob).id}


def _perfil(m: Mundo) -> dict[str, Any]:
    with tenant_context(m.a.id):
        return {"perfil_id": Perfil.objects.get(municipio=m.a, codigo="medico").id}


CONSTRUTORES: dict[str, Construtor] = {
    # CNES import
    "cnes_importacao": _importacao,
    "cnes_importacao_aplicar": _importacao,
    "cnes_importacao_descartar": _importacao,
    # RNDS
    "rnds_certificado": _certificado,
    "rnds_reenviar": _envio_rnds,
    # SISAB: LEDI received and sent
    "sisab_credencial_desativar": _credencial,
    "sisab_lote": _lote,
    "sisab_lote_pendentes": _lote,
    "sisab_destino_desativar": _destino_sisab,
    "sisab_destino_reenviar": _destino_sisab,
    "sisab_ficha": _ficha_sisab,
    # CDS fichas typed at the UBS
    "cds_ficha": _ficha_cds,
    "cds_ficha_editar": _ficha_cds,
    "cds_ficha_cancelar": _ficha_cds,
    # the municipality's administration
    "admin_profissional": lambda m: {"profissional_id": m.bob.profissional_id},
    "admin_profissional_registro": lambda m: {"profissional_id": m.bob.profissional_id},
    "admin_profissional_desbloquear": lambda m: {"profissional_id": m.bob.profissional_id},
    "admin_lotacao_ativa": lambda m: {"lotacao_id": m.bob.id},
    "admin_lotacao_perfis": lambda m: {"lotacao_id": m.bob.id},
    "admin_perfil": _perfil,
    "admin_perfil_copiar": _perfil,
    # the clinic
    "prontuario_escuta": _entrada,
    "prontuario_folha_rosto": _cidadao,
    "prontuario_historico": _cidadao,
    "prontuario_atendimento_iniciar": _cidadao,
    "prontuario_vacinacao": _cidadao,
    "prontuario_atendimento": _atendimento,
    "prontuario_atendimento_rascunho": _rascunho,
    "prontuario_atendimento_assumir": _rascunho,
    "prontuario_atendimento_adendo": _atendimento,
    "prontuario_documento": _documento,
    "prontuario_vacinacao_corrigir": _vacinacao,
    "prontuario_vacinacao_excluir": _vacinacao,
    # the registry, the agenda and the day's list
    "cidadao_detalhe": _cidadao,
    "cidadao_editar": _cidadao,
    "cidadao_historico": _cidadao,
    "cidadao_unificar": _cidadao,
    "lista_adicionar": _cidadao,
    "agenda_profissional": _agenda,
    "agenda_configurar": _agenda,
    "agenda_bloqueios": _agenda,
    "agenda_desbloquear": _bloqueio,
    "agendar": _agenda,
    "agendamento_detalhe": _agendamento,
    "agendamento_comprovante": _agendamento,
    "agendamento_acao": lambda m: {**_agendamento(m), "acao": "cancelar"},
    "lista_situacao": _entrada_da_lista,
    # the territory (cds)
    "territorio_logradouro": _logradouro,
    "territorio_imovel": _imovel,
    "territorio_imovel_editar": _imovel,
    "territorio_familia_nova": _imovel,
    "territorio_familia": _familia,
    "territorio_familia_dados": _familia,
    "territorio_familia_membro": _familia,
    "territorio_familia_saida": _familia,
    "territorio_familia_responsavel": _familia,
    "territorio_familia_mudanca": _familia,
}

_INSTALACAO = (
    "the installation administrator's page: it manages every municipality and account by design, "
    "and municipal users get 403 (tests/pec/test_admin_views.py)"
)
SEM_DONO: dict[str, str] = {
    "account_confirm_email": "allauth's e-mail confirmation key: a signed token, not a row id",
    "account_reset_password_from_key": "allauth's password reset key: a signed token, not a row id",
    "openid_connect_login": "the gov.br provider's name, the same for every municipality",
    "openid_connect_callback": "the gov.br provider's name, the same for every municipality",
    "govbr_saida": "a one-time key kept in the user's own session (tests/pec/test_govbr.py)",
    "prontuario_terminologia": "a national code table (CIAP2, CID-10, ...), shared by every municipality",
    "cds_ficha_nova": "a LEDI tipo de ficha code, the same for every municipality (the CBO decides: tests/cds)",
    "instalacao_municipio": _INSTALACAO,
    "instalacao_conta_email": _INSTALACAO,
    "instalacao_conta_desbloquear": _INSTALACAO,
}

# What a view needs besides its id for A's user to get the page (GET query or POST form).
DADOS: dict[str, dict[str, str]] = {
    "agendar": {"inicio": "amanha"},
    "agendamento_acao": {"motivo": "Cidadão pediu"},
    "lista_situacao": {"situacao": "cancelado"},
    "prontuario_atendimento_rascunho": {"versao": "1", "subjetivo": "Febre."},
}

# A's user who gets the page, when Alice (with every perfil) is not the one: only the
# author of a draft may save it; only a lotação whose CBO may type a CDS ficha corrects or
# cancels it (Alice is recepção).
DONO: dict[str, str] = {
    "prontuario_atendimento_rascunho": "bob",
    "cds_ficha_editar": "bob",
    "cds_ficha_cancelar": "bob",
}


def test_every_url_with_a_parameter_has_a_builder_or_a_reason():
    """A new URL with an id fails here until it gets a builder (and so the 404 test)."""
    com_parametro = {nome for nome, parametro in padroes() if parametro}
    sem_construtor = sorted(com_parametro - set(CONSTRUTORES) - set(SEM_DONO))
    assert sem_construtor == [], (
        f"URLs com parâmetro sem construtor em CONSTRUTORES nem motivo em SEM_DONO: {sem_construtor}"
    )
    assert set(CONSTRUTORES) | set(SEM_DONO) <= com_parametro, "entradas de URLs que não existem mais"
    assert not set(CONSTRUTORES) & set(SEM_DONO)


def _com_todos_os_perfis(m: Mundo) -> tuple[Client, Client]:
    """Alice (A) and Charlie (B) with every perfil of their municipality, logged in."""
    for lotacao in (m.alice, m.charlie):
        with tenant_context(lotacao.municipio_id):
            tem = set(lotacao.perfis.values_list("codigo", flat=True))
        fabricas.dar_perfis(lotacao, [codigo for codigo in PERFIS_PADRAO if codigo not in tem])
    return fabricas.entrar(m.alice), fabricas.entrar(m.charlie)


def foto(municipio_id: int) -> dict[str, list[str]]:
    """Every row of the municipality, but the audit trail (which records Charlie's tries)."""
    with tenant_context(municipio_id):
        return {
            modelo._meta.label: sorted(
                repr(linha) for linha in modelo._default_manager.filter(municipio_id=municipio_id).values_list()
            )
            for modelo in apps.get_models()
            if issubclass(modelo, TenantModel) and modelo._meta.label != EventoAuditoria._meta.label
        }


def _dados(nome: str) -> dict[str, str]:
    dados = dict(DADOS.get(nome, {}))
    if dados.get("inicio") == "amanha":
        dados["inicio"] = (_inicio_amanha() + datetime.timedelta(hours=1)).isoformat()
    return dados


@pytest.mark.parametrize("nome", sorted(CONSTRUTORES))
def test_another_municipality_gets_404_and_changes_nothing(mundo, nome):
    alice, charlie = _com_todos_os_perfis(mundo)
    url = reverse(nome, kwargs=CONSTRUTORES[nome](mundo))
    dados = _dados(nome)
    antes = foto(mundo.a.id)

    respostas = {metodo: getattr(charlie, metodo)(url, dados).status_code for metodo in ("get", "post")}
    # 405: the view does not take that method at all, before it reads any id.
    assert set(respostas.values()) <= {404, 405} and 404 in respostas.values(), respostas
    assert foto(mundo.a.id) == antes

    # The same URL works for A's own user, so the 404 is about ownership.
    metodo = "get" if respostas["get"] == 404 else "post"
    dono = fabricas.entrar(mundo.bob) if DONO.get(nome) == "bob" else alice
    resposta = getattr(dono, metodo)(url, dados)
    assert resposta.status_code in (200, 302), (metodo, resposta.status_code)
    if resposta.status_code == 302:
        assert not resposta.url.startswith(("/conta/login", "/lotacao")), resposta.url
