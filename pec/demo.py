"""Demo installation: two municipalities (one in training mode) to try the product.

Every demo account uses DEMO_PASSWORD; the CPFs are valid but fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pec.documentos import formatar_cpf
from pec.models import Equipe, Estabelecimento, Lotacao, LotacaoPerfil, Municipio, Perfil, Profissional, Usuario
from pec.permissoes import perfis_garantir_padrao, perfis_padrao_para_cbo
from pec.tenancy import tenant_context

DEMO_PASSWORD = "demo-pec-2026"


def cpf_com_digitos(base9: str) -> str:
    digits = base9
    for size in (9, 10):
        total = sum(int(digits[i]) * (size + 1 - i) for i in range(size))
        digits += str((total * 10) % 11 % 10)
    return digits


@dataclass(frozen=True)
class Pessoa:
    base9: str
    nome: str
    cbo: str
    papel: str

    @property
    def cpf(self) -> str:
        return cpf_com_digitos(self.base9)


MUNICIPIOS = [
    ("9999901", "Vila Esperança", "MG", Municipio.Modo.PRODUCAO),
    ("9999902", "Serra Azul", "BA", Municipio.Modo.TREINAMENTO),  # the pages tag training mode
]
ADMIN_INSTALACAO = Pessoa("100000001", "Ana Instaladora", "", "administrador da instalação")
PESSOAS = [
    Pessoa("200000001", "Bruno Médico da Silva", "225142", "médico da ESF"),
    Pessoa("200000002", "Carla Enfermeira Souza", "223565", "enfermeira da ESF"),
    Pessoa("200000003", "Diego Técnico Lima", "322245", "técnico de enfermagem"),
    Pessoa("200000004", "Elisa Recepção Rocha", "422110", "recepcionista"),
    Pessoa("200000005", "Fábio Agente Comunitário", "515105", "ACS"),
    Pessoa("200000006", "Gabriela Dentista Alves", "223293", "cirurgiã-dentista"),
    Pessoa("200000007", "Heitor Coordenador", "131210", "coordenador da UBS"),
    Pessoa("200000008", "Íris Administradora Municipal", "131205", "administradora municipal"),
]


class DemoEmProducao(Exception):
    """The demo was asked for in a production installation."""


def demo_recusar_em_producao() -> None:
    """The demo's accounts share a published password: never create them in production."""
    if settings.PRODUCTION:
        raise DemoEmProducao(
            "Refusing to load the demo in a production installation (PEC_PRODUCTION=true): its accounts share "
            "a public password. Use municipio_criar and the CNES import instead."
        )


def demo_contas_com_senha_publica() -> list[str]:
    """CPFs of the demo accounts that still accept DEMO_PASSWORD (at most nine hash checks)."""
    cpfs = [pessoa.cpf for pessoa in [ADMIN_INSTALACAO, *PESSOAS]]
    return [
        usuario.cpf
        for usuario in Usuario.objects.filter(cpf__in=cpfs, is_active=True).order_by("cpf")
        if usuario.check_password(DEMO_PASSWORD)
    ]


def demo_exists() -> bool:
    return Municipio.objects.filter(ibge=MUNICIPIOS[0][0]).exists()


@transaction.atomic
def seed_demo() -> None:
    demo_recusar_em_producao()
    admin = Usuario.objects.create_user(ADMIN_INSTALACAO.cpf, DEMO_PASSWORD, nome=ADMIN_INSTALACAO.nome)
    admin.administrador_instalacao = True
    admin.save(update_fields=["administrador_instalacao"])
    usuarios = {p.cpf: Usuario.objects.create_user(p.cpf, DEMO_PASSWORD, nome=p.nome) for p in PESSOAS}
    for index, (ibge, nome, uf, modo) in enumerate(MUNICIPIOS):
        municipio = Municipio.objects.create(ibge=ibge, nome=nome, uf=uf, modo=modo)
        with tenant_context(municipio.id):
            perfis = perfis_garantir_padrao(municipio_id=municipio.id)
            _seed_municipio(municipio, usuarios, index, perfis)


