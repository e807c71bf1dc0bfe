"""Administrative writes (municipal and installation administrators).

Each service runs in one transaction with its audit event: if the audit write fails,
the change is undone. Changes that could leave a municipality without any active
administrator are refused, so an administrator cannot lock everyone out by mistake.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from pec.administracao.selectors import lotacoes_administradoras
from pec.ator import Ator
from pec.audit.chain import audit_event
from pec.email import smtp_salvar
from pec.identity.contas import conta_somente_do_municipio
from pec.identity.permissoes import PERMISSOES, perfis_garantir_padrao
from pec.identity.tentativas import tentativas_limpar
from pec.models import ConfiguracaoSMTP, Lotacao, Municipio, Perfil, Profissional
from pec.tenancy import assert_owned, tenant_context


def _garantir_administrador(*, municipio_id: int) -> None:
    if not lotacoes_administradoras(municipio_id=municipio_id).exists():
        raise ValidationError(
            "Alteração recusada: o município ficaria sem nenhum administrador ativo "
            "(nenhuma lotação ativa com a permissão de administrar o município)."
        )


def _auditar(ator: Ator, municipio_id: int | None, acao: str, **detalhes: object) -> None:
    audit_event(evento="admin_alteracao", ator=ator, municipio_id=municipio_id, detalhes={"acao": acao, **detalhes})


@transaction.atomic
def lotacao_definir_ativa(*, lotacao: Lotacao, ativo: bool, ator: Ator) -> Lotacao:
    assert_owned(lotacao, ator.municipio_id)
    if lotacao.ativo == ativo:
        return lotacao
    lotacao.ativo = ativo
    lotacao.save(update_fields=["ativo"])
    if not ativo:
        _garantir_administrador(municipio_id=lotacao.municipio_id)
    _auditar(
        ator,
        lotacao.municipio_id,
        "lotacao_ativada" if ativo else "lotacao_desativada",
        lotacao_id=lotacao.id,
        profissional_id=lotacao.profissional_id,
    )
    return lotacao


@transaction.atomic
def lotacao_definir_perfis(*, lotacao: Lotacao, perfis: list[Perfil], ator: Ator) -> Lotacao:
    """Replace the lotação's perfis; a later CNES import keeps them (perfis_editados)."""
    municipio_id = ator.municipio_exigido()
    assert_owned(lotacao, municipio_id)
    for perfil in perfis:
        assert_owned(perfil, municipio_id)
    if not perfis:
        raise ValidationError("Escolha ao menos um perfil; para retirar o acesso, desative a lotação.")
    antes = sorted(lotacao.perfis.values_list("codigo", flat=True))
    lotacao.perfis.set(perfis, through_defaults={"municipio_id": municipio_id})
    lotacao.perfis_editados = True
    lotacao.save(update_fields=["perfis_editados"])
    _garantir_administrador(municipio_id=municipio_id)
    _auditar(
        ator,
        municipio_id,
        "lotacao_perfis",
        lotacao_id=lotacao.id,
        antes=antes,
        depois=sorted(perfil.codigo for perfil in perfis),
    )
    return lotacao


def _codigo_livre(*, municipio_id: int, base: str) -> str:
    base = slugify(base)[:30] or "perfil"
    existentes = set(Perfil.objects.filter(municipio_id=municipio_id).values_list("codigo", flat=True))
    candidato, n = base, 1
    while candidato in existentes:
        n += 1
        candidato = f"{base}-{n}"
    return candidato


@transaction.atomic
def perfil_copiar(*, perfil: Perfil, ator: Ator) -> Perfil:
    municipio_id = ator.municipio_exigido()
    assert_owned(perfil, municipio_id)
    copia = Perfil.objects.create(
        municipio_id=municipio_id,
        codigo=_codigo_livre(municipio_id=municipio_id, base=f"{perfil.codigo}-copia"),
        nome=f"{perfil.nome} (cópia)"[:80],
        permissoes=list(perfil.permissoes),
        padrao=False,
    )
    _auditar(ator, municipio_id, "perfil_copiado", perfil_id=copia.id, origem_id=perfil.id)
    return copia


@transaction.atomic
def perfil_salvar(*, perfil: Perfil, nome: str, permissoes: list[str], ator: Ator) -> Perfil:
    municipio_id = ator.municipio_exigido()
    assert_owned(perfil, municipio_id)
    desconhecidas = sorted(set(permissoes) - set(PERMISSOES))
    if desconhecidas:
        raise ValidationError(f"Permissões desconhecidas: {', '.join(desconhecidas)}.")
    antes = {"nome": perfil.nome, "permissoes": list(perfil.permissoes)}
    perfil.nome = nome.strip()
    perfil.permissoes = sorted(set(permissoes))
    perfil.save(update_fields=["nome", "permissoes"])
    _garantir_administrador(municipio_id=municipio_id)
    _auditar(
        ator,
        municipio_id,
        "perfil_alterado",
        perfil_id=perfil.id,
        antes=antes,
        depois={"nome": perfil.nome, "permissoes": perfil.permissoes},
    )
    return perfil


