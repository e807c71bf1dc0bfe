from __future__ import annotations

from typing import Any, cast

from django import forms

from dados import municipios
from pec.documentos import numeros_digitados, validar_cns, validar_cpf
from pec.models import Equipe, Lotacao
from prontuario import ledi
from prontuario.cadastro.models import CAMPOS_CADASTRO, Cidadao
from prontuario.cadastro.texto import dobrar

UFS = sorted({uf for _, uf in municipios().values()})
_POR_UF_NOME = {(uf, dobrar(nome)): codigo for codigo, (nome, uf) in municipios().items()}


class DataInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CidadaoForm(forms.ModelForm[Cidadao]):
    """The cadastro. Documents and phones accept punctuation; the service stores digits.

    The birthplace is typed as UF + name (nobody knows IBGE codes by heart) and resolved
    against the LEDI table of municipalities.
    """

    cpf = forms.CharField(label="CPF", max_length=14, required=False, help_text="11 dígitos, com ou sem pontuação.")
    cns = forms.CharField(label="CNS", max_length=18, required=False, help_text="15 dígitos do Cartão SUS.")
    cep = forms.CharField(label="CEP", max_length=9, required=False)
    telefone_celular = forms.CharField(label="Telefone celular", max_length=16, required=False, help_text="Com DDD.")
    telefone_contato = forms.CharField(label="Telefone de contato", max_length=16, required=False)
    uf_nascimento = forms.ChoiceField(
        label="UF de nascimento", choices=[("", "—")] + [(uf, uf) for uf in UFS], required=False
    )
    municipio_nascimento = forms.CharField(label="Município de nascimento", max_length=80, required=False)
    versao = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Cidadao
        fields = [c for c in CAMPOS_CADASTRO if c != "municipio_nascimento_ibge"]
        widgets = {
            "data_nascimento": DataInput(),
            "data_naturalizacao": DataInput(),
            "data_entrada_brasil": DataInput(),
            "data_obito": DataInput(),
        }

    def __init__(self, *args: Any, lotacao: Lotacao, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Equipe]", self.fields["equipe"]).queryset = Equipe.objects.filter(
            municipio_id=lotacao.municipio_id, ativo=True
        )
        cast(forms.ChoiceField, self.fields["etnia"]).choices = [("", "—"), *ledi.ETNIA]
        cast(forms.ChoiceField, self.fields["pais_nascimento"]).choices = [("", "—"), *ledi.PAIS]
        codigo = self.instance.municipio_nascimento_ibge
        if codigo in municipios() and not self.is_bound:
            nome, uf = municipios()[codigo]
            self.initial["municipio_nascimento"] = nome.title()
            self.initial["uf_nascimento"] = uf
        if self.instance.pk and not self.is_bound:
            self.initial["versao"] = self.instance.versao

    def clean_cpf(self) -> str:
        cpf = numeros_digitados(
            self.cleaned_data["cpf"], "CPF inválido: use os 11 números do CPF (pontos e traço são aceitos)."
        )
        if cpf:
            validar_cpf(cpf)
        return cpf

    def clean_cns(self) -> str:
        cns = numeros_digitados(self.cleaned_data["cns"], "CNS inválido: use os 15 números do Cartão SUS.")
        validar_cns(cns)
        return cns

    def clean_cep(self) -> str:
        return numeros_digitados(self.cleaned_data["cep"], "CEP inválido: use os 8 números do CEP.")

    def clean_telefone_celular(self) -> str:
        return numeros_digitados(self.cleaned_data["telefone_celular"], "Telefone inválido: use só números, com DDD.")

    def clean_telefone_contato(self) -> str:
        return numeros_digitados(self.cleaned_data["telefone_contato"], "Telefone inválido: use só números, com DDD.")

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        nome, uf = dados.get("municipio_nascimento", ""), dados.get("uf_nascimento", "")
        dados["municipio_nascimento_ibge"] = ""
        if nome:
            codigo = _POR_UF_NOME.get((uf, dobrar(nome)))
            if codigo is None:
                self.add_error("municipio_nascimento", "Município não encontrado nesta UF: confira o nome e a UF.")
            else:
                dados["municipio_nascimento_ibge"] = codigo
        return dados

    def _post_clean(self) -> None:
        # Model validation (and its cross-field rules) runs in the service, with the
        # municipality set; running it here too would report every error twice.
        pass

    GRUPOS = [
        ("Identificação", ["nome", "nome_social", "cpf", "cns", "data_nascimento", "sexo", "raca_cor", "etnia"]),
        ("Filiação", ["nome_mae", "mae_desconhecida", "nome_pai", "pai_desconhecido"]),
        (
            "Nacionalidade e naturalidade",
            [
                "nacionalidade",
                "uf_nascimento",
                "municipio_nascimento",
                "pais_nascimento",
                "data_naturalizacao",
                "portaria_naturalizacao",
                "data_entrada_brasil",
            ],
        ),
        (
            "Endereço e contato",
            ["cep", "logradouro", "numero", "complemento", "bairro", "telefone_celular", "telefone_contato", "email"],
        ),
        ("Equipe de referência", ["equipe", "microarea", "fora_de_area"]),
        ("Óbito", ["data_obito", "numero_do"]),
    ]

    def grupos(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legenda, [self[nome] for nome in nomes]) for legenda, nomes in self.GRUPOS]

    def dados_cadastro(self) -> dict[str, Any]:
        return {campo: self.cleaned_data.get(campo) for campo in CAMPOS_CADASTRO}


class UnificarForm(forms.Form):
    outro = forms.IntegerField(widget=forms.HiddenInput)
    sobrevivente = forms.ChoiceField(
        label="Qual cadastro permanece?",
        choices=[("este", "Este cadastro"), ("outro", "O outro cadastro")],
        widget=forms.RadioSelect,
    )
    motivo = forms.CharField(
        label="Motivo", max_length=200, help_text="Por que são a mesma pessoa (documento conferido, etc.)."
    )
