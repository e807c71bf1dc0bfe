"""Demo installation: two municipalities (one in training mode) to try the product.

Every demo account uses DEMO_PASSWORD; the CPFs and CNS are valid but fictitious. The
production municipality is built as a small real one would be, through the same doors:
its own CNES file through the importer (so professionals have CNS and the CNES pages have
a file to preview), agendas, citizens with documents and a year of care
(pec.demo_historico), the SISAB identity; `make run` then points it at the local peers
(demo_configurar), so what is finalised in the demo really travels. Refused in production:
a public password would open the installation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lxml import etree

from pec.administracao.services import municipio_criar
from pec.ator import Ator
from pec.documentos import cns_definitivo, cpf_com_digitos, formatar_cpf
from pec.models import Lotacao, Municipio, Usuario
from pec.tenancy import tenant_context

DEMO_PASSWORD = "demo-pec-2026"
# Citizens with a year of care in the production municipality; `make run` start-up cost is
# measured in BENCHMARKS.md ("Demonstração").
CIDADAOS_HISTORICO = 200
CNPJ_DEMO = "11222333000181"  # check digits valid, no real organisation


@dataclass(frozen=True)
class Pessoa:
    base9: str
    nome: str
    cbo: str
    papel: str

    @property
    def cpf(self) -> str:
        return cpf_com_digitos(self.base9)

    @property
    def cns(self) -> str:
        """A definitive CNS (starts with 1), derived from the CPF's base: stable across runs."""
        return cns_definitivo(f"1{self.base9}0")

    @property
    def registro(self) -> str:
        """Council number (CRM, COREN, CRO) of the clinicians; others have none."""
        return f"{self.base9[-4:]}{self.cbo[:2]}" if self.cbo in ("225142", "223565", "223293", "322245") else ""


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
def seed_demo(*, cidadaos_historico: int = CIDADAOS_HISTORICO, hoje: date | None = None) -> None:
    """The whole demo, once (seed_demo checks demo_exists first). The production
    municipality also gets `cidadaos_historico` citizens with a year of care behind them."""
    demo_recusar_em_producao()
    hoje = hoje or timezone.localdate()
    admin = Usuario.objects.create_user(ADMIN_INSTALACAO.cpf, DEMO_PASSWORD, nome=ADMIN_INSTALACAO.nome)
    admin.administrador_instalacao = True
    admin.save(update_fields=["administrador_instalacao"])
    for pessoa in PESSOAS:
        Usuario.objects.create_user(pessoa.cpf, DEMO_PASSWORD, nome=pessoa.nome)
    for indice, (ibge, nome, uf, modo) in enumerate(MUNICIPIOS):
        municipio = municipio_criar(
            ibge=ibge, nome=nome, uf=uf, modo=modo, ator=Ator.do_sistema(None), origem="manage.py seed_demo"
        )
        # Demo logins are public: their administrators are not asked to enrol in MFA.
        Municipio.objects.filter(id=municipio.id).update(exigir_mfa_admin=False)
        _importar_cnes(municipio, indice, hoje)
        with tenant_context(municipio.id):
            _configurar_agendas(municipio)
            _seed_cidadaos(municipio, indice)
            if modo == Municipio.Modo.PRODUCAO:
                _identificar_sisab(municipio)
                if cidadaos_historico:
                    from pec.demo_historico import demo_historico

                    demo_historico(municipio=municipio, cidadaos=cidadaos_historico, hoje=hoje)
                    _agendar_semana(municipio, timezone.now())
                _seed_territorio(municipio)
                _seed_fichas_cds(municipio)


# --- CNES ------------------------------------------------------------------------------------

UBS = [("Centro", "RUA DO COMERCIO", "120"), ("Jardim das Flores", "AVENIDA DAS ACACIAS", "45")]


def cnes_codigo(indice: int, n: int) -> str:
    return f"99{indice}000{n}"


def ine_codigo(indice: int, n: int) -> str:
    return f"00009{indice}000{n}"


