"""Code tables of the CDS fichas typed here: Visita Domiciliar e Territorial (FVDT, LEDI
tipo 8), Atividade Coletiva (FAC, tipo 6), Atendimento Domiciliar (FAD, tipo 10),
Avaliação de Elegibilidade e Admissão (FAE, tipo 11), Marcadores de Consumo Alimentar (MCA,
tipo 12) and Complementar Síndrome Neurológica por Zika/Microcefalia (FCZM, tipo 13), copied
from the official reference (LEDI APS 7.2.2 `referencias/dicionario`; field rules from
`estrutura_arquivos/dicionario-fvd`, `-fac`, `-fad`, `-fae`, `-mca` and `-fczm`; sources in
docs/integracoes/ledi.md). Codes are what SISAB expects, so never renumber them. The
typing forms offer these choices and the export rules (sisab.regras) read the same sets,
so the form and the export never disagree.
"""

from __future__ import annotations

from typing import NamedTuple

from cds.territorio.ledi import TIPO_IMOVEL
from prontuario.ledi import ETNIA as ETNIA
from prontuario.ledi import NACIONALIDADE as NACIONALIDADE
from prontuario.ledi import PAIS as PAIS
from prontuario.ledi import RACA_COR as RACA_COR

VISITA = 8
ATIVIDADE_COLETIVA = 6
ATENDIMENTO_DOMICILIAR = 10
ELEGIBILIDADE = 11
CONSUMO_ALIMENTAR = 12
ZIKA_MICROCEFALIA = 13
# The types the typing pages produce, with the names the paper fichas carry.
TIPOS_DIGITAVEIS: dict[int, str] = {
    ATIVIDADE_COLETIVA: "Ficha de Atividade Coletiva",
    VISITA: "Ficha de Visita Domiciliar e Territorial",
    ATENDIMENTO_DOMICILIAR: "Ficha de Atendimento Domiciliar",
    ELEGIBILIDADE: "Ficha de Avaliação de Elegibilidade e Admissão",
    CONSUMO_ALIMENTAR: "Ficha de Marcadores de Consumo Alimentar",
    ZIKA_MICROCEFALIA: "Ficha Complementar Síndrome Neurológica por Zika/Microcefalia",
}
# The fichas of one citizen: their only row holds the citizen's fields, which LEDI keeps
# in the ficha itself (dicionario-fae, dicionario-mca, dicionario-fczm).
UM_CIDADAO = frozenset({ELEGIBILIDADE, CONSUMO_ALIMENTAR, ZIKA_MICROCEFALIA})

TURNO: list[tuple[int, str]] = [(1, "Manhã"), (2, "Tarde"), (3, "Noite")]
SEXO: list[tuple[int, str]] = [(0, "Masculino"), (1, "Feminino"), (5, "Indeterminado")]

# --- Visita domiciliar e territorial ---------------------------------------------------------

DESFECHO: list[tuple[int, str]] = [(1, "Visita realizada"), (2, "Visita recusada"), (3, "Ausente")]
DESFECHO_SEM_VISITA = frozenset({2, 3})  # recusada, ausente: no motivos, no measurements

