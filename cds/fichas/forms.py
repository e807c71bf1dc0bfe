"""The typing forms, shaped like the paper fichas: one header and as many rows as the
paper has, each row a form of a formset ("Adicionar linha" adds one; blank rows are
skipped). Each form turns what was typed into the LEDI dict (official field names) the
record keeps, and knows which of its fields each LEDI field came from, so a rule's
message lands next to the field typed wrong. The forms check only the shape of what
was typed (a number, a date); the LEDI rules are asked on save (cds.fichas.services).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from cds.fichas import ledi
from cds.territorio.ledi import DNE_UF_POR_IBGE
from pec.documentos import so_digitos
from pec.models import Lotacao

_VAZIO: list[tuple[Any, str]] = [("", "—")]


def data_ms(dia: datetime.date) -> int:
    """A day as LEDI writes it: epoch milliseconds of local midnight."""
    return int(timezone.make_aware(datetime.datetime.combine(dia, datetime.time.min)).timestamp() * 1000)


def ms_data(ms: int) -> datetime.date:
    return timezone.localtime(datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)).date()


def _data(**kwargs: Any) -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def _escolha(opcoes: list[tuple[int, str]], rotulo: str, **kwargs: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=rotulo, choices=_VAZIO + opcoes, coerce=int, empty_value=None, required=False, **kwargs
    )


def _decimal(rotulo: str, casas: int) -> forms.DecimalField:
    return forms.DecimalField(label=rotulo, required=False, decimal_places=casas, max_digits=7)


def _inteiro(rotulo: str) -> forms.IntegerField:
    return forms.IntegerField(label=rotulo, required=False)


def _sim_nao(rotulo: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=rotulo,
        choices=[("", "—"), ("1", "Sim"), ("0", "Não")],
        coerce=lambda valor: valor == "1",
        empty_value=None,
        required=False,
    )


def _codigos(texto: str, rotulo: str) -> list[int]:
    """Codes typed as on the paper ficha's legend: numbers separated by spaces or commas."""
    partes = texto.replace(",", " ").split()
    if not all(parte.isdigit() for parte in partes):
        raise forms.ValidationError(f"{rotulo}: digite os códigos separados por espaço ou vírgula.")
    return [int(parte) for parte in partes]


def documento_ledi(documento: str | None, chaves: tuple[str, str]) -> dict[str, str]:
    """A CPF (11 digits) or CNS (15) typed in one field, under the LEDI key of its kind
    (`chaves`: the (cpf, cns) keys of that person in the ficha); nothing when blank."""
    if not documento:
        return {}
    cpf, cns = chaves
    return {cpf if len(documento) == 11 else cns: documento}


class CabecalhoForm(forms.Form):
    data_atendimento = _data(label="Data do atendimento")
    turno = _escolha(ledi.TURNO, "Turno")

    lotacao = forms.TypedChoiceField(label="Profissional", coerce=int, empty_value=None, required=False)

    def __init__(self, *args: Any, tipo: int, lotacoes: list[Lotacao] | None = None, **kwargs: Any) -> None:
        """`lotacoes`: who a digitador may credit the ficha to (cds.fichas.services.lotacoes_para);
        without them the ficha is the typist's own and the header offers no choice."""
        super().__init__(*args, **kwargs)
        if tipo in (ledi.VISITA, ledi.ATENDIMENTO_DOMICILIAR):  # these fichas have the turno on each row
            del self.fields["turno"]
        if tipo == ledi.CONSUMO_ALIMENTAR:  # dicionario-mca has no turno
            del self.fields["turno"]
        if not lotacoes:
            del self.fields["lotacao"]
        else:
            escolha = self.fields["lotacao"]
            assert isinstance(escolha, forms.TypedChoiceField)
            escolha.choices = [("", "— quem preencheu a ficha —")] + [
                (lotacao.id, f"{lotacao.profissional.nome} — CBO {lotacao.cbo}") for lotacao in lotacoes
            ]


