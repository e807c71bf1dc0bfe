"""Code tables of the LEDI APS cadastro domiciliar e territorial (FCD), copied from the
official reference (LEDI APS 7.2.2 `referencias/dicionario`, "Alterado em 13/08/2025";
field rules from `estrutura_arquivos/dicionario-fcd`; sources in docs/integracoes/ledi.md).
Codes are what SISAB expects, so never renumber them. The sets below name the imóvel
types each FCD rule talks about, so the services and the later export read one truth.
"""

from __future__ import annotations

# dicionario.txt, section tipoDeImovel
TIPO_IMOVEL: list[tuple[int, str]] = [
    (1, "Domicílio"),
    (2, "Comércio"),
    (3, "Terreno baldio"),
    (
        4,
        "Ponto Estratégico (cemitério, borracharia, ferro-velho, depósito de sucata ou materiais de construção, "
        "garagem de ônibus ou veículo de grande porte, casa de farinha)",
    ),
    (5, "Escola"),
    (6, "Creche"),
    (7, "Abrigo"),
    (8, "Instituição de longa permanência para idosos"),
    (9, "Unidade prisional"),
    (10, "Unidade de medida sócio educativa"),
    (11, "Delegacia"),
    (12, "Estabelecimento religioso"),
    (13, "CASAI"),
    (99, "Outros"),
]
DOMICILIO = 1
# dicionario-fcd, CadastroDomiciliar #2: no condição de moradia for these types.
SEM_CONDICAO_MORADIA = frozenset({2, 3, 4, 5, 6, 12, 13, 99})
# dicionario-fcd, CadastroDomiciliar #13: instituição de permanência only for these.
INSTITUICAO_PERMANENCIA = frozenset({7, 8, 9, 10, 11})
# dicionario-fcd, CondicaoMoradia #2, #6, #7, #11, #12: not for institutions nor CASAI.
INSTITUICAO_OU_CASAI = INSTITUICAO_PERMANENCIA | {13}

# dicionario.txt, section LocalizacaoDaMoradia
LOCALIZACAO: list[tuple[int, str]] = [(83, "Urbana"), (84, "Rural"), (205, "Periurbana")]
# dicionario-fcd, CondicaoMoradia #2: no área de produção rural when urbana or periurbana.
LOCALIZACAO_NAO_RURAL = frozenset({83, 205})

# dicionario.txt, section SituacaoDeMoradia
SITUACAO_MORADIA: list[tuple[int, str]] = [
    (75, "Próprio"),
    (76, "Financiado"),
    (77, "Alugado"),
    (78, "Arrendado"),
    (79, "Cedido"),
    (80, "Ocupação"),
    (81, "Situação de rua"),
    (204, "Temporária"),
    (82, "Outra"),
]

# dicionario.txt, section CondicaoDePosseEUsoDaTerra
POSSE_TERRA: list[tuple[int, str]] = [
    (101, "Proprietário"),
    (102, "Parceiro(a) / Meeiro(a)"),
    (103, "Assentado(a)"),
    (104, "Posseiro"),
    (105, "Arrendatário(a)"),
    (106, "Comodatário(a)"),
    (107, "Beneficiário(a) do banco da terra"),
    (208, "Terra indígena demarcada"),
    (209, "Terra não demarcada"),
    (108, "Não se aplica"),
]

# dicionario.txt, section TipoDeDomicilio
TIPO_DOMICILIO: list[tuple[int, str]] = [
    (85, "Casa"),
    (86, "Apartamento"),
    (87, "Cômodo"),
    (206, "Maloca"),
    (207, "Improvisado"),
    (88, "Outro"),
]

# dicionario.txt, section TipoDeAcessoAoDomicilio
TIPO_ACESSO: list[tuple[int, str]] = [(89, "Pavimento"), (90, "Chão batido"), (91, "Fluvial"), (92, "Outro")]

# dicionario.txt, section MaterialPredominanteNaConstrucao
MATERIAL_PAREDES: list[tuple[int, str]] = [
    (109, "Alvenaria com revestimento"),
    (110, "Alvenaria sem revestimento"),
    (111, "Taipa com revestimento"),
    (112, "Taipa sem revestimento"),
    (113, "Madeira emparelhada"),
    (114, "Material aproveitado"),
    (115, "Palha"),
    (210, "Lona"),
    (211, "Misto/Diferentes materiais"),
    (212, "Caule de palmeira"),
    (213, "Sem parede"),
    (116, "Outro material"),
]