# dicionario.txt, MotivoVisita, in the order of the paper ficha, with its groups.
MOTIVO_VISITA: list[tuple[int, str]] = [
    (1, "Cadastramento / Atualização"),
    (29, "Visita periódica"),
    (2, "Consulta"),
    (3, "Exame"),
    (4, "Vacina"),
    (30, "Condicionalidades do bolsa família"),
    (5, "Gestante"),
    (6, "Puérpera"),
    (7, "Recém-nascido"),
    (8, "Criança"),
    (9, "Pessoa com desnutrição"),
    (10, "Pessoa em reabilitação ou com deficiência"),
    (11, "Pessoa com hipertensão"),
    (12, "Pessoa com diabetes"),
    (13, "Pessoa com asma"),
    (14, "Pessoa com DPOC / enfisema"),
    (15, "Pessoa com câncer"),
    (16, "Pessoa com outras doenças crônicas"),
    (17, "Pessoa com hanseníase"),
    (18, "Pessoa com tuberculose"),
    (32, "Sintomáticos respiratórios"),
    (33, "Tabagista"),
    (19, "Domiciliados / Acamados"),
    (20, "Condições de vulnerabilidade social"),
    (21, "Condicionalidades do bolsa família"),
    (22, "Saúde mental"),
    (23, "Usuário de álcool"),
    (24, "Usuário de outras drogas"),
    (38, "Pessoa idosa"),
    (34, "Ação educativa"),
    (35, "Imóvel com foco"),
    (36, "Ação mecânica"),
    (37, "Tratamento focal"),
    (25, "Egresso de internação"),
    (27, "Convite para atividades coletivas / campanha de saúde"),
    (31, "Orientação / Prevenção"),
    (28, "Outros"),
]
MOTIVOS_BUSCA_ATIVA = frozenset({2, 3, 4, 30})
MOTIVOS_ACOMPANHAMENTO = frozenset(
    {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 32, 33, 19, 20, 21, 22, 23, 24, 38}
)
# Motivos that make the citizen's birth date and sex required (dicionario-fvd #4, #5).
MOTIVOS_COM_CIDADAO = MOTIVOS_BUSCA_ATIVA | MOTIVOS_ACOMPANHAMENTO | {25, 31}
MOTIVOS_GESTACAO = frozenset({5, 6})
# Imóveis without people (comércio, terreno baldio, ponto estratégico, escola, creche,
# estabelecimento religioso): no citizen data, and only these motivos.
IMOVEL_SEM_CIDADAO = frozenset({2, 3, 4, 5, 6, 12})
MOTIVOS_IMOVEL_SEM_CIDADAO = frozenset({1, 34, 35, 36, 37, 27, 31, 28})
# Imóveis where a citizen seen makes birth date and sex required.
IMOVEL_COM_CIDADAO = frozenset({1, 7, 8, 9, 10, 11, 99})

# The tipos de imóvel with the short names the visit ficha's column has room for.
TIPO_IMOVEL_VISITA: list[tuple[int, str]] = [(codigo, nome.split(" (")[0]) for codigo, nome in TIPO_IMOVEL]
TIPO_GLICEMIA: list[tuple[int, str]] = [(0, "Jejum"), (1, "Pós-prandial"), (2, "Pré-prandial"), (3, "Não especificado")]

# --- Atividade coletiva ---------------------------------------------------------------------

TIPO_ATIVIDADE: list[tuple[int, str]] = [
    (1, "Reunião de equipe"),
    (2, "Reunião com outras equipes de saúde"),
    (3, "Reunião intersetorial / Conselho local de saúde / Controle social"),
    (4, "Educação em saúde"),
    (5, "Atendimento em grupo"),
    (6, "Avaliação / Procedimento coletivo"),
    (7, "Mobilização social"),
]
ATIVIDADES_REUNIAO = frozenset({1, 2, 3})
ATIVIDADES_COM_PARTICIPANTES = frozenset({5, 6})  # participants (with CNS or CPF) required
ATIVIDADES_COM_TEMA_SAUDE = frozenset({4, 5, 7})
ATIVIDADES_SEM_PRATICAS = frozenset({1, 2, 3, 4, 7})
ATIVIDADES_PROIBIDAS_SO_PSE_EDUCACAO = frozenset({1, 2, 3, 5})

TEMAS_REUNIAO: list[tuple[int, str]] = [
    (1, "Questões administrativas / funcionamento"),
    (2, "Processo de trabalho"),
    (3, "Diagnóstico / Monitoramento do território"),
    (4, "Planejamento / Monitoramento das ações da equipe"),
    (5, "Discussão de caso ou projeto terapêutico singular"),
    (6, "Educação permanente"),
    (7, "Outros"),
]
TEMA_EDUCACAO_PERMANENTE = 6