class LinhaForm(forms.Form):
    """A row; subclasses say how each LEDI field comes from a form field (`LEDI`)."""

    LEDI: ClassVar[dict[str, str]] = {}  # LEDI field -> form field
    DOCUMENTO: ClassVar[tuple[str, str]] = ("", "")  # (CPF field, CNS field) in LEDI
    documento = forms.CharField(label="CPF ou CNS", required=False, max_length=18)

    def clean_documento(self) -> str:
        documento = so_digitos(self.cleaned_data["documento"])
        if documento and len(documento) not in (11, 15):
            raise forms.ValidationError("Digite o CPF (11 dígitos) ou o CNS (15 dígitos).")
        return documento

    def ledi(self) -> dict[str, Any]:
        """The row as its LEDI child dict, without the fields left blank."""
        valores: dict[str, Any] = {}
        for campo_ledi, campo in self.LEDI.items():
            valor = self.cleaned_data.get(campo)
            if isinstance(valor, datetime.date):
                valor = data_ms(valor)
            elif isinstance(valor, Decimal):  # LEDI doubles
                valor = float(valor)
            if valor not in (None, "", []):
                valores[campo_ledi] = valor
        valores.update(documento_ledi(self.cleaned_data.get("documento"), self.DOCUMENTO))
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        """A saved row back into the form's fields (to correct it)."""
        inicial: dict[str, Any] = {}
        for campo_ledi, campo in cls.LEDI.items():
            valor = dados.get(campo_ledi)
            if valor is None:
                continue
            if isinstance(cls.base_fields[campo], forms.DateField):
                valor = ms_data(valor)
            elif isinstance(valor, list):
                valor = " ".join(map(str, valor))
            inicial[campo] = valor
        cpf, cns = cls.DOCUMENTO
        inicial["documento"] = dados.get(cpf) or dados.get(cns) or ""
        return inicial

    @classmethod
    def campo_do_ledi(cls, campo_ledi: str) -> str | None:
        if campo_ledi in cls.DOCUMENTO:
            return "documento"
        return cls.LEDI.get(campo_ledi)


class VisitaForm(LinhaForm):
    """One visit of the Ficha de Visita Domiciliar e Territorial (a row of the paper)."""

    turno = _escolha(ledi.TURNO, "Turno")
    micro_area = forms.CharField(label="Microárea", required=False, max_length=2)
    fora_area = forms.BooleanField(label="Fora de área", required=False)
    tipo_imovel = _escolha(ledi.TIPO_IMOVEL_VISITA, "Tipo de imóvel", initial=1)
    num_prontuario = forms.CharField(label="Nº do prontuário", required=False, max_length=30)
    nascimento = _data(label="Data de nascimento", required=False)
    sexo = _escolha(ledi.SEXO, "Sexo")
    compartilhada = forms.BooleanField(label="Visita compartilhada", required=False)
    motivos = forms.CharField(label="Motivos da visita (códigos)", required=False, max_length=200)
    desfecho = _escolha(ledi.DESFECHO, "Desfecho", initial=1)
    peso = _decimal("Peso (kg)", 3)
    altura = _decimal("Altura (cm)", 1)
    pa_sistolica = _inteiro("PA sistólica (mmHg)")
    pa_diastolica = _inteiro("PA diastólica (mmHg)")
    temperatura = _decimal("Temperatura (°C)", 1)
    glicemia = _inteiro("Glicemia (mg/dL)")
    tipo_glicemia = _escolha(ledi.TIPO_GLICEMIA, "Momento da coleta")

    LEDI = {
        "turno": "turno",
        "microArea": "micro_area",
        "stForaArea": "fora_area",
        "tipoDeImovel": "tipo_imovel",
        "numProntuario": "num_prontuario",
        "dtNascimento": "nascimento",
        "sexo": "sexo",
        "statusVisitaCompartilhadaOutroProfissional": "compartilhada",
        "motivosVisita": "motivos",
        "desfecho": "desfecho",
        "pesoAcompanhamentoNutricional": "peso",
        "alturaAcompanhamentoNutricional": "altura",
        "pressaoSistolica": "pa_sistolica",
        "pressaoDiastolica": "pa_diastolica",
        "temperatura": "temperatura",
        "glicemia": "glicemia",
        "tipoGlicemia": "tipo_glicemia",
    }
    DOCUMENTO = ("cpfCidadao", "cnsCidadao")
    # The columns of the paper ficha, left to right; the most common answers (a domicílio,
    # a visit made) come marked, and a row left as it came is a blank row of the paper.
    field_order = [
        "turno",
        "micro_area",
        "fora_area",
        "tipo_imovel",
        "num_prontuario",
        "documento",
        "nascimento",
        "sexo",
        "compartilhada",
        "motivos",
        "desfecho",
    ]
    LEGENDAS: ClassVar[dict[str, list[tuple[int, str]]]] = {"motivos": ledi.MOTIVO_VISITA}

    def __init__(self, *args: Any, microarea: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if microarea:  # an agente's visits are in the microárea of the lotação
            self.fields["micro_area"].initial = microarea

    def clean_motivos(self) -> list[int]:
        return _codigos(self.cleaned_data["motivos"], "Motivos da visita")

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        # Booleans of the paper: an unmarked box is "no" only where LEDI reads it so.
        valores["stForaArea"] = bool(self.cleaned_data.get("fora_area"))
        valores["statusVisitaCompartilhadaOutroProfissional"] = bool(self.cleaned_data.get("compartilhada"))
        return valores


class ParticipanteForm(LinhaForm):
    """One participant of the Ficha de Atividade Coletiva."""

    nascimento = _data(label="Data de nascimento", required=False)
    sexo = _escolha(ledi.SEXO, "Sexo")
    avaliacao_alterada = forms.BooleanField(label="Avaliação alterada", required=False)
    peso = _decimal("Peso (kg)", 3)
    altura = _decimal("Altura (cm)", 1)
    cessou_fumar = _sim_nao("Cessou o hábito de fumar")
    abandonou_grupo = _sim_nao("Abandonou o grupo")

    LEDI = {
        "dataNascimento": "nascimento",
        "sexo": "sexo",
        "avaliacaoAlterada": "avaliacao_alterada",
        "peso": "peso",
        "altura": "altura",
        "cessouHabitoFumar": "cessou_fumar",
        "abandonouGrupo": "abandonou_grupo",
    }
    DOCUMENTO = ("cpfParticipante", "cnsParticipante")

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        valores["avaliacaoAlterada"] = bool(self.cleaned_data.get("avaliacao_alterada"))
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        inicial = super().inicial(dados)
        for campo in ("cessou_fumar", "abandonou_grupo"):
            if campo in inicial:
                inicial[campo] = "1" if inicial[campo] else "0"
        return inicial


def _multipla(opcoes: list[tuple[int, str]], rotulo: str) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=rotulo, choices=opcoes, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )


