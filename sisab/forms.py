from django import forms

from pec.documentos import cpf_valido, so_digitos


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
