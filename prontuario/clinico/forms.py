"""Forms of the clinical pages. They parse and check single fields; the cross-field and
coding rules live in prontuario.clinico.regras, called by the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from prontuario import ledi
from prontuario.clinico.models import CONDUTA, TIPO_ATENDIMENTO, VIA_MEDICAMENTO
from prontuario.clinico.regras import CAMPOS_MEDICAO, GRUPO_FAIXA_ETARIA, medicao_erros
from prontuario.models import Alergia, EscutaInicial, Medicao, Problema, Termo
from prontuario.terminologia.services import codigo_normalizado

ROTULOS_TABELA = {"ciap2": "CIAP2", "cid10": "CID-10", "sigtap": "SIGTAP", "medicamento": "CATMAT"}


class CodigoTermoField(forms.CharField):
    """A code of a national table, typed or picked from the autocomplete ("A03 - Febre")."""

    def __init__(self, tabela: str, **kwargs: Any) -> None:
        self.tabela = tabela
        kwargs.setdefault("max_length", 320)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "data-terminologia": tabela,
                "data-url": reverse_lazy("prontuario_terminologia", args=[tabela]),
                "autocomplete": "off",
                "class": "codigo",
            }
        )

    def clean(self, value: Any) -> str:
        texto = super().clean(value)
        if not texto:
            return ""
        codigo = codigo_normalizado(texto.split(" - ", 1)[0])
        if not Termo.objects.filter(tabela=self.tabela, codigo=codigo, ativo=True).exists():
            raise forms.ValidationError(
                f"Código {ROTULOS_TABELA.get(self.tabela, self.tabela)} desconhecido: {codigo}."
            )
        return codigo


class MedicaoForm(forms.ModelForm[Medicao]):
    class Meta:
        model = Medicao
        fields = list(CAMPOS_MEDICAO)
        widgets = {
            campo: forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
            for campo in CAMPOS_MEDICAO
            if campo != "glicemia_momento"
        }

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        for campo, mensagem in medicao_erros(dados).items():
            if campo not in self.errors:
                self.add_error(campo, mensagem)
        return dados


class EscutaForm(forms.Form):
    motivo_ciap = CodigoTermoField("ciap2", label="Motivo da consulta (CIAP2)")
    descricao = forms.CharField(label="Descrição", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    classificacao_risco = forms.TypedChoiceField(
        label="Classificação de risco/vulnerabilidade", choices=[("", "—"), *ledi.CLASSIFICACAO_RISCO], coerce=int
    )
    desfecho = forms.ChoiceField(choices=EscutaInicial.Desfecho.choices, widget=forms.RadioSelect)


class AtendimentoForm(forms.Form):
    tipo_atendimento = forms.TypedChoiceField(label="Tipo de atendimento", choices=TIPO_ATENDIMENTO, coerce=int)
    subjetivo = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    subjetivo_ciap = CodigoTermoField("ciap2", label="Motivo da consulta (CIAP2)", required=False)
    objetivo = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    avaliacao = forms.CharField(label="Avaliação", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    plano = forms.CharField(label="Plano (condutas)", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    orientacoes = forms.CharField(label="Orientações", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    condutas = forms.TypedMultipleChoiceField(
        label="Conduta/desfecho", choices=CONDUTA, coerce=int, widget=forms.CheckboxSelectMultiple
    )


class ProblemaForm(forms.Form):
    ciap = CodigoTermoField("ciap2", label="CIAP2", required=False)
    cid10 = CodigoTermoField("cid10", label="CID-10", required=False)
    situacao = forms.TypedChoiceField(
        label="Situação",
        choices=[("", "Não incluir na lista"), *Problema.Situacao.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class AlergiaForm(forms.Form):
    agente = forms.CharField(label="Alergia/reação a", max_length=200, required=False)
    categoria = forms.ChoiceField(choices=Alergia.Categoria.choices, required=False)
    criticidade = forms.ChoiceField(choices=Alergia.Criticidade.choices, required=False)


class PrescricaoForm(forms.Form):
    medicamento = CodigoTermoField("medicamento", label="Medicamento (CATMAT)", required=False)
    dose = forms.CharField(max_length=60, required=False, help_text="ex.: 1 comprimido, 500 mg")
    via = forms.TypedChoiceField(choices=VIA_MEDICAMENTO, coerce=int, required=False, empty_value=None)
    posologia = forms.CharField(max_length=200, required=False, help_text="ex.: de 8 em 8 horas")
    duracao_dias = forms.IntegerField(label="Duração (dias)", min_value=1, max_value=365, required=False)
    uso_continuo = forms.BooleanField(label="Uso contínuo", required=False)

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        if dados.get("medicamento"):
            for campo, rotulo in (("dose", "a dose"), ("via", "a via"), ("posologia", "a posologia")):
                if dados.get(campo) in (None, "") and campo not in self.errors:
                    self.add_error(campo, f"Informe {rotulo}.")
            if not dados.get("duracao_dias") and not dados.get("uso_continuo"):
                self.add_error("duracao_dias", "Informe a duração ou marque uso contínuo.")
        return dados


class ExameForm(forms.Form):
    sigtap = CodigoTermoField("sigtap", label="Exame (SIGTAP)", required=False)
    justificativa = forms.CharField(max_length=300, required=False)


class AtestadoForm(forms.Form):
    dias = forms.IntegerField(label="Dias de afastamento", min_value=1, max_value=365, required=False)
    cid10 = CodigoTermoField("cid10", label="CID-10 (só com autorização do paciente)", required=False)
    texto = forms.CharField(label="Observações", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EncaminhamentoForm(forms.Form):
    especialidade = forms.CharField(max_length=120, required=False)
    cid10 = CodigoTermoField("cid10", label="Hipótese (CID-10)", required=False)
    ciap = CodigoTermoField("ciap2", label="ou hipótese (CIAP2)", required=False)
    motivo = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


ProblemaFormSet = forms.formset_factory(ProblemaForm, extra=4, max_num=4)
AlergiaFormSet = forms.formset_factory(AlergiaForm, extra=2, max_num=2)
PrescricaoFormSet = forms.formset_factory(PrescricaoForm, extra=3, max_num=3)
ExameFormSet = forms.formset_factory(ExameForm, extra=3, max_num=3)
EncaminhamentoFormSet = forms.formset_factory(EncaminhamentoForm, extra=2, max_num=2)

# prefix -> formset class, in page order
LISTAS: dict[str, type[forms.BaseFormSet[Any]]] = {
    "problemas": ProblemaFormSet,
    "alergias": AlergiaFormSet,
    "prescricoes": PrescricaoFormSet,
    "exames": ExameFormSet,
    "encaminhamentos": EncaminhamentoFormSet,
}


class AdendoForm(forms.Form):
    texto = forms.CharField(label="Adendo", widget=forms.Textarea(attrs={"rows": 3}))


class AssumirForm(forms.Form):
    motivo = forms.CharField(
        label="Motivo",
        max_length=300,
        help_text="Por que você continua este atendimento (troca de turno, ausência do profissional).",
    )


def _opcoes(tabelas: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """The choices of each code table, all in one query."""
    opcoes: dict[str, list[tuple[str, str]]] = {tabela: [("", "—")] for tabela in tabelas}
    termos = (
        Termo.objects.filter(tabela__in=tabelas, ativo=True)
        .order_by("descricao")
        .values_list("tabela", "codigo", "descricao", "sigla")
    )
    for tabela, codigo, descricao, sigla in termos:
        opcoes[tabela].append((codigo, f"{sigla} — {descricao}" if sigla and tabela == "imunobiologico" else descricao))
    return opcoes


class VacinacaoForm(forms.Form):
    registro_anterior = forms.BooleanField(label="Transcrição de caderneta (registro anterior)", required=False)
    data_aplicacao = forms.DateField(
        label="Data de aplicação",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    imunobiologico = forms.ChoiceField(label="Imunobiológico")
    estrategia = forms.ChoiceField(label="Estratégia")
    dose = forms.ChoiceField()
    lote = forms.CharField(max_length=30, required=False)
    fabricante = forms.ChoiceField(required=False)
    via = forms.ChoiceField(label="Via de administração", required=False)
    local_aplicacao = forms.ChoiceField(label="Local de aplicação", required=False)
    # LEDI asks the group of every applied dose; most doses follow the calendar by age.
    grupo_atendimento = forms.ChoiceField(label="Grupo de atendimento", required=False, initial=GRUPO_FAIXA_ETARIA)
    condicao_maternal = forms.ChoiceField(label="Condição maternal", required=False)
    comunicante_hanseniase = forms.TypedChoiceField(
        label="Comunicante de hanseníase (só BCG)",
        choices=[("", "—"), ("True", "Sim"), ("False", "Não")],
        coerce=lambda valor: valor == "True",
        empty_value=None,
        required=False,
    )
    cid10_motivo_indicacao = CodigoTermoField(
        "cid10", label="CID-10 do motivo da indicação (estratégia Especial)", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tabelas = (
            "imunobiologico",
            "estrategia",
            "dose",
            "fabricante",
            "via",
            "local_aplicacao",
            "grupo_atendimento",
            "condicao_maternal",
        )
        for campo, escolhas in _opcoes(tabelas).items():
            cast(forms.ChoiceField, self.fields[campo]).choices = escolhas