class AtividadeForm(forms.Form):
    """The activity of the Ficha de Atividade Coletiva (the header's own fields)."""

    atividade_tipo = _escolha(ledi.TIPO_ATIVIDADE, "Tipo de atividade")
    num_participantes = _inteiro("Nº de participantes")
    pse_educacao = forms.BooleanField(label="PSE: ação de educação", required=False)
    pse_saude = forms.BooleanField(label="PSE: ação de saúde", required=False)
    inep = _inteiro("INEP da escola")
    cnes_local = forms.CharField(label="CNES do local", required=False, max_length=7)
    outra_localidade = forms.CharField(label="Outro local", required=False, max_length=250)
    temas_reuniao = _multipla(ledi.TEMAS_REUNIAO, "Temas para reunião")
    publico_alvo = _multipla(ledi.PUBLICO_ALVO, "Público-alvo")
    temas_saude = _multipla(ledi.TEMAS_SAUDE, "Temas para saúde")
    praticas = _multipla(ledi.PRATICAS_SAUDE, "Práticas em saúde")
    procedimento = forms.ChoiceField(
        label="Outro procedimento coletivo (SIGTAP)", required=False, choices=_VAZIO + ledi.OUTRO_PROCEDIMENTO_COLETIVO
    )
    profissionais = forms.CharField(
        label="Profissionais participantes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Um por linha: CNS e CBO separados por espaço (ex.: 898001160660761 223565).",
    )

    LEDI: ClassVar[dict[str, str]] = {
        "atividadeTipo": "atividade_tipo",
        "numParticipantes": "num_participantes",
        "pseEducacao": "pse_educacao",
        "pseSaude": "pse_saude",
        "inep": "inep",
        "cnesLocalAtividade": "cnes_local",
        "outraLocalidade": "outra_localidade",
        "temasParaReuniao": "temas_reuniao",
        "publicoAlvo": "publico_alvo",
        "temasParaSaude": "temas_saude",
        "praticasEmSaude": "praticas",
        "procedimento": "procedimento",
        "profissionais": "profissionais",
    }

    def clean_profissionais(self) -> list[dict[str, str]]:
        profissionais = []
        for linha in self.cleaned_data["profissionais"].splitlines():
            partes = linha.split()
            if not partes:
                continue
            if len(partes) != 2:
                raise forms.ValidationError("Digite, em cada linha, o CNS e a CBO do profissional.")
            profissionais.append({"cnsProfissional": so_digitos(partes[0]), "codigoCbo2002": partes[1].upper()})
        return profissionais

    def ledi(self) -> dict[str, Any]:
        valores: dict[str, Any] = {}
        for campo_ledi, campo in self.LEDI.items():
            valor = self.cleaned_data.get(campo)
            if valor not in (None, "", []):
                valores[campo_ledi] = valor
        valores["pseEducacao"] = bool(self.cleaned_data.get("pse_educacao"))
        valores["pseSaude"] = bool(self.cleaned_data.get("pse_saude"))
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        inicial = {campo: dados[campo_ledi] for campo_ledi, campo in cls.LEDI.items() if campo_ledi in dados}
        if "profissionais" in inicial:
            inicial["profissionais"] = "\n".join(
                f"{p.get('cnsProfissional', '')} {p.get('codigoCbo2002', '')}" for p in inicial["profissionais"]
            )
        return inicial


