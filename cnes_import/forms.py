from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

# A state's file is some tens of megabytes; a municipality's, a few.
TAMANHO_MAXIMO = 200 * 1024 * 1024


class EnvioCnesForm(forms.Form):
    arquivo = forms.FileField(
        label="Arquivo XML do CNES (.xml ou .zip)",
        help_text="Gerado no e-Gestor AB em “XML-ESUS-APS”, versão 2.1 ou 3.0.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.zip"}),
    )
    resetar_perfis = forms.BooleanField(
        label="Redefinir pelos perfis padrão também as lotações cujos perfis foram alterados manualmente",
        required=False,
    )

    def clean_arquivo(self) -> UploadedFile[bytes]:
        arquivo: UploadedFile[bytes] = self.cleaned_data["arquivo"]
        if not (arquivo.name or "").lower().endswith((".xml", ".zip")):
            raise forms.ValidationError("Envie o arquivo .xml (ou o .zip que o contém) gerado pelo e-Gestor AB.")
        if arquivo.size is not None and arquivo.size > TAMANHO_MAXIMO:
            raise forms.ValidationError("Arquivo grande demais (máximo de 200 MB).")
        return arquivo
