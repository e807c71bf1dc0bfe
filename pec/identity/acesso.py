"""Access control: the one place where permissions are checked.

What a professional may do follows from the perfis of the active lotação
(`request.lotacao`, set by pec.middleware.TenantMiddleware). Views declare what they
need with `requer_lotacao`, `requer_permissao("codigo")` or `requer_admin_instalacao`;
templates read `permissoes` (context processor) only to hide links, never to protect.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from pec.identity.permissoes import PERMISSOES
from pec.models import Lotacao, Perfil

View = Callable[..., HttpResponse]
_CACHE_ATTR = "_pec_permissoes"


def permissoes_da_lotacao(*, lotacao: Lotacao) -> frozenset[str]:
    """Union of the permission codes of the lotação's perfis (one query).

    Codes no longer in the catalogue are ignored, so a stale perfil grants nothing new.
    """
    listas = Perfil.objects.filter(lotacoes=lotacao, municipio_id=lotacao.municipio_id).values_list(
        "permissoes", flat=True
    )
    return frozenset(codigo for lista in listas for codigo in lista if codigo in PERMISSOES)


def permissoes_ativas(request: HttpRequest) -> frozenset[str]:
    """Permissions of the request's active lotação, computed once per request."""
    cached: frozenset[str] | None = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    lotacao = getattr(request, "lotacao", None)
    permissoes = permissoes_da_lotacao(lotacao=lotacao) if lotacao is not None else frozenset()
    setattr(request, _CACHE_ATTR, permissoes)
    return permissoes


def esquecer_permissoes(request: HttpRequest) -> None:
    """Drop the per-request cache (after the active lotação changed)."""
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)


def tem_permissao(request: HttpRequest, codigo: str) -> bool:
    return codigo in permissoes_ativas(request)


def _mfa_exigido(request: HttpRequest) -> bool:
    """Installation administrators (PEC_MFA_ADMIN_INSTALACAO, on by default) and the
    municipal administrators of a municipality that requires it (the default)."""
    if getattr(request.user, "administrador_instalacao", False) and settings.PEC_MFA_ADMIN_INSTALACAO:
        return True
    lotacao = getattr(request, "lotacao", None)
    if lotacao is None or not lotacao.municipio.exigir_mfa_admin:
        return False
    return "admin.municipio" in permissoes_ativas(request)


def mfa_pendente(request: HttpRequest) -> bool:
    """This administrator must use two-step verification and this session has not passed
    it: allauth records the second step of a login; an authenticator enrolled during the
    session proved its code too. A login that skipped the step (another entry path) is
    caught."""
    if not request.user.is_authenticated or not _mfa_exigido(request):
        return False
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.mfa.models import Authenticator

    if any(registro.get("method") == "mfa" for registro in get_authentication_records(request, request.user)):
        return False
    from pec.identity.login import SESSION_INICIO

    inicio = request.session.get(SESSION_INICIO)
    return (
        inicio is None
        or not Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP, created_at__gte=datetime.fromtimestamp(inicio, tz=UTC)
        ).exists()
    )


def exigir_mfa(request: HttpRequest) -> HttpResponse:
    """To enrolment, or to the code of the authenticator already enrolled."""
    from allauth.mfa.models import Authenticator

    if Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
        return redirect_to_login(request.get_full_path(), "mfa_reauthenticate")
    messages.warning(
        request,
        "Administradores precisam da verificação em duas etapas. Ative o aplicativo autenticador para continuar.",
    )
    return redirect("mfa_activate_totp")


def requer_reautenticacao(view: View | None = None, *, tambem_get: bool = True) -> Any:
    """Pages that edit secrets (SMTP, gov.br, certificates, credentials, keys): the
    password or the MFA code again when the last one is older than
    ACCOUNT_REAUTHENTICATION_TIMEOUT (allauth's reauthentication; a suspended POST is
    replayed after it). A login counts as that confirmation for as long: whoever has just
    typed the password (and the code) is not asked for it again on the next page.
    `tambem_get=False` lets a page that also lists things be read."""
    from allauth.account.decorators import reauthentication_required

    decorator = reauthentication_required(allow_get=not tambem_get, enabled=_confirmacao_vencida)
    return decorator(view) if view is not None else decorator


def _confirmacao_vencida(request: HttpRequest) -> bool:
    from allauth.account.internal.flows.login import get_authentication_records

    registros = get_authentication_records(request, request.user)
    return not registros or time.time() - registros[-1]["at"] >= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT


