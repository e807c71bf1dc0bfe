"""Installation-wide accounts: whose e-mail may recover a password, and which
municipalities an account reaches.

One account (one CPF) can work in several municipalities, each of which imports its own
CNES file. So nothing a municipality writes may decide how the account is recovered: an
address from a municipal upload (or a municipal administrator) is never an account's
e-mail. An address counts only once it is verified (allauth's EmailAddress.verified):
the person added it while logged in and followed the link sent to it, or the installation
administrator set it. "Esqueci minha senha" mails only verified addresses.

When a CNES import links an account that already existed to one more municipality, the
account's verified address is told and the link is audited in the chain of every
municipality involved and in the installation's.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.documentos import formatar_cpf
from pec.email import email_enfileirar
from pec.identity.tentativas import tentativas_limpar
from pec.models import Lotacao, Municipio, Usuario
from pec.tenancy import usuario_context


def email_confirmado(*, usuario: Usuario) -> str:
    """The account's verified address (the primary one first), or ""."""
    endereco = (
        EmailAddress.objects.filter(user=usuario, verified=True)
        .order_by("-primary", "id")
        .values_list("email", flat=True)
        .first()
    )
    return endereco or ""


def usuarios_pelo_email_confirmado(*, email: str) -> list[Usuario]:
    """Active accounts for which `email` is a verified address (password reset)."""
    return [
        endereco.user
        for endereco in EmailAddress.objects.filter(email__iexact=email.strip(), verified=True).select_related("user")
        if endereco.user.is_active
    ]


def municipios_da_conta(*, usuario_id: int) -> set[int]:
    """Every municipality where the account holds a lotação (active or not).

    The account's own lotação rows are readable across municipalities under
    usuario_context (the tenant_visible policy), whatever the current tenant.
    """
    with usuario_context(usuario_id):
        return set(Lotacao.objects.filter(usuario_id=usuario_id).values_list("municipio_id", flat=True).distinct())


def conta_somente_do_municipio(*, usuario: Usuario, municipio_id: int) -> bool:
    """The account works in this municipality alone (and administers no installation):
    only then may a municipal administrator act on what is installation-wide, such as
    its login lockout."""
    if usuario.administrador_instalacao:
        return False
    return municipios_da_conta(usuario_id=usuario.id) <= {municipio_id}


@transaction.atomic
def conta_definir_email(*, usuario: Usuario, email: str, ator: Ator) -> EmailAddress:
    """The installation administrator sets a verified address (the person's own, checked
    by other means): it becomes the primary one; the previous verified address is told."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError("Informe um endereço de e-mail válido.") from None
    if EmailAddress.objects.filter(email__iexact=email, verified=True).exclude(user=usuario).exists():
        raise ValidationError("Este e-mail já está confirmado em outra conta.")
    anterior = email_confirmado(usuario=usuario)
    endereco, _ = EmailAddress.objects.get_or_create(user=usuario, email=email)
    endereco.verified = True
    endereco.save(update_fields=["verified"])
    endereco.set_as_primary()
    audit_event(
        evento="conta_email_definido",
        ator=ator,
        instalacao=True,
        detalhes={"usuario_alterado_id": usuario.id, "email": email, "anterior": anterior},
    )
    if anterior and anterior != email:
        email_enfileirar(
            para=[anterior],
            assunto="PEC: o e-mail da sua conta foi alterado",
            corpo=(
                f"O administrador da instalação definiu {email} como o e-mail da sua conta no PEC "
                f"(CPF {formatar_cpf(usuario.cpf)}). A recuperação de senha passa a usar esse endereço.\n"
                "Se você não pediu esta alteração, procure o administrador da instalação."
            ),
        )
    return endereco


@transaction.atomic
def conta_desbloquear(*, usuario: Usuario, ator: Ator) -> int:
    """The installation administrator clears an account's login lockout (any account)."""
    removidas = tentativas_limpar(username=usuario.cpf)
    audit_event(
        evento="desbloqueio",
        ator=ator,
        instalacao=True,
        detalhes={"usuario_desbloqueado_id": usuario.id, "registros_removidos": removidas},
    )
    return removidas


def contas_vinculadas_registrar(*, municipio: Municipio, usuario_ids: list[int], ator: Ator) -> None:
    """Record that accounts which already existed now also work in `municipio`.

    Audited in this municipality's chain, in the chain of each other municipality of the
    account and in the installation's; the account's verified address is told, so the
    person learns of a link they did not expect. The chains are appended to in one order
    (installation first, then by municipality), so two imports linking each other's
    accounts at the same time cannot deadlock on the chains' locks.
    """
    eventos: list[tuple[int, dict[str, Any]]] = []
    usuarios = list(Usuario.objects.filter(id__in=usuario_ids).order_by("id"))
    for usuario in usuarios:
        outros = sorted(municipios_da_conta(usuario_id=usuario.id) - {municipio.id})
        detalhes = {
            "acao": "conta_vinculada",
            "usuario_vinculado_id": usuario.id,
            "municipio_novo_id": municipio.id,
            "outros_municipios": outros,
        }
        eventos.extend((cadeia, detalhes) for cadeia in [0, municipio.id, *outros])
    for cadeia, detalhes in sorted(eventos, key=lambda evento: evento[0]):
        audit_event(
            evento="conta_vinculada",
            ator=ator,
            detalhes=detalhes,
            **({"instalacao": True} if cadeia == 0 else {"municipio_id": cadeia}),
        )
    for usuario in usuarios:
        endereco = email_confirmado(usuario=usuario)
        if endereco:
            email_enfileirar(
                para=[endereco],
                assunto=f"PEC: seu acesso foi vinculado a {municipio}",
                corpo=(
                    f"A importação do CNES de {municipio} vinculou a sua conta do PEC "
                    f"(CPF {formatar_cpf(usuario.cpf)}) às lotações desse município.\n"
                    "Se você não trabalha nesse município, avise o administrador da instalação."
                ),
            )