TEMAS_SAUDE: list[tuple[int, str]] = [
    (29, "Ações de combate ao Aedes aegypti"),
    (19, "Agravos e Doenças Negligenciadas"),
    (1, "Alimentação saudável"),
    (4, "Autocuidado de pessoas com doenças crônicas"),
    (5, "Cidadania e direitos humanos"),
    (7, "Prevenção ao uso de álcool, tabaco e outras drogas"),
    (8, "Envelhecimento / Climatério / Andropausa / Etc"),
    (10, "Plantas medicinais / Fitoterapia"),
    (13, "Prevenção da violência e promoção da cultura da paz"),
    (14, "Saúde ambiental"),
    (15, "Saúde bucal"),
    (6, "Saúde do trabalhador"),
    (16, "Saúde mental"),
    (17, "Saúde sexual e reprodutiva"),
    (18, "Semana saúde na escola"),
    (31, "Amamentação"),
    (32, "Alimentação complementar saudável"),
    (21, "Outros"),
]
TEMA_SEMANA_SAUDE_ESCOLA = 18

PRATICAS_SAUDE: list[tuple[int, str]] = [
    (20, "Antropometria"),
    (2, "Aplicação tópica de flúor"),
    (23, "Desenvolvimento da linguagem"),
    (9, "Escovação dental supervisionada"),
    (11, "Práticas corporais e Atividade física"),
    (25, "Programa Nacional de Controle do Tabagismo 1"),
    (26, "Programa Nacional de Controle do Tabagismo 2"),
    (27, "Programa Nacional de Controle do Tabagismo 3"),
    (28, "Programa Nacional de Controle do Tabagismo 4"),
    (22, "Saúde auditiva"),
    (3, "Saúde ocular"),
    (24, "Verificação da situação vacinal"),
    (12, "Outras"),
    (30, "Outro procedimento coletivo"),
]
PRATICAS_PNCT = frozenset({25, 26, 27, 28})  # the tabagismo sessions
PRATICAS_SO_AVALIACAO = frozenset({2, 9})  # only in "Avaliação / Procedimento coletivo"
PRATICAS_PROIBIDAS_SO_PSE_EDUCACAO = frozenset({2, 9, 25, 26, 27, 28, 24, 30})
PRATICA_OUTRO_PROCEDIMENTO = 30

PUBLICO_ALVO: list[tuple[int, str]] = [
    (1, "Comunidade em geral"),
    (2, "Criança de 0 a 3 anos"),
    (3, "Criança de 4 a 5 anos"),
    (4, "Criança de 6 a 11 anos"),
    (5, "Adolescente"),
    (6, "Mulher"),
    (7, "Gestante"),
    (8, "Homem"),
    (9, "Familiares"),
    (10, "Pessoa idosa"),
    (12, "Pessoas com doenças crônicas"),
    (13, "Usuário de tabaco"),
    (14, "Usuário de álcool"),
    (15, "Usuário de outras drogas"),
    (16, "Portador com sofrimento ou transtorno mental"),
    (17, "Profissional da educação"),
    (18, "Outros"),
]