def _sigtap(texto: str) -> list[str]:
    """SIGTAP codes typed as on the paper (03.01.05.010-4) or bare, separated by spaces or commas."""
    partes = texto.replace(",", " ").split()
    if not all(re.fullmatch(r"[\d.-]+", parte) for parte in partes):
        raise forms.ValidationError("Digite os códigos SIGTAP (10 dígitos) separados por espaço ou vírgula.")
    return [so_digitos(parte) for parte in partes]


def _cid(rotulo: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=rotulo, required=False, max_length=6, **kwargs)


def _codigo_cid(valor: str) -> str:
    return valor.strip().upper().replace(".", "")


class AtendimentoDomiciliarForm(LinhaForm):
    """One atendimento of the Ficha de Atendimento Domiciliar (a row of the paper): the
    citizen, the modalidade AD, the conditions assessed, one problem/condition (CIAP2
    and/or CID-10), the procedures and the conduta."""

    turno = _escolha(ledi.TURNO, "Turno")
    nascimento = _data(label="Data de nascimento", required=False)
    sexo = _escolha(ledi.SEXO, "Sexo")
    local = _escolha(ledi.LOCAL_ATENDIMENTO, "Local de atendimento")
    modalidade = _escolha(ledi.MODALIDADE_AD, "Modalidade AD")
    tipo_atendimento = _escolha(ledi.TIPO_ATENDIMENTO_DOMICILIAR, "Tipo de atendimento")
    condicoes = forms.CharField(label="Condições avaliadas (códigos)", required=False, max_length=100)
    ciap = _cid("CIAP2")
    cid10 = _cid("CID-10")
    procedimentos = forms.CharField(label="Procedimentos (códigos SIGTAP)", required=False, max_length=500)
    conduta = _escolha(ledi.CONDUTA_DESFECHO, "Conduta / desfecho")

    LEDI = {
        "turno": "turno",
        "dataNascimento": "nascimento",
        "sexo": "sexo",
        "localAtendimento": "local",
        "atencaoDomiciliarModalidade": "modalidade",
        "tipoAtendimento": "tipo_atendimento",
        "condicoesAvaliadas": "condicoes",
        "procedimentos": "procedimentos",
        "condutaDesfecho": "conduta",
    }
    DOCUMENTO = ("cpfCidadao", "cnsCidadao")
    LEGENDAS: ClassVar[dict[str, list[tuple[int, str]]]] = {"condicoes": ledi.CONDICOES_AVALIADAS}
    # The typed problem/condition is the row's one ProblemaCondicao: its messages land here.
    PROBLEMA: ClassVar[dict[str, str]] = {"problemasCondicoes": "ciap", "ciap": "ciap", "cid10": "cid10"}

    def clean_condicoes(self) -> list[int]:
        return _codigos(self.cleaned_data["condicoes"], "Condições avaliadas")

    def clean_procedimentos(self) -> list[str]:
        return _sigtap(self.cleaned_data["procedimentos"])

    def clean_ciap(self) -> str:
        return _codigo_cid(self.cleaned_data["ciap"])

    def clean_cid10(self) -> str:
        return _codigo_cid(self.cleaned_data["cid10"])

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        problema = {campo: self.cleaned_data[campo] for campo in ("ciap", "cid10") if self.cleaned_data.get(campo)}
        if problema:
            valores["problemasCondicoes"] = [{**problema, "isAvaliado": True}]
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        inicial = super().inicial(dados)
        problema = (dados.get("problemasCondicoes") or [{}])[0]
        inicial.update({campo: problema[campo] for campo in ("ciap", "cid10") if problema.get(campo)})
        return inicial

    @classmethod
    def campo_do_ledi(cls, campo_ledi: str) -> str | None:
        return cls.PROBLEMA.get(campo_ledi) or super().campo_do_ledi(campo_ledi)


