from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from pec.destinos import DestinoRecusado, url_verificar
from pec.documentos import so_digitos
from rnds.certificado import TAMANHO_MAXIMO
from rnds.models import ConfiguracaoRNDS, hosts_permitidos


class CertificadoForm(forms.Form):
    arquivo = forms.FileField(
        label="Certificado A1 (.pfx ou .p12)",
        help_text="O e-CNPJ do município (ou e-CPF do responsável) credenciado no Portal de Serviços do DATASUS.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pfx,.p12"}),
    )
    senha = forms.CharField(label="Senha do certificado", widget=forms.PasswordInput, required=False, strip=False)

    def clean_arquivo(self) -> bytes:
        arquivo: UploadedFile[bytes] = self.cleaned_data["arquivo"]
        if arquivo.size is not None and arquivo.size > TAMANHO_MAXIMO:
            raise forms.ValidationError("Arquivo grande demais para um certificado A1 (máximo de 64 KB).")
        conteudo: bytes = arquivo.read()
        return conteudo


class ConfiguracaoForm(forms.ModelForm[ConfiguracaoRNDS]):
    class Meta:
        model = ConfiguracaoRNDS
        fields = [
            "habilitado",
            "ambiente",
            "identificador_solicitante",
            "url_autenticacao",
            "url_servicos",
            "url_cadsus",
        ]
        help_texts = {
            "url_autenticacao": "Deixe em branco para o endereço oficial do ambiente.",
            "url_servicos": "Em branco: homologação única, ou o endereço da UF do município em produção.",
            "url_cadsus": "Em branco: o endereço oficial do ambiente.",
        }

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        if dados.get("habilitado") and not dados.get("identificador_solicitante"):
            self.add_error(
                "identificador_solicitante", "Informe o identificador do solicitante para habilitar o envio."
            )
        for campo in ("url_autenticacao", "url_servicos", "url_cadsus"):
            if dados.get(campo):
                try:
                    url_verificar(url=dados[campo], permitidos=hosts_permitidos())
                except DestinoRecusado as exc:
                    self.add_error(campo, str(exc))
        return dados


class CadsusBuscaForm(forms.Form):
    cpf_cns = forms.CharField(label="CPF ou CNS", required=False, max_length=20)
    nome = forms.CharField(label="Nome completo", required=False, max_length=70)
    data_nascimento = forms.DateField(
        label="Data de nascimento", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        dados = super().clean() or {}
        documento = so_digitos(dados.get("cpf_cns", ""))
        dados["documento"] = documento
        if documento and len(documento) not in (11, 15):
            self.add_error("cpf_cns", "Informe os 11 dígitos do CPF ou os 15 do CNS.")
        elif not documento and not (dados.get("nome") and dados.get("data_nascimento")):
            raise forms.ValidationError("Busque por CPF, por CNS, ou por nome completo e data de nascimento.")
        return dados