# dicionario-fac, OutroProcedimentoColetivo (SIGTAP competência 02/2024), without the dots.
OUTRO_PROCEDIMENTO_COLETIVO: list[tuple[str, str]] = [
    ("0102020078", "Atividades com grupos na temática de saúde do trabalhador"),
    ("0102010510", "Atividades educativas com relação ao consumo de sódio, açúcar e gorduras"),
    ("0102020027", "Atividade educativa em saúde do trabalhador"),
    ("0101010109", "Atividades educativas da população sobre a temática da malária"),
    ("0101010010", "Atividade educativa / orientação em grupo na atenção primária"),
    ("0101010028", "Atividade educativa / orientação em grupo na atenção especializada"),
    ("0102010056", "Atividades educativas para o setor regulado"),
    ("0102010501", "Atividades educativas sobre a temática da dengue, realizadas para a população"),
    ("0101020015", "Ação coletiva de aplicação tópica de flúor gel"),
    ("0101020023", "Ação coletiva de bochecho fluorado"),
    ("0101020031", "Ação coletiva de escovação dental supervisionada"),
    ("0101020040", "Ação coletiva de exame bucal com finalidade epidemiológica"),
    ("0101020112", "Ação coletiva de prevenção de câncer bucal"),
    ("0101040032", "Coleta externa de leite materno (por doadora)"),
    ("0101020082", "Evidenciação de placa bacteriana"),
    ("0101050054", "Oficina de massagem / auto-massagem"),
    ("0101040040", "Pasteurização do leite humano (cada 5 litros)"),
    ("0101010036", "Prática corporal / atividade física em grupo"),
    ("0301080275", "Práticas corporais em centro de atenção psicossocial"),
    ("0101050011", "Práticas corporais em medicina tradicional chinesa"),
    ("0301080283", "Práticas expressivas e comunicativas em centro de atenção psicossocial"),
    ("0101010095", "Prevenção ao COVID-19 nas escolas"),
    ("0101050062", "Sessão de arteterapia"),
    ("0101050119", "Sessão de bioenergética"),
    ("0101050100", "Sessão de biodança"),
    ("0101050127", "Sessão de constelação familiar"),
    ("0101050135", "Sessão de dança circular"),
    ("0101050070", "Sessão de meditação"),
    ("0101050089", "Sessão de musicoterapia"),
    ("0804020051", "Teleatendimento em grupo"),
    ("0101050020", "Terapia comunitária"),
    ("0307010074", "Tratamento restaurador atraumático (TRA/ART)"),
    ("0101050046", "Yoga"),
]


# --- Atenção domiciliar: Atendimento Domiciliar (10) and Avaliação de Elegibilidade (11) ------

# dicionario.txt, ModalidadeAD: 4 (inelegível) only in the Avaliação de Elegibilidade.
MODALIDADE_AD: list[tuple[int, str]] = [(1, "AD 1"), (2, "AD 2"), (3, "AD 3")]
INELEGIVEL = 4
MODALIDADE_ELEGIBILIDADE: list[tuple[int, str]] = [*MODALIDADE_AD, (INELEGIVEL, "Inelegível")]

# dicionario.txt, TipoDeAtendimento: the three the home care ficha accepts.
TIPO_ATENDIMENTO_DOMICILIAR: list[tuple[int, str]] = [
    (7, "Atendimento programado"),
    (8, "Atendimento não programado"),
    (9, "Visita domiciliar pós-óbito"),
]
VISITA_POS_OBITO = 9
SIGTAP_VISITA_POS_OBITO = "0301050104"  # goes in tipoAtendimento 9, never in the list

# dicionario.txt, LocalDeAtendimento (11, 12 and 13 only in this ficha).
LOCAL_ATENDIMENTO: list[tuple[int, str]] = [
    (1, "UBS"),
    (2, "Unidade móvel"),
    (3, "Rua"),
    (4, "Domicílio"),
    (5, "Escola / Creche"),
    (6, "Outros"),
    (7, "Polo (academia da saúde)"),
    (8, "Instituição / Abrigo"),
    (9, "Unidade prisional ou congêneres"),
    (10, "Unidade socioeducativa"),
    (11, "Hospital"),
    (12, "Unidade de pronto atendimento"),
    (13, "CACON / UNACON"),
    (16, "UBSI"),
    (17, "UBSI Fluvial"),
    (18, "Sede de polo base tipo I"),
    (19, "CASAI"),
]