def requer_lotacao(view: View) -> View:
    """The user is logged in and works in an active lotação (else: choose one)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if getattr(request, "lotacao", None) is None:
            return redirect("lotacao_escolher")
        if mfa_pendente(request):
            return exigir_mfa(request)
        return view(request, *args, **kwargs)

    return wrapper


def requer_permissao(codigo: str) -> Callable[[View], View]:
    """The active lotação has permission `codigo` (a code of pec.identity.permissoes.PERMISSOES)."""
    if codigo not in PERMISSOES:
        # Fails at import time: a typo must not silently deny (or allow) anything.
        raise ValueError(f"unknown permission code {codigo!r}")

    def decorator(view: View) -> View:
        @requer_lotacao
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not tem_permissao(request, codigo):
                raise PermissionDenied(f"Seu perfil nesta lotação não permite: {PERMISSOES[codigo]}.")
            return view(request, *args, **kwargs)

        wrapper.permissao_requerida = codigo  # type: ignore[attr-defined]
        return wrapper

    return decorator


def requer_admin_instalacao(view: View) -> View:
    """Installation administrators only; independent of any lotação or municipality."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not request.user.administrador_instalacao:
            raise PermissionDenied("Somente o administrador da instalação pode acessar esta página.")
        if mfa_pendente(request):
            return exigir_mfa(request)
        return view(request, *args, **kwargs)

    return wrapper


# Actions offered on the home page and in the menu: (permission, URL name, label, hint).
# Permission None = installation administrator. An entry is shown only when its URL
# exists, so a feature appears once its app is installed, never as a dead link.
ACOES: list[tuple[str | None, str, str, str]] = [
    ("cidadao.ver", "cidadao_lista", "Cidadãos", "Buscar e consultar o cadastro dos cidadãos"),
    ("agenda.ver", "agenda_ubs", "Agenda", "Agendas dos profissionais da UBS: agendar, remarcar, cancelar"),
    ("fila.ver", "lista_atendimentos", "Lista de atendimentos", "Cidadãos aguardando atendimento na UBS hoje"),
    ("territorio.ver", "territorio_imoveis", "Território", "Logradouros, imóveis e famílias da equipe e da microárea"),
    ("admin.municipio", "admin_profissionais", "Profissionais", "Profissionais, lotações e desbloqueio de acesso"),
    ("admin.municipio", "admin_perfis", "Perfis", "Perfis de acesso e suas permissões"),
    ("admin.municipio", "cnes_importacoes", "Importação CNES", "Importar o XML do CNES e ver o histórico"),
    ("admin.municipio", "rnds_painel", "RNDS", "Envio à RNDS, certificado A1 e registros com erro"),
    ("cidadao.editar", "cadsus_buscar", "Buscar no CADSUS", "Consultar o cadastro nacional e trazer o cidadão"),
    (
        "cds.digitar",
        "cds_fichas",
        "Fichas CDS",
        "Digitar as fichas CDS de papel (visita, atividade coletiva, atendimento domiciliar, consumo alimentar...)",
    ),
    ("auditoria.ver", "auditoria", "Auditoria", "Consultar a trilha de auditoria"),
    ("admin.municipio", "sisab_envio", "Envio ao SISAB", "Contra-chave, destinos, competência e fichas com erro"),
    (
        "competencia.ver",
        "sisab_competencia",
        "Competência SISAB",
        "Fichas do mês por UBS, equipe e profissional: sem ficha, com erro, enviadas, e o prazo",
    ),
    (
        "admin.municipio",
        "sisab_recebimento",
        "Recebimento LEDI",
        "Credenciais, lotes e fichas recebidas de outros sistemas",
    ),
    (None, "instalacao_municipios", "Municípios", "Municípios da instalação, modo e sessão"),
    (None, "instalacao_contas", "Contas de acesso", "E-mail confirmado das contas, para a recuperação de senha"),
    (None, "instalacao_smtp", "E-mail (SMTP)", "Servidor de e-mail da instalação"),
    (None, "instalacao_backups", "Backups", "Histórico e verificação dos backups do banco"),
    (None, "instalacao_govbr", "Login gov.br", "Entrada dos profissionais com a conta gov.br"),
    (
        None,
        "instalacao_auditoria",
        "Auditoria da instalação",
        "Logins, falhas, bloqueios e administração da instalação",
    ),
]


def acoes_disponiveis(request: HttpRequest) -> list[dict[str, str]]:
    """The actions this user may do now, as {"url", "rotulo", "descricao"}."""
    if not request.user.is_authenticated:
        return []
    permissoes = permissoes_ativas(request)
    acoes = []
    for permissao, nome_url, rotulo, descricao in ACOES:
        permitido = request.user.administrador_instalacao if permissao is None else permissao in permissoes
        if not permitido:
            continue
        try:
            url = reverse(nome_url)
        except NoReverseMatch:
            continue
        acoes.append({"url": url, "rotulo": rotulo, "descricao": descricao})
    return acoes


def contexto(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the menu and the home page read from here. A page
    rendered before the authentication middleware ran (a CSRF refusal inside a view
    decorator) has no user: no menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"acoes_menu": acoes_disponiveis(request), "permissoes": permissoes_ativas(request)}
