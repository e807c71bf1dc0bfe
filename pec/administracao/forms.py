"""Forms of the administration pages: they validate input; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from pec.documentos import numeros_digitados, validar_cns
from pec.identity.permissoes import PERMISSOES
from pec.models import ConfiguracaoSMTP, Municipio, Perfil

UFS = [
    "AC",
    "AL",
    "AM",
    "AP",
    "BA",
    "CE",
    "DF",
    "ES",
    "GO",
    "MA",
    "MG",
    "MS",
    "MT",
    "PA",
    "PB",
    "PE",
    "PI",
    "PR",
    "RJ",
    "RN",
    "RO",
    "RR",
    "RS",
    "SC",
    "SE",
    "SP",
    "TO",
]


class PerfilForm(forms.Form):
    nome = forms.CharField(max_length=80)
    permissoes = forms.MultipleChoiceField(
        label="Permissões",
        choices=list(PERMISSOES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class LotacaoPerfisForm(forms.Form):
    perfis = forms.ModelMultipleChoiceField(
        label="Perfis desta lotação",
        queryset=Perfil.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Escolha ao menos um perfil; para retirar o acesso, desative a lotação."},
    )

    def __init__(self, *args: object, municipio_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["perfis"].queryset = Perfil.objects.filter(municipio_id=municipio_id).order_by("nome")  # type: ignore[attr-defined]


class MunicipioNovoForm(forms.ModelForm[Municipio]):
    uf = forms.ChoiceField(label="UF", choices=[("", "—")] + [(uf, uf) for uf in UFS])

    class Meta:
        model = Municipio
        fields = ["ibge", "nome", "uf", "modo"]
        help_texts = {"ibge": "7 dígitos, como no IBGE.", "modo": "Treinamento: tudo funciona, nada é transmitido."}


class MunicipioForm(forms.ModelForm[Municipio]):
    class Meta:
        model = Municipio
        fields = Municipio.CAMPOS_EDITAVEIS
        help_texts = {
            "modo": "Treinamento: tudo funciona, nada é transmitido e nenhum e-mail sobre cidadãos é enviado."
        }


class SMTPForm(forms.ModelForm[ConfiguracaoSMTP]):
    senha = forms.CharField(
        label="Senha",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Deixe em branco para manter a senha guardada.",
    )
    apagar_senha = forms.BooleanField(label="Apagar a senha guardada", required=False)

    class Meta:
        model = ConfiguracaoSMTP
        fields = ["host", "porta", "seguranca", "usuario", "remetente"]

    def nova_senha(self) -> str | None:
        """None keeps the stored password; "" erases it."""
        if self.cleaned_data.get("apagar_senha"):
            return ""
        return self.cleaned_data.get("senha") or None


class SMTPTesteForm(forms.Form):
    para = forms.EmailField(label="Enviar para")


def erros_no_form(form: forms.BaseForm, exc: ValidationError, *, campos: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each message on its field (a model
    field may be named differently in the form: `campos` maps it), the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for campo, erros in exc.message_dict.items():
        campo = (campos or {}).get(campo, campo)
        form.add_error(campo if campo in form.fields else None, erros)


class ProfissionalRegistroForm(forms.Form):
    """CNS and council registration of a professional, when the CNES file lacks them."""

    cns = forms.CharField(label="CNS", max_length=20, required=False, help_text="15 dígitos.")
    conselho = forms.CharField(
        label="Conselho de classe",
        max_length=12,
        required=False,
        help_text="Como no CNES (código ou sigla do conselho).",
    )
    uf_conselho = forms.ChoiceField(
        label="UF do conselho", choices=[("", "—")] + [(uf, uf) for uf in UFS], required=False
    )
    registro_conselho = forms.CharField(label="Número no conselho", max_length=20, required=False)

    def clean_cns(self) -> str:
        cns = numeros_digitados(self.cleaned_data["cns"], "O CNS tem só dígitos: confira o número.")
        validar_cns(cns)
        return cns

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        conselho = [dados.get(campo) for campo in ("conselho", "uf_conselho", "registro_conselho")]
        if any(conselho) and not all(conselho):
            raise ValidationError("Informe o conselho, a UF e o número juntos (ou deixe os três em branco).")
        return dados


class ContaBuscarForm(forms.Form):
    cpf = forms.CharField(label="CPF da conta", max_length=20)

    def clean_cpf(self) -> str:
        from pec.identity.login import normalizar_cpf

        cpf = normalizar_cpf(self.cleaned_data["cpf"])
        if len(cpf) != 11:
            raise ValidationError("Informe o CPF com 11 dígitos (com ou sem pontos e traço).")
        return cpf


class ContaEmailForm(forms.Form):
    email = forms.EmailField(
        label="E-mail confirmado da conta",
        help_text="Confira o endereço com a própria pessoa: ele passa a receber a recuperação de senha.",
    )