# dicionario-fad and dicionario-fae, Condições avaliadas.
CONDICOES_AVALIADAS: list[tuple[int, str]] = [
    (1, "Acamado"),
    (2, "Domiciliado"),
    (3, "Úlceras / Feridas (grau III ou IV)"),
    (4, "Acompanhamento nutricional"),
    (5, "Uso de sonda naso-gástrica - SNG"),
    (6, "Uso de sonda naso-enteral - SNE"),
    (7, "Uso de gastrostomia"),
    (8, "Uso de colostomia"),
    (9, "Uso de cistostomia"),
    (10, "Uso de sonda vesical de demora - SVD"),
    (11, "Acompanhamento pré-operatório"),
    (12, "Acompanhamento pós-operatório"),
    (13, "Adaptação ao uso de órtese / prótese"),
    (14, "Reabilitação domiciliar"),
    (15, "Cuidados paliativos oncológico"),
    (16, "Cuidados paliativos não-oncológico"),
    (17, "Oxigenoterapia domiciliar"),
    (18, "Uso de traqueostomia"),
    (19, "Uso de aspirador de vias aéreas para higiene brônquica"),
    (20, "Suporte ventilatório não invasivo - CPAP"),
    (21, "Suporte ventilatório não invasivo - BiPAP"),
    (22, "Diálise peritonial"),
    (23, "Paracentese"),
    (24, "Medicação parenteral"),
]

# dicionario.txt, CondutaDesfecho (of the home care ficha).
CONDUTA_DESFECHO: list[tuple[int, str]] = [
    (7, "Permanência"),
    (3, "Alta administrativa"),
    (1, "Alta clínica"),
    (9, "Óbito"),
    (2, "Encaminhamento: Atenção Básica (AD1)"),
    (4, "Encaminhamento: serviço de urgência e emergência"),
    (5, "Encaminhamento: serviço de internação hospitalar"),
]

# dicionario.txt, AtencaoDomiciliarProcedencia.
PROCEDENCIA: list[tuple[int, str]] = [
    (1, "Atenção Básica"),
    (11, "Internação hospitalar"),
    (12, "Urgência e emergência"),
    (13, "CACON / UNACON"),
    (16, "Iniciativa do paciente ou terceiros"),
    (6, "Outros"),
]

# dicionario.txt, ConclusaoDestinoElegivel and ConclusaoDestinoInelegivel.
CONCLUSAO_ELEGIVEL: list[tuple[int, str]] = [
    (1, "Admissão na própria EMAD"),
    (2, "Encaminhado para outra EMAD"),
    (3, "Encaminhado para a Atenção Básica (AD1)"),
    (4, "Outro encaminhamento"),
]
ADMISSAO_PROPRIA_EMAD = 1  # with AD1-3, the full cadastro and address become required
CONCLUSAO_INELEGIVEL: list[tuple[int, str]] = [
    (1, "Instabilidade clínica"),
    (2, "Necessidade propedêutica"),
    (3, "Outro motivo"),
    (4, "Ausência de cuidador"),
    (5, "Outras condições sociais"),
]

# dicionario.txt, CuidadorCidadao.
CUIDADOR: list[tuple[int, str]] = [
    (1, "Não possui"),
    (2, "Cônjuge / Companheiro"),
    (3, "Filho / Enteado"),
    (4, "Pai / Mãe"),
    (5, "Avô(ó)"),
    (6, "Neto"),
    (7, "Irmão(ã)"),
    (8, "Outro"),
]
SEM_CUIDADOR = 1

# The citizen's cadastro in the FAE: the cadastro individual's tables (prontuario.ledi).
RACA_INDIGENA = 5  # the etnia is informed with it, and only with it
PAIS_BRASIL = 31


# --- Marcadores de consumo alimentar (dicionario-mca) ----------------------------------------

# The MCA's LocalDeAtendimento: the first ten of the table (dicionario-mca).
LOCAL_ATENDIMENTO_MCA: list[tuple[int, str]] = [item for item in LOCAL_ATENDIMENTO if item[0] <= 10]