def _seed_municipio(municipio: Municipio, usuarios: dict[str, Usuario], index: int, perfis: dict[str, Perfil]) -> None:
    ubs = [
        Estabelecimento.objects.create(municipio=municipio, cnes=f"99{index}000{n}", nome=f"UBS {bairro}")
        for n, bairro in enumerate(["Centro", "Jardim das Flores"], start=1)
    ]
    for n, estabelecimento in enumerate(ubs, start=1):
        equipe = Equipe.objects.create(
            municipio=municipio,
            ine=f"00009{index}000{n}",
            nome=f"ESF {estabelecimento.nome.removeprefix('UBS ')}",
            tipo_codigo="70",
            tipo_nome="eSF - Equipe de Saúde da Família",
            area=f"00{n}",
            estabelecimento=estabelecimento,
        )
        for pessoa in PESSOAS:
            profissional, _ = Profissional.objects.get_or_create(
                municipio=municipio,
                cpf=pessoa.cpf,
                defaults={"usuario": usuarios[pessoa.cpf], "nome": pessoa.nome},
            )
            lotacao = Lotacao.objects.create(
                municipio=municipio,
                profissional=profissional,
                usuario=profissional.usuario,
                estabelecimento=estabelecimento,
                equipe=equipe,
                cbo=pessoa.cbo,
                microarea="01" if pessoa.cbo == "515105" else "",
            )
            LotacaoPerfil.objects.bulk_create(
                LotacaoPerfil(municipio=municipio, lotacao=lotacao, perfil=perfis[codigo])
                for codigo in perfis_padrao_para_cbo(pessoa.cbo)
            )
    _seed_cidadaos(municipio, ubs[0])


# Demo citizens (fictitious), the first already waiting in UBS Centro's lista de atendimentos.
CIDADAOS = [
    ("MARIA APARECIDA DOS SANTOS", date(1988, 4, 17), 1, "JOANA DOS SANTOS"),
    ("JOSE CARLOS DE OLIVEIRA", date(1961, 11, 2), 0, "TEREZA DE OLIVEIRA"),
    ("ANA BEATRIZ FERREIRA", date(2019, 7, 30), 1, "LUCIANA FERREIRA"),
]


def _seed_cidadaos(municipio: Municipio, ubs: Estabelecimento) -> None:
    from prontuario.models import EntradaLista
    from prontuario.services import cidadao_cadastrar

    recepcao = Lotacao.objects.get(municipio=municipio, estabelecimento=ubs, cbo="422110")
    for posicao, (nome, nascimento, sexo, mae) in enumerate(CIDADAOS):
        cidadao = cidadao_cadastrar(
            lotacao=recepcao, confirmar_duplicado=True,
            dados={"nome": nome, "data_nascimento": nascimento, "sexo": sexo, "raca_cor": 4, "nome_mae": mae,
                   "pai_desconhecido": True, "nacionalidade": 1, "municipio_nascimento_ibge": "3106200"},
        )
        if posicao == 0:
            EntradaLista.objects.create(
                municipio=municipio, estabelecimento=ubs, cidadao=cidadao, tipo=EntradaLista.Tipo.ESPONTANEA,
                chegada_em=timezone.now(), criado_por=recepcao,
            )


def demo_logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for pessoa in [ADMIN_INSTALACAO, *PESSOAS]:
        lines.append(f"  CPF {formatar_cpf(pessoa.cpf)}  {pessoa.nome} ({pessoa.papel})")
    return "\n".join(lines)


def demo_configurar_rnds(*, url: str, pasta: Path) -> None:
    """Point the production-mode demo municipality at the local national peer, with the
    demo A1 certificate installed (once). Runs at every `make run`: the peer's port may
    change between runs."""
    from rnds.models import CertificadoA1
    from rnds.pki import gerar_certificados_teste
    from rnds.services import certificado_instalar, configuracao_obter

    arquivos = gerar_certificados_teste(pasta=pasta)
    municipio = Municipio.objects.get(ibge=MUNICIPIOS[0][0])
    admin = Usuario.objects.get(cpf=PESSOAS[-1].cpf)
    with tenant_context(municipio.id):
        config = configuracao_obter(municipio=municipio)
        config.habilitado = True
        config.identificador_solicitante = config.identificador_solicitante or "9999901"
        config.url_autenticacao = config.url_servicos = config.url_cadsus = url
        config.save()
        if not CertificadoA1.objects.filter(municipio=municipio, ativo=True).exists():
            certificado_instalar(
                municipio=municipio, conteudo=arquivos.pfx.read_bytes(), senha=arquivos.senha_pfx, usuario=admin
            )