def _texto(rotulo: str, maximo: int) -> forms.CharField:
    return forms.CharField(label=rotulo, required=False, max_length=maximo)


class ElegibilidadeForm(LinhaForm):
    """The one citizen of the Ficha de Avaliação de Elegibilidade e Admissão, as on the
    paper: the cadastro (identification, nationality, address), the procedência, the
    modalidade AD or inelegível, the conditions assessed, the CIDs, the conclusion and the
    caregiver. The ficha has a single row, shown as a form rather than a table."""

    nome = _texto("Nome completo", 70)
    nome_social = _texto("Nome social", 70)
    nascimento = _data(label="Data de nascimento", required=False)
    sexo = _escolha(ledi.SEXO, "Sexo")
    raca_cor = _escolha(ledi.RACA_COR, "Raça/cor")
    etnia = _escolha(ledi.ETNIA, "Etnia")
    nome_mae = _texto("Nome da mãe", 70)
    desconhece_mae = forms.BooleanField(label="Desconhece o nome da mãe", required=False)
    nome_pai = _texto("Nome do pai", 70)
    desconhece_pai = forms.BooleanField(label="Desconhece o nome do pai", required=False)
    nacionalidade = _escolha(ledi.NACIONALIDADE, "Nacionalidade")
    municipio_nascimento = _texto("Município de nascimento (código IBGE)", 7)
    pais_nascimento = _escolha(ledi.PAIS, "País de nascimento")
    naturalizacao = _data(label="Data de naturalização", required=False)
    portaria = _texto("Portaria de naturalização", 16)
    entrada_brasil = _data(label="Data de entrada no Brasil", required=False)
    email = _texto("E-mail", 100)
    nis = _texto("NIS (PIS/PASEP)", 11)
    tipo_logradouro = _texto("Tipo de logradouro (código DNE)", 3)
    logradouro = _texto("Nome do logradouro", 72)
    numero = _texto("Número", 10)
    sem_numero = forms.BooleanField(label="Sem número", required=False)
    complemento = _texto("Complemento", 30)
    bairro = _texto("Bairro", 72)
    cep = _texto("CEP", 9)
    municipio = _texto("Município (código IBGE)", 7)
    telefone_residencia = _texto("Telefone residencial", 15)
    telefone_contato = _texto("Telefone de contato", 15)
    ponto_referencia = _texto("Ponto de referência", 40)
    procedencia = _escolha(ledi.PROCEDENCIA, "Procedência")
    modalidade = _escolha(ledi.MODALIDADE_ELEGIBILIDADE, "Modalidade AD / elegibilidade")
    condicoes = _multipla(ledi.CONDICOES_AVALIADAS, "Condições avaliadas")
    cid_principal = _cid("CID-10 principal")
    cid_secundario_1 = _cid("CID-10 secundário 1")
    cid_secundario_2 = _cid("CID-10 secundário 2")
    conclusao_elegivel = _escolha(ledi.CONCLUSAO_ELEGIVEL, "Conclusão / destino (elegível)")
    conclusao_inelegivel = _multipla(ledi.CONCLUSAO_INELEGIVEL, "Conclusão / destino (inelegível)")
    cuidador = _escolha(ledi.CUIDADOR, "Cuidador")
    documento_cuidador = forms.CharField(label="CPF ou CNS do cuidador", required=False, max_length=18)

    LEDI = {
        "nomeCidadao": "nome",
        "nomeSocialCidadao": "nome_social",
        "dataNascimentoCidadao": "nascimento",
        "sexoCidadao": "sexo",
        "racaCorCidadao": "raca_cor",
        "etnia": "etnia",
        "nomeMaeCidadao": "nome_mae",
        "desconheceNomeMae": "desconhece_mae",
        "nomePaiCidadao": "nome_pai",
        "desconheceNomePai": "desconhece_pai",
        "nacionalidadeCidadao": "nacionalidade",
        "codigoIbgeMunicipioNascimento": "municipio_nascimento",
        "paisNascimento": "pais_nascimento",
        "dtNaturalizacao": "naturalizacao",
        "portariaNaturalizacao": "portaria",
        "dtEntradaBrasil": "entrada_brasil",
        "emailCidadao": "email",
        "numeroNisPisPasep": "nis",
        "atencaoDomiciliarProcedencia": "procedencia",
        "atencaoDomiciliarModalidade": "modalidade",
        "condicoesAvaliadas": "condicoes",
        "cid10Principal": "cid_principal",
        "cid10SecundarioUm": "cid_secundario_1",
        "cid10SecundarioDois": "cid_secundario_2",
        "conclusaoDestinoElegivel": "conclusao_elegivel",
        "conclusaoDestinoInelegivel": "conclusao_inelegivel",
        "cuidadorCidadao": "cuidador",
    }
    DOCUMENTO = ("cpfCidadao", "cnsCidadao")
    # EnderecoLocalPermanencia, nested under "endereco"; the UF (numeroDneUf) comes from the município.
    ENDERECO: ClassVar[dict[str, str]] = {
        "tipoLogradouroNumeroDne": "tipo_logradouro",
        "nomeLogradouro": "logradouro",
        "numero": "numero",
        "stSemNumero": "sem_numero",
        "complemento": "complemento",
        "bairro": "bairro",
        "cep": "cep",
        "codigoIbgeMunicipio": "municipio",
        "numeroDneUf": "municipio",
        "telefoneResidencia": "telefone_residencia",
        "telefoneContato": "telefone_contato",
        "pontoReferencia": "ponto_referencia",
    }
    CUIDADOR: ClassVar[tuple[str, str]] = ("cpfCuidador", "cnsCuidador")

    def clean_documento_cuidador(self) -> str:
        documento = so_digitos(self.cleaned_data["documento_cuidador"])
        if documento and len(documento) not in (11, 15):
            raise forms.ValidationError("Digite o CPF (11 dígitos) ou o CNS (15 dígitos) do cuidador.")
        return documento

    def clean(self) -> dict[str, Any]:
        dados = self.cleaned_data
        for campo in ("cid_principal", "cid_secundario_1", "cid_secundario_2"):
            dados[campo] = _codigo_cid(dados.get(campo) or "")
        for campo in ("nome", "nome_social", "nome_mae", "nome_pai"):
            dados[campo] = " ".join((dados.get(campo) or "").upper().split())
        for campo in ("cep", "telefone_residencia", "telefone_contato", "nis"):
            dados[campo] = so_digitos(dados.get(campo) or "")
        if dados.get("tipo_logradouro"):
            dados["tipo_logradouro"] = dados["tipo_logradouro"].strip().zfill(3)
        return dados

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        for campo in ("desconheceNomeMae", "desconheceNomePai"):
            if not valores.get(campo):
                valores.pop(campo, None)
        endereco = {
            campo_ledi: self.cleaned_data.get(campo)
            for campo_ledi, campo in self.ENDERECO.items()
            if campo_ledi not in ("numeroDneUf", "stSemNumero") and self.cleaned_data.get(campo)
        }
        if endereco:
            if self.cleaned_data.get("sem_numero"):
                endereco["stSemNumero"] = True
            uf = DNE_UF_POR_IBGE.get((self.cleaned_data.get("municipio") or "")[:2])
            if uf:
                endereco["numeroDneUf"] = uf
            valores["endereco"] = endereco
        valores.update(documento_ledi(self.cleaned_data.get("documento_cuidador"), self.CUIDADOR))
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        listas = {campo: dados.get(campo_ledi) for campo_ledi, campo in cls.LEDI.items()}
        inicial = super().inicial(dados)
        for campo in ("condicoes", "conclusao_inelegivel"):  # multiple choices keep their lists
            if listas.get(campo):
                inicial[campo] = listas[campo]
        endereco = dados.get("endereco") or {}
        for campo_ledi, campo in cls.ENDERECO.items():
            if campo_ledi != "numeroDneUf" and endereco.get(campo_ledi) not in (None, ""):
                inicial[campo] = endereco[campo_ledi]
        cpf, cns = cls.CUIDADOR
        inicial["documento_cuidador"] = dados.get(cpf) or dados.get(cns) or ""
        return inicial

    @classmethod
    def campo_do_ledi(cls, campo_ledi: str) -> str | None:
        if campo_ledi in cls.CUIDADOR:
            return "documento_cuidador"
        return cls.ENDERECO.get(campo_ledi) or super().campo_do_ledi(campo_ledi)


