from __future__ import annotations

from typing import Any, cast

from django import forms

from pec.models import Equipe, Lotacao
from prontuario.models import AgendaHorario


class ConfiguracaoForm(forms.Form):
    duracao_minutos = forms.IntegerField(label="Duração de cada horário (minutos)", min_value=5, max_value=240)


class HorarioForm(forms.Form):
    """One opening period; a row left blank is ignored."""

    dia_semana = forms.TypedChoiceField(
        label="Dia", choices=[("", "—"), *AgendaHorario.DIAS], coerce=int, required=False, empty_value=None
    )
    inicio = forms.TimeField(
        label="Início", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    fim = forms.TimeField(label="Fim", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        preenchidos = [dados.get(c) is not None for c in ("dia_semana", "inicio", "fim")]
        if any(preenchidos) and not all(preenchidos):
            raise forms.ValidationError("Informe o dia, o início e o fim do período.")
        return dados


HorariosFormSet = forms.formset_factory(HorarioForm, extra=3, can_delete=True)


class DataHoraInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BloqueioForm(forms.Form):
    inicio = forms.DateTimeField(label="Início", widget=DataHoraInput())
    fim = forms.DateTimeField(label="Fim", widget=DataHoraInput())
    motivo = forms.CharField(
        label="Motivo", max_length=120, help_text="Ex.: reunião de equipe, visitas domiciliares, férias."
    )


class AdicionarListaForm(forms.Form):
    profissional = forms.ModelChoiceField(
        label="Profissional", queryset=Lotacao.objects.none(), required=False, empty_label="Qualquer profissional"
    )
    equipe = forms.ModelChoiceField(label="Equipe", queryset=Equipe.objects.none(), required=False, empty_label="—")

    def __init__(self, *args: Any, lotacao: Lotacao, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profissional = cast("forms.ModelChoiceField[Lotacao]", self.fields["profissional"])
        profissional.queryset = Lotacao.objects.filter(
            municipio_id=lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id, ativo=True
        ).select_related("profissional", "estabelecimento")
        profissional.label_from_instance = lambda lotacao: f"{lotacao.profissional.nome} (CBO {lotacao.cbo})"  # type: ignore[assignment]  # Django's documented per-instance hook
        cast("forms.ModelChoiceField[Equipe]", self.fields["equipe"]).queryset = Equipe.objects.filter(
            municipio_id=lotacao.municipio_id, estabelecimento_id=lotacao.estabelecimento_id, ativo=True
        )