def cnes_xml(*, indice: int, ibge: str, uf: str, data: date) -> bytes:
    """The municipality's CNES file as e-Gestor AB writes it (ImportarXMLCNES 3.0, see
    tests/cnes_import/dados): both UBS with their ESF team, every demo professional with a
    lotação in each (CNS, council number for the clinicians, microárea for the ACS)."""
    raiz = etree.Element("ImportarXMLCNES")
    ident = etree.SubElement(
        raiz,
        "IDENTIFICACAO",
        DATA=data.isoformat(),
        ORIGEM="PORTAL",
        DESTINO="ESUS_AB",
        CO_IBGE_MUN=ibge,
        VERSAO_XSD="3.0",
    )
    estabelecimentos = etree.SubElement(ident, "ESTABELECIMENTOS")
    for n, (bairro, logradouro, numero) in enumerate(UBS, start=1):
        est = etree.SubElement(
            estabelecimentos,
            "DADOS_GERAIS_ESTABELECIMENTOS",
            NM_FANTA=f"UBS {bairro}",
            CNPJ="",
            CNES=cnes_codigo(indice, n),
            TP_UNID_ID="02",
            DS_TP_UNID="CENTRO DE SAUDE/UNIDADE BASICA",
            CO_SUBTIPO_UNID="",
            DS_SUBTIPO_UNID="",
            TELEFONE1=f"3133330{indice}{n}0",
            TELEFONE2="",
            FAX="",
            E_MAIL="",
        )
        etree.SubElement(
            etree.SubElement(est, "ENDERECO"),
            "DADOS_ENDERECO",
            CO_CEP="39000000",
            SG_UF=uf,
            BAIRRO=bairro.upper(),
            LOGRADOURO=logradouro,
            NUMERO=numero,
            CO_IBGE_MUN=ibge,
            COMPLEMENT="",
            PONTO_REF="",
        )
        etree.SubElement(etree.SubElement(est, "COMPLEXIDADE"), "DADOS_COMPLEXIDADE", SG_COMPLEXIDADE="AB")
        etree.SubElement(
            etree.SubElement(est, "EQUIPES"),
            "DADOS_EQUIPES",
            ID_TP_EQUIPE="",
            TP_EQUIPE="70",
            SG_EQUIPE="ESF",
            DS_EQUIPE="ESF - EQUIPE DE SAUDE DA FAMILIA",
            CO_INE=ine_codigo(indice, n),
            CO_AREA=f"000{n}",
            DS_AREA=f"000{n}",
            NM_REFERENCIA=f"ESF {bairro}",
            DT_DESATIVACAO="",
        )
    profissionais = etree.SubElement(ident, "PROFISSIONAIS")
    for pessoa in PESSOAS:
        prof = etree.SubElement(
            profissionais,
            "DADOS_PROFISSIONAIS",
            CO_CNS=pessoa.cns,
            NM_PROF=pessoa.nome,
            CPF_PROF=pessoa.cpf,
            **({"SG_UF_EMIS": uf, "NU_REGISTRO": pessoa.registro} if pessoa.registro else {"NU_REGISTRO": ""}),
            DT_NASC="01/01/1900",
            SEXO="N",
            E_MAIL="",
            TELEFONE="",
        )
        etree.SubElement(
            etree.SubElement(prof, "ENDERECO"),
            "DADOS_ENDERECO",
            CO_CEP="",
            SG_UF="",
            CO_IBGE_MUN="",
            BAIRRO="",
            LOGRADOURO="",
            NUMERO="",
            COMPLEMENT="",
            PONTO_REF="",
        )
        lotacoes = etree.SubElement(prof, "LOTACOES")
        for n in range(1, len(UBS) + 1):
            etree.SubElement(
                lotacoes,
                "DADOS_LOTACOES",
                CNES=cnes_codigo(indice, n),
                CO_INE=ine_codigo(indice, n),
                CO_CBO=pessoa.cbo,
                MICROAREA="01" if pessoa.cbo == CBO_ACS else "",
            )
    documento: bytes = etree.tostring(raiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return documento


def cnes_arquivo(ibge: str) -> Path:
    """Where the demo keeps each municipality's CNES file, for the administrator to send
    again on the CNES page and see the preview."""
    return settings.VAR_DIR / "demo" / f"XmlParaESUS30_{ibge}.xml"


def _importar_cnes(municipio: Municipio, indice: int, hoje: date) -> None:
    from cnes_import.services import cnes_importar

    arquivo = cnes_arquivo(municipio.ibge)
    arquivo.parent.mkdir(parents=True, exist_ok=True)
    arquivo.write_bytes(cnes_xml(indice=indice, ibge=municipio.ibge, uf=municipio.uf, data=hoje))
    administrador = Usuario.objects.get(cpf=PESSOAS[-1].cpf)
    resultado = cnes_importar(
        municipio=municipio, arquivo=arquivo, ator=Ator.do_sistema(municipio).com_usuario(administrador)
    )
    if not resultado.ok or resultado.rejeicoes:
        raise RuntimeError(f"demo CNES import failed: {resultado.mensagem} {resultado.rejeicoes}")


# --- Agendas, citizens, SISAB identity --------------------------------------------------------

CBO_ACS = "515105"
CBOS_COM_AGENDA = ("225142", "223565", "223293")
MANHA = (datetime.time(7), datetime.time(11))
TARDE = (datetime.time(13), datetime.time(17))


def lotacao_demo(municipio: Municipio, *, cbo: str, ubs: int = 1) -> Lotacao:
    indice = [m[0] for m in MUNICIPIOS].index(municipio.ibge)
    return Lotacao.objects.select_related("profissional", "estabelecimento", "municipio").get(
        municipio=municipio, cbo=cbo, estabelecimento__cnes=cnes_codigo(indice, ubs)
    )


def _configurar_agendas(municipio: Municipio) -> None:
    """Doctor, nurse and dentist of each UBS see citizens Monday to Friday, 7-11h and 13-17h."""
    from prontuario.agenda.services import agenda_configurar

    periodos = [(dia, *turno) for dia in range(5) for turno in (MANHA, TARDE)]
    for lotacao in Lotacao.objects.filter(municipio=municipio, cbo__in=CBOS_COM_AGENDA):
        agenda_configurar(agenda=lotacao, duracao_minutos=20, periodos=periodos)


# Demo citizens (fictitious), the first already waiting in UBS Centro's lista de atendimentos.
CIDADAOS = [
    ("MARIA APARECIDA DOS SANTOS", date(1988, 4, 17), 1, "JOANA DOS SANTOS"),
    ("JOSE CARLOS DE OLIVEIRA", date(1961, 11, 2), 0, "TEREZA DE OLIVEIRA"),
    ("ANA BEATRIZ FERREIRA", date(2019, 7, 30), 1, "LUCIANA FERREIRA"),
]


def _seed_cidadaos(municipio: Municipio, indice: int) -> None:
    from prontuario.agenda.lista import lista_adicionar
    from prontuario.cadastro.services import cidadao_cadastrar

    recepcao = lotacao_demo(municipio, cbo="422110")
    for posicao, (nome, nascimento, sexo, mae) in enumerate(CIDADAOS):
        base = f"4{indice}000000{posicao}"
        cidadao = cidadao_cadastrar(
            lotacao=recepcao,
            confirmar_duplicado=True,
            dados={
                "nome": nome,
                "data_nascimento": nascimento,
                "sexo": sexo,
                "raca_cor": 4,
                "nome_mae": mae,
                "pai_desconhecido": True,
                "nacionalidade": 1,
                "municipio_nascimento_ibge": "3106200",
                "cpf": cpf_com_digitos(base),
                "cns": cns_definitivo(f"2{base}0"),
            },
        )
        if posicao == 0:
            lista_adicionar(por=recepcao, cidadao=cidadao)


# The demo's territory: UBS Centro's microárea 01, typed by its ACS. The municipality's IBGE
# code is fictitious (9999901), so its streets carry a real one the LEDI table knows.
IBGE_LOGRADOUROS = "3106200"
LOGRADOUROS = [("81", "DAS FLORES", "30140071", "CENTRO"), ("8", "DAS ACACIAS", "30140072", "JARDIM DAS FLORES")]
FAMILIAS_DO_HISTORICO = 4


def _seed_fichas_cds(municipio: Municipio) -> None:
    """One paper ficha of each CDS type typed at UBS Centro today, through the typing forms
    and services as the pages type them, so the demo month carries every LEDI type: the
    ACS's visits (8) and a food-intake ficha (12); the nurse's group activity (6),
    atendimento domiciliar (10), avaliação de elegibilidade (11) and the zika ficha (13)."""
    from prontuario.models import Cidadao

    hoje = timezone.localdate()
    maria, jose, ana = (Cidadao.objects.get(municipio=municipio, nome=nome) for nome, *_ in CIDADAOS)
    acs = lotacao_demo(municipio, cbo=CBO_ACS)
    enfermeira = lotacao_demo(municipio, cbo="223565")
    visita = {"turno": "1", "micro_area": acs.microarea or "01", "tipo_imovel": "1", "desfecho": "1"}
    _ficha_do_papel(
        acs,
        8,
        [
            {**visita, "documento": maria.cpf, "nascimento": "1988-04-17", "sexo": "1", "motivos": "29 11"},
            {**visita, "documento": jose.cpf, "nascimento": "1961-11-02", "sexo": "0", "motivos": "29 12"},
        ],
    )
    _ficha_do_papel(
        acs,
        12,
        [
            {
                "documento": ana.cpf,
                "nascimento": ana.data_nascimento.isoformat(),
                "sexo": "1",
                "local_atendimento": "4",
                "pergunta11": "2",
                "pergunta12": ["12", "14", "16"],
                "pergunta14": "1",
            }
        ],
    )
    _ficha_do_papel(
        enfermeira,
        6,
        [{"documento": jose.cpf, "nascimento": "1961-11-02", "sexo": "0", "avaliacao_alterada": "on", "peso": "82.5"}],
        turno=2,
        atividade={
            "atividade_tipo": "5",
            "num_participantes": "9",
            "outra_localidade": "Salão comunitário",
            "publico_alvo": ["1"],
            "temas_saude": ["1"],
            "profissionais": f"{enfermeira.profissional.cns} {enfermeira.cbo}",
        },
    )
    _ficha_do_papel(
        enfermeira,
        10,
        [
            {
                "turno": "1",
                "documento": jose.cpf,
                "nascimento": "1961-11-02",
                "sexo": "0",
                "local": "4",
                "modalidade": "2",
                "tipo_atendimento": "7",
                "condicoes": "1",
                "ciap": "K86",
                "conduta": "7",
            }
        ],
    )
    _ficha_do_papel(
        enfermeira,
        11,
        [
            {
                "documento": jose.cpf,
                "nome": jose.nome,
                "nascimento": "1961-11-02",
                "sexo": "0",
                "raca_cor": "4",
                "nome_mae": "TEREZA DE OLIVEIRA",
                "desconhece_pai": "on",
                "nacionalidade": "1",
                "municipio_nascimento": IBGE_LOGRADOUROS,
                "tipo_logradouro": "81",
                "logradouro": "DAS FLORES",
                "numero": "21",
                "bairro": "CENTRO",
                "cep": "30140071",
                "municipio": IBGE_LOGRADOUROS,
                "telefone_contato": "(31) 99999-1234",
                "procedencia": "11",
                "modalidade": "2",
                "condicoes": ["1"],
                "cid_principal": "I64",
                "conclusao_elegivel": "1",
                "cuidador": "3",
            }
        ],
        turno=1,
    )
    ontem = (hoje - datetime.timedelta(days=1)).isoformat()
    _ficha_do_papel(
        enfermeira,
        13,
        [
            {
                "documento": ana.cpf,
                "responsavel": maria.cpf,
                "dataRealizacaoTesteOlhinho": ontem,
                "coResultadoTesteOlhinho": "1",
            }
        ],
        turno=2,
    )


def _ficha_do_papel(
    lotacao: Lotacao,
    tipo: int,
    linhas: list[dict[str, Any]],
    *,
    turno: int | None = None,
    atividade: dict[str, Any] | None = None,
) -> None:
    """A paper ficha typed as its page types it: each row through its form, then saved by
    the service with the same LEDI rules (a demo row the rules refuse fails the seed)."""
    from cds.fichas import forms, services

    formularios = [forms.LINHAS[tipo](dados) for dados in linhas]
    cabecalho = forms.AtividadeForm(atividade) if atividade is not None else None
    for formulario in [*formularios, *([cabecalho] if cabecalho else [])]:
        if not formulario.is_valid():
            raise ValueError(f"demo ficha {tipo}: {formulario.errors.as_json()}")
    services.ficha_digitar(
        ator=Ator(municipio_id=lotacao.municipio_id, lotacao=lotacao, usuario=lotacao.usuario),
        tipo=tipo,
        data_atendimento=timezone.localdate(),
        turno=turno,
        dados=cabecalho.ledi() if cabecalho else {},
        linhas=[formulario.ledi() for formulario in formularios],
    )


def _seed_territorio(municipio: Municipio) -> None:
    """Streets, imóveis and families typed through the territory services by the ACS, so
    the month's SISAB export carries Fichas de Cadastro Domiciliar (tipo 3): a domicílio
    per demo family (the first demo citizens, then a few of the year's citizens when there
    are any), a commerce and a school."""
    from cds.territorio import services
    from prontuario.models import Cidadao

    acs = lotacao_demo(municipio, cbo=CBO_ACS)
    ator = Ator(municipio_id=municipio.id, lotacao=acs, usuario=acs.usuario)
    ruas = [
        services.logradouro_cadastrar(
            ator=ator,
            dados={"tipo_dne": tipo, "nome": nome, "cep": cep, "bairro": bairro, "municipio_ibge": IBGE_LOGRADOUROS},
        )
        for tipo, nome, cep, bairro in LOGRADOUROS
    ]
    endereco = {"microarea": acs.microarea or "01", "equipe": acs.equipe}
    for tipo, predio in ((2, "10"), (5, "200")):
        services.imovel_cadastrar(ator=ator, dados={"logradouro": ruas[1], "tipo": tipo, "numero": predio, **endereco})
    cidadaos = list(
        Cidadao.objects.filter(municipio=municipio, ativo=True, data_obito__isnull=True)
        .exclude(cpf="", cns="")
        .order_by("id")[: len(CIDADAOS) + FAMILIAS_DO_HISTORICO]
    )
    # The first demo citizen lives with the third (her daughter); the others on their own.
    grupos = [[cidadaos[0], cidadaos[2]], [cidadaos[1]], *[[c] for c in cidadaos[len(CIDADAOS) :]]]
    for numero, (responsavel, *membros) in enumerate(grupos, start=1):
        casa = services.imovel_cadastrar(
            ator=ator,
            dados={
                "logradouro": ruas[numero % 2],
                "tipo": 1,
                "numero": str(numero * 10 + 1),
                "localizacao": 83,
                "situacao_moradia": 75,
                "tipo_domicilio": 85,
                "comodos": 4,
                "abastecimento_agua": 117,
                "energia_eletrica": True,
                **endereco,
            },
        )
        services.familia_cadastrar(
            ator=ator,
            imovel=casa,
            responsavel=responsavel,
            membros=membros,
            dados={"renda": 3, "reside_desde": date(2015 + numero, 1, 1)},
        )


def _identificar_sisab(municipio: Municipio) -> None:
    """The LEDI identity every envelope carries (remetente/originadora)."""
    from sisab.models import InstalacaoSisab

    InstalacaoSisab.objects.create(
        municipio=municipio,
        contra_chave="DEMONSTRACAO-PEC-CENTRALIZADO",
        responsavel_documento=CNPJ_DEMO,
        responsavel_nome=f"SECRETARIA MUNICIPAL DE SAUDE DE {municipio.nome.upper()}",
        fone="3133330000",
        email="sms@vilaesperanca.exemplo.gov.br",
    )


def demo_logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for pessoa in [ADMIN_INSTALACAO, *PESSOAS]:
        lines.append(f"  CPF {formatar_cpf(pessoa.cpf)}  {pessoa.nome} ({pessoa.papel})")
    lines.append("Municípios da demonstração:")
    for ibge, nome, uf, modo in MUNICIPIOS:
        if modo == Municipio.Modo.TREINAMENTO:
            lines.append(f"  {nome}/{uf} ({ibge}): TREINAMENTO — tudo funciona, nada é transmitido.")
        else:
            lines.append(
                f"  {nome}/{uf} ({ibge}): produção — atendimentos e vacinas vão ao par local da RNDS e "
                "do SISAB; arquivo do CNES para a prévia: " + str(cnes_arquivo(ibge))
            )
    return "\n".join(lines)


def demo_configurar(*, url_web: str, url_rnds: str, pasta: Path) -> None:
    """Every `make run`: the production municipality pointed at the local peers (the ports
    may change between runs)."""
    demo_configurar_rnds(url=url_rnds, pasta=pasta)
    municipio = Municipio.objects.get(ibge=MUNICIPIOS[0][0])
    with tenant_context(municipio.id), transaction.atomic():
        _destino_sisab(municipio, url_web)


def demo_completar(*, cidadaos: int) -> dict[str, int] | None:
    """Every `make run`, in the background once the server is up: the year of care if the
    production municipality has none yet (no atendimento before today), then the coming
    week's bookings if none is ahead. None when the history was already there."""
    from pec.demo_historico import demo_historico
    from prontuario.clinico.models import Atendimento

    demo_recusar_em_producao()
    municipio = Municipio.objects.get(ibge=MUNICIPIOS[0][0])
    contagem = None
    with tenant_context(municipio.id), transaction.atomic():
        hoje = timezone.localdate()
        if cidadaos and not Atendimento.objects.filter(municipio=municipio, finalizado_em__date__lt=hoje).exists():
            contagem = demo_historico(municipio=municipio, cidadaos=cidadaos, hoje=hoje)
        _agendar_semana(municipio, timezone.now())
    return contagem


DESTINO_SISAB = "Centralizador (par local: a API de recebimento desta instalação)"


def _destino_sisab(municipio: Municipio, url: str) -> None:
    """The fichas go, in the night window or with "Transmitir agora", to this installation's
    own receiving API: the round trip a state centralizer would make (sisab.recebimento
    recognises its own fichas and does not place their doses twice)."""
    from sisab.envio import destino_salvar
    from sisab.models import DestinoSisab
    from sisab.recebimento import credencial_emitir

    destino = DestinoSisab.objects.filter(municipio=municipio, nome=DESTINO_SISAB).first()
    if destino is not None:
        if destino.url != url:
            destino.url = url
            destino.save(update_fields=["url"])
        return
    credencial, senha = credencial_emitir(
        municipio_id=municipio.id,
        nome="Envio da demonstração",
        responsavel="Equipe de TI",
        documento=CNPJ_DEMO,
        email="ti@vilaesperanca.exemplo.gov.br",
        por=Usuario.objects.get(cpf=ADMIN_INSTALACAO.cpf),
    )
    destino_salvar(
        destino=DestinoSisab(
            municipio=municipio, nome=DESTINO_SISAB, tipo=DestinoSisab.Tipo.HTTP, url=url, usuario=credencial.usuario
        ),
        senha=senha,
    )


def _agendar_semana(municipio: Municipio, agora: datetime.datetime) -> int:
    """Three bookings a day per agenda of UBS Centro over the next working days, unless
    something is already booked ahead (so a second run books nothing)."""
    from prontuario.agenda.services import agenda_dia, agendar
    from prontuario.models import Agendamento, Cidadao

    if Agendamento.objects.filter(municipio=municipio, inicio__gte=agora).exists():
        return 0
    recepcao = lotacao_demo(municipio, cbo="422110")
    cidadaos = iter(Cidadao.objects.filter(municipio=municipio, ativo=True, data_obito__isnull=True).order_by("id"))
    agendas = [lotacao_demo(municipio, cbo=cbo) for cbo in CBOS_COM_AGENDA]
    feitos = 0
    for dias in range(1, 8):
        dia = timezone.localdate(agora) + datetime.timedelta(days=dias)
        for agenda in agendas:
            livres = [h for h in agenda_dia(agenda=agenda, dia=dia) if h.livre]
            for horario in livres[1::4][:3]:
                cidadao = next(cidadaos, None)
                if cidadao is None:
                    return feitos
                agendar(agenda=agenda, cidadao=cidadao, inicio=horario.inicio, por=recepcao)
                feitos += 1
    return feitos


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