class ConsumoAlimentarForm(LinhaForm):
    """The citizen of the Ficha de Marcadores de Consumo Alimentar and the answers of the
    question set of their age (the paper has the three blocks; only one is filled in).
    The answers become the LEDI question lists; which list the age calls for is a rule
    (sisab.regras), checked on save against the day of the ficha."""

    nascimento = _data(label="Data de nascimento", required=False)
    sexo = _escolha(ledi.SEXO, "Sexo")
    local_atendimento = _escolha(ledi.LOCAL_ATENDIMENTO_MCA, "Local de atendimento")

    LEDI = {"dataNascimento": "nascimento", "sexo": "sexo", "localAtendimento": "local_atendimento"}
    DOCUMENTO = ("cpfCidadao", "cnsCidadao")

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        for grupo, perguntas in ledi.PERGUNTAS.items():
            respostas = []
            for pergunta in perguntas:
                valor = self.cleaned_data.get(campo_pergunta(pergunta))
                if valor in (None, []):
                    continue
                if pergunta.codigo == ledi.PERGUNTA_REFEICOES:
                    refeicoes = [ledi.REFEICOES[codigo][0] for codigo in valor]
                    respostas.append({"pergunta": pergunta.nome, "respostaMultiplaEscolha": refeicoes})
                else:
                    respostas.append({"pergunta": pergunta.nome, "respostaUnicaEscolha": ledi.RESPOSTAS[valor][0]})
            if respostas:
                valores[grupo] = respostas
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        inicial = super().inicial(dados)
        respostas = {nome: codigo for codigo, (nome, _) in ledi.RESPOSTAS.items()}
        refeicoes = {nome: codigo for codigo, (nome, _) in ledi.REFEICOES.items()}
        for grupo, perguntas in ledi.PERGUNTAS.items():
            por_nome = {pergunta.nome: pergunta for pergunta in perguntas}
            for item in dados.get(grupo) or []:
                pergunta = por_nome.get(item.get("pergunta", ""))
                if pergunta is None:
                    continue
                if "respostaMultiplaEscolha" in item:
                    valor: Any = [refeicoes[nome] for nome in item["respostaMultiplaEscolha"] if nome in refeicoes]
                else:
                    valor = respostas.get(item.get("respostaUnicaEscolha", ""))
                inicial[campo_pergunta(pergunta)] = valor
        return inicial

    @classmethod
    def campo_do_ledi(cls, campo_ledi: str) -> str | None:
        """Rules name a question by its form field, and a whole question set by its LEDI
        list (the message then goes on the set's first question)."""
        if campo_ledi in cls.base_fields:
            return campo_ledi
        if campo_ledi in ledi.PERGUNTAS:
            return campo_pergunta(ledi.PERGUNTAS[campo_ledi][0])
        return super().campo_do_ledi(campo_ledi)