@transaction.atomic
def profissional_desbloquear(*, profissional: Profissional, ator: Ator) -> int:
    """Clear the failed-login counters of the professional's CPF (every address).

    The lockout is installation-wide: a municipal administrator may clear it only for an
    account that works in their municipality alone; the installation's chain records it too.
    """
    municipio_id = ator.municipio_exigido()
    assert_owned(profissional, municipio_id)
    if not conta_somente_do_municipio(usuario=profissional.usuario, municipio_id=municipio_id):
        raise ValidationError(
            "Esta conta também é usada em outro município (ou administra a instalação): "
            "o desbloqueio é feito pelo administrador da instalação."
        )
    removidas = tentativas_limpar(username=profissional.cpf)
    detalhes = {
        "profissional_id": profissional.id,
        "usuario_desbloqueado_id": profissional.usuario_id,
        "registros_removidos": removidas,
    }
    # The installation's chain first: chains are always locked in the same order.
    audit_event(evento="desbloqueio", ator=ator, instalacao=True, detalhes={**detalhes, "municipio_id": municipio_id})
    audit_event(evento="desbloqueio", ator=ator, municipio_id=municipio_id, detalhes=detalhes)
    return removidas


CAMPOS_REGISTRO_PROFISSIONAL = ("cns", "conselho", "registro_conselho", "uf_conselho")


@transaction.atomic
def profissional_alterar_registro(*, profissional: Profissional, dados: dict[str, str], ator: Ator) -> Profissional:
    """The CNS and council registration the CNES file lacked (the RNDS needs the CNS of whoever
    signs a record). Audited with the values before and after. Raises ValidationError."""
    municipio_id = ator.municipio_exigido()
    assert_owned(profissional, municipio_id)
    novos = {campo: dados.get(campo, "").strip() for campo in CAMPOS_REGISTRO_PROFISSIONAL}
    outro = (
        Profissional.objects.filter(municipio_id=municipio_id, cns=novos["cns"]).exclude(pk=profissional.pk).first()
        if novos["cns"]
        else None
    )
    if outro is not None:
        raise ValidationError(f"Este CNS já é de outro profissional do município: {outro.nome}.")
    antes = {campo: getattr(profissional, campo) for campo in CAMPOS_REGISTRO_PROFISSIONAL}
    for campo, valor in novos.items():
        setattr(profissional, campo, valor)
    outros_campos = [f.name for f in Profissional._meta.fields if f.name not in CAMPOS_REGISTRO_PROFISSIONAL]
    profissional.full_clean(exclude=outros_campos, validate_unique=False, validate_constraints=False)
    profissional.save(update_fields=list(CAMPOS_REGISTRO_PROFISSIONAL))
    _auditar(ator, municipio_id, "profissional_registro", profissional_id=profissional.id, antes=antes, depois=novos)
    return profissional


# --- Installation ---------------------------------------------------------------------------


@transaction.atomic
def municipio_criar(*, ibge: str, nome: str, uf: str, modo: str, ator: Ator, origem: str = "") -> Municipio:
    """A new tenant, with its copies of the default perfis. Audited as the first event of
    its own chain and in the installation chain (who adds tenants is installation business).
    From the command line the actor is the system's; `origem` then says which command."""
    municipio = Municipio(ibge=ibge, nome=nome.strip(), uf=uf.upper(), modo=modo)
    municipio.full_clean()
    municipio.save()
    with tenant_context(municipio.id):
        perfis_garantir_padrao(municipio_id=municipio.id)
    detalhes = {"acao": "municipio_criado", "ibge": ibge, "nome": municipio.nome, "uf": municipio.uf, "modo": modo}
    audit_event(evento="admin_alteracao", ator=ator, municipio_id=municipio.id, o_que=origem, detalhes=detalhes)
    audit_event(evento="admin_alteracao", ator=ator, instalacao=True, o_que=origem, detalhes=detalhes)
    return municipio


@transaction.atomic
def municipio_atualizar(*, municipio: Municipio, dados: dict[str, object], ator: Ator) -> Municipio:
    antes = {campo: getattr(municipio, campo) for campo in Municipio.CAMPOS_EDITAVEIS}
    for campo in Municipio.CAMPOS_EDITAVEIS:
        if campo in dados:
            setattr(municipio, campo, dados[campo])
    municipio.full_clean()
    municipio.save()
    depois = {campo: getattr(municipio, campo) for campo in Municipio.CAMPOS_EDITAVEIS}
    alterado = {
        campo: [antes[campo], depois[campo]] for campo in Municipio.CAMPOS_EDITAVEIS if antes[campo] != depois[campo]
    }
    if alterado:
        _auditar(ator, municipio.id, "municipio_alterado", alteracoes=alterado)
    return municipio


@transaction.atomic
def smtp_configurar(*, config: ConfiguracaoSMTP, nova_senha: str | None, ator: Ator) -> ConfiguracaoSMTP:
    """Save the installation's SMTP settings. The password never reaches the audit."""
    config = smtp_salvar(config=config, nova_senha=nova_senha)
    _auditar(
        ator,
        None,
        "smtp_alterado",
        host=config.host,
        porta=config.porta,
        seguranca=config.seguranca,
        usuario=config.usuario,
        remetente=config.remetente,
        senha_alterada=nova_senha is not None,
    )
    return config
