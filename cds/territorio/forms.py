"""The territory forms: they parse what was typed into the values the services take and
check nothing else. Every rule (the LEDI FCD's and PEC's household consistency) lives in
cds/territorio/services.py, whose ValidationError the views put next to each field, so
the page and any other caller refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model

from cds.territorio import ledi, services
from cds.territorio.models import Familia, Imovel, Logradouro
from pec.models import Equipe
from prontuario.models import Cidadao

# "Reside desde" is a month: the browser's month picker sends 2024-03, people type 03/2024.
_MES = ["%Y-%m", "%m/%Y", "%Y-%m-%d", "%d/%m/%Y"]
_DATA = ["%Y-%m-%d", "%d/%m/%Y"]


def _digitos(campo: forms.Field) -> forms.CharField:
    """A number people type with punctuation (CEP, telephone, CNS): the service keeps the
    digits and checks them, so the form takes the text as typed."""
    return forms.CharField(
        label=campo.label, required=campo.required, help_text=campo.help_text, max_length=30, strip=True
    )


def _data(rotulo: str, *, obrigatoria: bool = True) -> forms.DateField:
    return forms.DateField(
        label=rotulo, required=obrigatoria, input_formats=_DATA, widget=forms.DateInput(attrs={"type": "date"})
    )


class LogradouroForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Logradouro, fields=services.CAMPOS_LOGRADOURO))
        self.fields["cep"] = _digitos(self.fields["cep"])
        self.fields["municipio_ibge"].required = False
        self.fields["municipio_ibge"].help_text = "Em branco: o código do município da lotação."
        self.fields["tipo_dne"].help_text = "Código DNE do tipo de logradouro (ex.: 81 = Rua, 8 = Avenida)."


class ImovelForm(forms.Form):
    """Every field of the LEDI FCD an imóvel carries; the template groups them and shows
    the condições de moradia and the instituição only for the types that have them."""

    animais = forms.TypedMultipleChoiceField(
        label="Animais no domicílio",
        choices=ledi.ANIMAL,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, municipio_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campos = fields_for_model(Imovel, fields=[c for c in services.CAMPOS_IMOVEL if c != "animais"])
        self.fields.update({campo: campos.get(campo) or self.fields["animais"] for campo in services.CAMPOS_IMOVEL})
        logradouro = self.fields["logradouro"]
        equipe = self.fields["equipe"]
        assert isinstance(logradouro, forms.ModelChoiceField) and isinstance(equipe, forms.ModelChoiceField)
        logradouro.queryset = Logradouro.objects.filter(municipio_id=municipio_id)
        equipe.queryset = Equipe.objects.filter(municipio_id=municipio_id, ativo=True)
        for campo in services.CAMPOS_DIGITOS:
            self.fields[campo] = _digitos(self.fields[campo])
        self.fields["tipo"].widget.attrs["data-tipo-imovel"] = ""
        for campo in ("numero", "microarea"):
            self.fields[campo].widget.attrs["size"] = 6

    def dados(self) -> dict[str, Any]:
        return {campo: self.cleaned_data.get(campo) for campo in services.CAMPOS_IMOVEL}

    def grupo(self, campos: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[campo] for campo in campos]

    def endereco(self) -> list[forms.BoundField]:
        return self.grupo(services.CAMPOS_IMOVEL[: services.CAMPOS_IMOVEL.index("recusa") + 1])

    def condicoes(self) -> list[forms.BoundField]:
        return self.grupo(services.CONDICOES_MORADIA)

    def animais_campos(self) -> list[forms.BoundField]:
        return self.grupo(services.ANIMAIS)

    def instituicao(self) -> list[forms.BoundField]:
        return self.grupo(services.INSTITUICAO)


class FamiliaDadosForm(forms.Form):
    renda = forms.TypedChoiceField(
        label="Renda familiar", choices=[("", "—"), *ledi.RENDA_FAMILIAR], coerce=int, empty_value=None, required=False
    )
    reside_desde = forms.DateField(
        label="Reside desde (mês e ano)",
        required=False,
        input_formats=_MES,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    numero_prontuario = forms.CharField(
        label="Número do prontuário familiar",
        required=False,
        max_length=Familia._meta.get_field("numero_prontuario").max_length,
    )

    def dados(self) -> dict[str, Any]:
        return {campo: self.cleaned_data.get(campo) for campo in services.CAMPOS_FAMILIA}


class _CidadaoEscolhido(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A citizen picked from a search's results (a radio button per result): an id of
    another municipality is simply not found."""

    def __init__(self, *, municipio_id: int, rotulo: str) -> None:
        super().__init__(
            queryset=Cidadao.objects.filter(municipio_id=municipio_id),
            label=rotulo,
            widget=forms.HiddenInput,
            error_messages={
                "required": "Busque e escolha o cidadão.",
                "invalid_choice": "Cidadão não encontrado neste município.",
            },
        )


class FamiliaNovaForm(FamiliaDadosForm):
    def __init__(self, *args: Any, municipio_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsavel"] = _CidadaoEscolhido(municipio_id=municipio_id, rotulo="Responsável familiar")


class MembroIncluirForm(forms.Form):
    entrada = _data("Mora na família desde", obrigatoria=False)

    def __init__(self, *args: Any, municipio_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cidadao"] = _CidadaoEscolhido(municipio_id=municipio_id, rotulo="Cidadão")


class MembroSaidaForm(forms.Form):
    saida = _data("Data da saída")

    def __init__(self, *args: Any, membros: list[Cidadao], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cidadao"] = forms.TypedChoiceField(
            label="Membro", choices=[(c.pk, c.nome_exibicao) for c in membros], coerce=int
        )


class ResponsavelForm(forms.Form):
    def __init__(self, *args: Any, membros: list[Cidadao], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsavel"] = forms.TypedChoiceField(
            label="Novo responsável", choices=[(c.pk, c.nome_exibicao) for c in membros], coerce=int
        )


class MudancaForm(forms.Form):
    data_mudanca = _data("Data da mudança")
