from typing import Any

from django import forms
from django.conf import settings

from pec.destinos import DestinoRecusado, pasta_verificar, url_verificar
from pec.documentos import cpf_valido, so_digitos
from sisab.models import DestinoSisab, InstalacaoSisab


class CredencialForm(forms.Form):
    nome = forms.CharField(label="Nome da credencial", max_length=120, help_text="Ex.: Servidor local UBS Centro")
    responsavel = forms.CharField(label="Responsável pela integração", max_length=150)
    documento = forms.CharField(label="CPF ou CNPJ do responsável", max_length=18)
    email = forms.EmailField(label="E-mail do responsável")

    def clean_documento(self) -> str:
        documento = so_digitos(self.cleaned_data["documento"])
        if len(documento) == 11 and cpf_valido(documento):
            return documento
        if len(documento) == 14:
            return documento
        raise forms.ValidationError("Informe um CPF válido (11 dígitos) ou um CNPJ (14 dígitos).")


class LoteForm(forms.Form):
    arquivo = forms.FileField(label="Lote (.zip com arquivos .esus ou .esus.xml)")


class InstalacaoForm(forms.ModelForm[InstalacaoSisab]):
    # Typed with its punctuation (18 characters for a CNPJ); stored as 14 digits.
    responsavel_documento = forms.CharField(label="CPF ou CNPJ do responsável", max_length=18)

    class Meta:
        model = InstalacaoSisab
        fields = [
            "contra_chave",
            "responsavel_documento",
            "responsavel_nome",
            "fone",
            "email",
            "janela_inicio",
            "janela_fim",
            "prazo_dia",
        ]
        help_texts = {"contra_chave": "A contra-chave de ativação obtida no e-Gestor AB."}

    def clean_responsavel_documento(self) -> str:
        documento = so_digitos(self.cleaned_data["responsavel_documento"])
        if (len(documento) == 11 and cpf_valido(documento)) or len(documento) == 14:
            return documento
        raise forms.ValidationError("Informe um CPF válido (11 dígitos) ou um CNPJ (14 dígitos).")


class DestinoForm(forms.ModelForm[DestinoSisab]):
    senha = forms.CharField(
        label="Senha",
        required=False,
        widget=forms.PasswordInput,
        help_text="Guardada cifrada. Em branco mantém a atual.",
    )

    class Meta:
        model = DestinoSisab
        fields = ["nome", "tipo", "url", "usuario", "pasta"]

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        if dados.get("tipo") == "http" and not (dados.get("url") and dados.get("usuario")):
            raise forms.ValidationError("Um servidor precisa do endereço e do usuário da credencial de integração.")
        if dados.get("tipo") == "pasta" and not dados.get("pasta"):
            raise forms.ValidationError("Informe a pasta onde o arquivo zip será gravado.")
        try:
            if dados.get("tipo") == "http" and dados.get("url"):
                url_verificar(url=dados["url"], permitidos=settings.PEC_HOSTS_SISAB)
            if dados.get("tipo") == "pasta" and dados.get("pasta"):
                pasta_verificar(pasta=dados["pasta"])
        except DestinoRecusado as exc:
            self.add_error("url" if dados.get("tipo") == "http" else "pasta", str(exc))
        return dados