def campo_pergunta(pergunta: ledi.Pergunta) -> str:
    """The form field (and the rules' field name) of a question of the MCA."""
    return f"pergunta{pergunta.codigo}"


def _campos_perguntas() -> dict[str, forms.Field]:
    campos: dict[str, forms.Field] = {}
    for grupo, perguntas in ledi.PERGUNTAS.items():
        for pergunta in perguntas:
            rotulo = f"{pergunta.rotulo} (crianças {ledi.GRUPO_ROTULO[grupo]})"
            if pergunta.codigo == ledi.PERGUNTA_REFEICOES:
                opcoes = [(codigo, nome) for codigo, (_, nome) in ledi.REFEICOES.items()]
                campos[campo_pergunta(pergunta)] = _multipla(opcoes, rotulo)
            else:
                opcoes = [(codigo, ledi.RESPOSTAS[codigo][1]) for codigo in pergunta.respostas]
                campos[campo_pergunta(pergunta)] = _escolha(opcoes, rotulo)
    return campos


# One field per question of the three sets, in the paper's order.
ConsumoAlimentarForm.base_fields.update(_campos_perguntas())


class ZikaForm(LinhaForm):
    """The child of the Ficha Complementar Síndrome Neurológica por Zika/Microcefalia, the
    person responsible for them and the exams of the paper ficha (day done, result)."""

    responsavel = forms.CharField(label="CPF ou CNS do responsável", required=False, max_length=18)

    LEDI: ClassVar[dict[str, str]] = {}
    DOCUMENTO = ("cpfCidadao", "cnsCidadao")
    RESPONSAVEL = ("cpfResponsavelFamiliar", "cnsResponsavelFamiliar")

    def clean_responsavel(self) -> str:
        responsavel = so_digitos(self.cleaned_data["responsavel"])
        if responsavel and len(responsavel) not in (11, 15):
            raise forms.ValidationError("Digite o CPF (11 dígitos) ou o CNS (15 dígitos) do responsável.")
        return responsavel

    def ledi(self) -> dict[str, Any]:
        valores = super().ledi()
        valores.update(documento_ledi(self.cleaned_data.get("responsavel"), self.RESPONSAVEL))
        return valores

    @classmethod
    def inicial(cls, dados: dict[str, Any]) -> dict[str, Any]:
        inicial = super().inicial(dados)
        cpf, cns = cls.RESPONSAVEL
        inicial["responsavel"] = dados.get(cpf) or dados.get(cns) or ""
        return inicial

    @classmethod
    def campo_do_ledi(cls, campo_ledi: str) -> str | None:
        if campo_ledi in cls.RESPONSAVEL:
            return "responsavel"
        return super().campo_do_ledi(campo_ledi)


