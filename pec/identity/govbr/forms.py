from __future__ import annotations

from typing import Any

from django import forms

from pec.models import ConfiguracaoGovBr


class GovBrForm(forms.ModelForm[ConfiguracaoGovBr]):
    segredo = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Deixe em branco para manter o segredo guardado (cifrado).",
    )

    class Meta:
        model = ConfiguracaoGovBr
        fields = ["ativo", "ambiente", "issuer_outro", "client_id"]
        help_texts = {"client_id": "Fornecido pelo gov.br no credenciamento da instalação."}

    def __init__(self, *args: object, tem_segredo: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.tem_segredo = tem_segredo

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        if dados.get("ambiente") == ConfiguracaoGovBr.Ambiente.OUTRO and not dados.get("issuer_outro"):
            self.add_error("issuer_outro", "Informe o issuer do provedor OpenID Connect.")
        if dados.get("ativo"):
            if not dados.get("client_id"):
                self.add_error("client_id", "Informe o client id para habilitar a entrada com gov.br.")
            if not dados.get("segredo") and not self.tem_segredo:
                self.add_error("segredo", "Informe o client secret para habilitar a entrada com gov.br.")
        return dados

    def novo_segredo(self) -> str | None:
        """None keeps the stored secret."""
        return self.cleaned_data.get("segredo") or None