# RespostaUnicaEscolhaEnum and RespostaMultiplaEscolhaEnum: code -> (LEDI name, label).
RESPOSTAS: dict[int, tuple[str, str]] = {
    1: ("SIM", "Sim"),
    2: ("NAO", "Não"),
    3: ("NAO_SABE", "Não sabe"),
    4: ("UMA_VEZ", "1 vez"),
    5: ("DUAS_VEZES", "2 vezes"),
    6: ("TRES_VEZES_OU_MAIS", "3 vezes ou mais"),
    7: ("EM_PEDACOS", "Em pedaços"),
    8: ("AMASSADA", "Amassada"),
    9: ("PASSADA_NA_PENEIRA", "Passada na peneira"),
    10: ("LIQUIDIFICADA", "Liquidificada"),
    11: ("SO_O_CALDO", "Só o caldo"),
}
REFEICOES: dict[int, tuple[str, str]] = {
    12: ("CAFE_DA_MANHA", "Café da manhã"),
    13: ("LANCHE_DA_MANHA", "Lanche da manhã"),
    14: ("ALMOCO", "Almoço"),
    15: ("LANCHE_DA_TARDE", "Lanche da tarde"),
    16: ("JANTAR", "Jantar"),
    17: ("CEIA", "Ceia"),
}
SIM_NAO_SABE = (1, 2, 3)
VEZES = (3, 4, 5, 6)


class Pergunta(NamedTuple):
    codigo: int
    nome: str  # the LEDI enum name
    rotulo: str  # as the paper ficha asks it
    respostas: tuple[int, ...]  # the accepted answers (RespostaUnicaEscolhaEnum); () for the meals
    depende_de: int | None = None  # asked only when this question was answered "Sim"