# dicionario.txt, section AbastecimentoDeAgua
ABASTECIMENTO_AGUA: list[tuple[int, str]] = [
    (117, "Rede encanada até o domicílio - Sistema de abastecimento público (municipal ou estadual)"),
    (214, "Rede encanada até o domicílio - Sistema de abastecimento próprio da aldeia (SESAI)"),
    (118, "Poço / Nascente no domicílio"),
    (119, "Cisterna - Água de chuva"),
    (120, "Carro pipa"),
    (215, "Captação direta de água do rio"),
    (216, "Captação direta de poço coletivo"),
    (217, "Ponto de abastecimento coletivo - chafariz"),
    (121, "Outro"),
]

# dicionario.txt, section AguaConsumoDomicilio
AGUA_CONSUMO: list[tuple[int, str]] = [
    (98, "Fervida"),
    (99, "Clorada"),
    (152, "Mineral"),
    (218, "Filtrada com filtro de barro"),
    (219, "Filtrada por outro tipo de filtro"),
    (220, "Clorada intradomiciliar com hipoclorito de sódio"),
    (100, "Sem tratamento"),
]

# dicionario.txt, section FormaDeEscoamentoDoBanheiroOuSanitario
ESCOAMENTO_BANHEIRO: list[tuple[int, str]] = [
    (122, "Rede coletora de esgoto ou pluvial"),
    (123, "Fossa séptica"),
    (124, "Fossa rudimentar"),
    (125, "Direto para um rio, lago ou mar"),
    (126, "Céu aberto"),
    (127, "Outra forma"),
]

# dicionario.txt, section DestinoDoLixo
DESTINO_LIXO: list[tuple[int, str]] = [
    (93, "Coletado"),
    (95, "Céu aberto"),
    (221, "Queimado"),
    (222, "Enterrado"),
    (96, "Outro"),
]

# dicionario.txt, section TipoOrigemEnergiaEletrica
ORIGEM_ENERGIA: list[tuple[int, str]] = [
    (227, "Gerador comunitário"),
    (228, "Gerador individual"),
    (229, "Fotovoltaica individual"),
    (230, "Concessionária"),
    (231, "Fotovoltaica comunitária"),
]

# dicionario.txt, section AnimalNoDomicilio
ANIMAL: list[tuple[int, str]] = [
    (128, "Gato"),
    (129, "Cachorro"),
    (130, "Pássaro"),
    (223, "Macaco"),
    (224, "Galinha"),
    (225, "Porco"),
    (226, "Répteis"),
    (132, "Outros"),
]

# dicionario.txt, section RendaFamiliar (in the order published: 7 is three salaries)
RENDA_FAMILIAR: list[tuple[int, str]] = [
    (1, "1/4 de salário mínimo"),
    (2, "Meio salário mínimo"),
    (3, "Um salário mínimo"),
    (4, "Dois salários mínimos"),
    (7, "Três salários mínimos"),
    (5, "Quatro salários mínimos"),
    (6, "Acima de quatro salários mínimos"),
    (8, "Ausência de renda"),
]

# referencias/uf.txt, "Número DNE" of each UF, keyed by the UF's IBGE code (the first two
# digits of a município's code): EnderecoLocalPermanencia.numeroDneUf.
DNE_UF_POR_IBGE: dict[str, str] = {
    "11": "23",  # Rondônia
    "12": "01",  # Acre
    "13": "04",  # Amazonas
    "14": "09",  # Roraima
    "15": "15",  # Pará
    "16": "03",  # Amapá
    "17": "24",  # Tocantins
    "21": "11",  # Maranhão
    "22": "19",  # Piauí
    "23": "06",  # Ceará
    "24": "21",  # Rio Grande do Norte
    "25": "16",  # Paraíba
    "26": "18",  # Pernambuco
    "27": "02",  # Alagoas
    "28": "27",  # Sergipe
    "29": "05",  # Bahia
    "31": "14",  # Minas Gerais
    "32": "08",  # Espírito Santo
    "33": "20",  # Rio de Janeiro
    "35": "26",  # São Paulo
    "41": "17",  # Paraná
    "42": "25",  # Santa Catarina
    "43": "22",  # Rio Grande do Sul
    "50": "13",  # Mato Grosso do Sul
    "51": "12",  # Mato Grosso
    "52": "10",  # Goiás
    "53": "07",  # Distrito Federal
}