def _campos_exames() -> dict[str, forms.Field]:
    campos: dict[str, forms.Field] = {}
    for exame in ledi.EXAMES_ZIKA:
        campos[exame.data] = _data(label=f"{exame.rotulo}: data de realização", required=False)
        campos[exame.resultado] = _escolha(exame.resultados, f"{exame.rotulo}: resultado")
    return campos


# The exams' fields are named as their LEDI fields: the rules' messages land on them as they are.
ZikaForm.base_fields.update(_campos_exames())
ZikaForm.LEDI = {campo: campo for campo in _campos_exames()}


LINHAS: dict[int, type[LinhaForm]] = {
    ledi.VISITA: VisitaForm,
    ledi.ATIVIDADE_COLETIVA: ParticipanteForm,
    ledi.ATENDIMENTO_DOMICILIAR: AtendimentoDomiciliarForm,
    ledi.ELEGIBILIDADE: ElegibilidadeForm,
    ledi.CONSUMO_ALIMENTAR: ConsumoAlimentarForm,
    ledi.ZIKA_MICROCEFALIA: ZikaForm,
}
ROTULO_LINHAS = {
    ledi.VISITA: "Visitas",
    ledi.ATIVIDADE_COLETIVA: "Participantes",
    ledi.ATENDIMENTO_DOMICILIAR: "Atendimentos",
    ledi.ELEGIBILIDADE: "Cidadão avaliado",
    ledi.CONSUMO_ALIMENTAR: "Cidadão",
    ledi.ZIKA_MICROCEFALIA: "Criança",
}


def linhas_formset(
    tipo: int, dados: Any = None, *, initial: list[dict[str, Any]] | None = None, microarea: str = ""
) -> forms.BaseFormSet[LinhaForm]:
    """The rows of a ficha: three blank ones for a new paper ficha (one for the fichas of
    one citizen, ledi.UM_CIDADAO, which take no more), the saved ones to correct."""
    um_cidadao = tipo in ledi.UM_CIDADAO
    extra = 0 if dados is not None or initial else 1 if um_cidadao else 3
    conjunto = forms.formset_factory(
        LINHAS[tipo], extra=extra, max_num=1 if um_cidadao else 99, validate_max=um_cidadao
    )
    form_kwargs = {"microarea": microarea} if tipo == ledi.VISITA else {}
    return conjunto(dados, prefix="linhas", initial=initial, form_kwargs=form_kwargs)