# The three question sets, by the LEDI list that carries each: one and only one is sent,
# the one of the child's age on the day (menos de 6 meses, 6 a 23 meses, 2 anos ou mais).
MENOS_6_MESES = "perguntasQuestionarioCriancasMenoresSeisMeses"
DE_6_A_23_MESES = "perguntasQuestionarioCriancasDeSeisVinteTresMeses"
MAIS_2_ANOS = "perguntasQuestionarioCriancasComMaisDoisAnos"
PERGUNTAS: dict[str, list[Pergunta]] = {
    MENOS_6_MESES: [
        Pergunta(1, "A_CRIANCA_ONTEM_TOMOU_LEITE_DO_PEITO", "A criança ontem tomou leite do peito?", SIM_NAO_SABE),
        Pergunta(3, "MINGAU", "Ontem a criança consumiu mingau?", SIM_NAO_SABE),
        Pergunta(4, "AGUA_CHA", "Ontem a criança consumiu água / chá?", SIM_NAO_SABE),
        Pergunta(5, "LEITE_VACA", "Ontem a criança consumiu leite de vaca?", SIM_NAO_SABE),
        Pergunta(6, "FORMULA_INFANTIL", "Ontem a criança consumiu fórmula infantil?", SIM_NAO_SABE),
        Pergunta(7, "SUCO_FRUTA", "Ontem a criança consumiu suco de fruta?", SIM_NAO_SABE),
        Pergunta(8, "FRUTA", "Ontem a criança consumiu fruta?", SIM_NAO_SABE),
        Pergunta(9, "COMIDA_DE_SAL", "Ontem a criança consumiu comida de sal (de panela, papa ou sopa)?", SIM_NAO_SABE),
        Pergunta(10, "OUTROS_ALIMENTOS_BEBIDAS", "Ontem a criança consumiu outros alimentos / bebidas?", SIM_NAO_SABE),
    ],
    DE_6_A_23_MESES: [
        Pergunta(21, "A_CRIANCA_ONTEM_TOMOU_LEITE_PEITO", "A criança ontem tomou leite do peito?", SIM_NAO_SABE),
        Pergunta(
            22,
            "ONTEM_A_CRIANCA_COMEU_FRUTA_INTEIRA_PEDACO_AMASSADO",
            "Ontem a criança comeu fruta inteira, em pedaço ou amassada?",
            SIM_NAO_SABE,
        ),
        Pergunta(23, "SE_SIM_QUANTAS_VEZES", "Se sim, quantas vezes?", VEZES, depende_de=22),
        Pergunta(24, "ONTEM_A_CRIANCA_COMEU_COMIDA_DE_SAL", "Ontem a criança comeu comida de sal?", SIM_NAO_SABE),
        Pergunta(25, "SE_COMEU_COMIDA_DE_SAL_QUANTAS_VEZES", "Se sim, quantas vezes?", VEZES, depende_de=24),
        Pergunta(
            26, "SE_SIM_ESSA_COMIDA_FOI_OFERECIDA", "Se sim, essa comida foi oferecida:", (3, 7, 8, 9, 10, 11), 24
        ),
        Pergunta(
            28,
            "OUTRO_LEITE_QUE_NAO_LEITE_DO_PEITO",
            "Ontem a criança consumiu outro leite que não o do peito?",
            SIM_NAO_SABE,
        ),
        Pergunta(29, "MINGAU_COM_LEITE", "Mingau com leite", SIM_NAO_SABE),
        Pergunta(30, "IOGURTE", "Iogurte", SIM_NAO_SABE),
        Pergunta(
            31, "LEGUMES", "Legumes (não considerar os utilizados como temperos, nem batata, mandioca...)", SIM_NAO_SABE
        ),
        Pergunta(
            32,
            "VEGETAL_OU_FRUTAS_COR_ALARANJADA_OU_FOLHAS_ESCURAS",
            "Vegetal ou fruta de cor alaranjada ou folhas verde-escuras",
            SIM_NAO_SABE,
        ),
        Pergunta(33, "VERDURA_DE_FOLHA", "Verdura de folha", SIM_NAO_SABE),
        Pergunta(34, "CARNE", "Carne (boi, frango, peixe, porco, miúdos, outras) ou ovo", SIM_NAO_SABE),
        Pergunta(35, "FIGADO", "Fígado", SIM_NAO_SABE),
        Pergunta(36, "FEIJAO", "Feijão", SIM_NAO_SABE),
        Pergunta(
            37,
            "ARROZ_BATATA_INHAME_MANDIOCA_FARINHA_MACARRAO",
            "Arroz, batata, inhame, aipim / macaxeira / mandioca, farinha ou macarrão (sem ser instantâneo)",
            SIM_NAO_SABE,
        ),
        Pergunta(38, "HAMBURGUER_E_OU_EMBUTIDOS", "Hambúrguer e/ou embutidos", SIM_NAO_SABE),
        Pergunta(39, "BEBIDAS_ADOCADAS", "Bebidas adoçadas", SIM_NAO_SABE),
        Pergunta(
            40,
            "MACARRAO_INSTANTANEO_SALGADINHOS_BISCOITOS",
            "Macarrão instantâneo, salgadinhos de pacote ou biscoitos salgados",
            SIM_NAO_SABE,
        ),
        Pergunta(
            41,
            "BISCOITO_RECHEADO_DOCES_OU_GULOSEIMAS",
            "Biscoito recheado, doces ou guloseimas",
            SIM_NAO_SABE,
        ),
    ],
    MAIS_2_ANOS: [
        Pergunta(
            11,
            "VOCE_TEM_COSTUME_DE_REALIZAR_AS_REFEICOES_ASSISTINDO_TV_MEXENDO_NO_COMPUTADOR_E_OU_CELULAR",
            "Você tem costume de realizar as refeições assistindo à TV, mexendo no computador e/ou celular?",
            SIM_NAO_SABE,
        ),
        Pergunta(12, "QUAIS_REFEICOES_VOCE_FAZ_AO_LONGO_DO_DIA", "Quais refeições você faz ao longo do dia?", ()),
        Pergunta(14, "FEIJAO", "Ontem, você consumiu feijão?", SIM_NAO_SABE),
        Pergunta(
            15, "FRUTAS_FRESCAS", "Ontem, você consumiu frutas frescas (não considerar suco de frutas)?", SIM_NAO_SABE
        ),
        Pergunta(
            16,
            "VERDURAS_E_OU_LEGUMES",
            "Ontem, você consumiu verduras e/ou legumes (não considerar batata, mandioca, aipim...)?",
            SIM_NAO_SABE,
        ),
        Pergunta(17, "HAMBURGUER_E_OU_EMBUTIDOS", "Ontem, você consumiu hambúrguer e/ou embutidos?", SIM_NAO_SABE),
        Pergunta(
            18,
            "BEBIDAS_ADOCADAS",
            "Ontem, você consumiu bebidas adoçadas (refrigerante, suco de caixinha, suco em pó...)?",
            SIM_NAO_SABE,
        ),
        Pergunta(
            19,
            "MACARRAO_INSTANTANEO_SALGADINHOS_BISCOITOS",
            "Ontem, você consumiu macarrão instantâneo, salgadinhos de pacote ou biscoitos salgados?",
            SIM_NAO_SABE,
        ),
        Pergunta(
            20,
            "BISCOITO_RECHEADO_DOCES_OU_GULOSEIMAS",
            "Ontem, você consumiu biscoito recheado, doces ou guloseimas (balas, pirulitos, chiclete...)?",
            SIM_NAO_SABE,
        ),
    ],
}
PERGUNTA_REFEICOES = 12
GRUPO_ROTULO = {
    MENOS_6_MESES: "menores de 6 meses",
    DE_6_A_23_MESES: "de 6 a 23 meses",
    MAIS_2_ANOS: "de 2 anos ou mais",
}

# --- Complementar síndrome neurológica por Zika / microcefalia (dicionario-fczm) -------------


class Exame(NamedTuple):
    data: str  # the LEDI field of the day it was done
    resultado: str  # the LEDI field of its result
    rotulo: str
    resultados: list[tuple[int, str]]


# The paper ficha's exams, in its order, with the result codes of each (dicionario.txt).
EXAMES_ZIKA: list[Exame] = [
    Exame(
        "dataRealizacaoTesteOlhinho",
        "coResultadoTesteOlhinho",
        "Teste do olhinho (TRV)",
        [(1, "Presente bilateral"), (2, "Duvidoso ou ausente")],
    ),
    Exame(
        "dataRealizacaoExameFundoOlho",
        "coResultadoExameFundoOlho",
        "Exame de fundo de olho",
        [(3, "Normal"), (4, "Alterado")],
    ),
    Exame(
        "dataRealizacaoTesteOrelhinha",
        "coResultadoTesteOrelhinha",
        "Teste da orelhinha (PEATE)",
        [(5, "Passou"), (6, "Falhou")],
    ),
    Exame(
        "dataRealizacaoUSTransfontanela",
        "coResultadoUsTransfontanela",
        "US transfontanela",
        [(7, "Normal"), (8, "Sugestivo de infecção congênita"), (9, "Outras alterações"), (10, "Indeterminado")],
    ),
    Exame(
        "dataRealizacaoTomografiaComputadorizada",
        "coResultadoTomografiaComputadorizada",
        "Tomografia computadorizada",
        [(11, "Normal"), (12, "Sugestivo de infecção congênita"), (13, "Outras alterações"), (14, "Indeterminado")],
    ),
    Exame(
        "dataRealizacaoRessonanciaMagnetica",
        "coResultadoRessonanciaMagnetica",
        "Ressonância magnética",
        [(15, "Normal"), (16, "Sugestivo de infecção congênita"), (17, "Outras alterações"), (18, "Indeterminado")],
    ),
]
