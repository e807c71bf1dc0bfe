from django.apps import AppConfig


class CnesImportConfig(AppConfig):
    name = "cnes_import"
    verbose_name = "Importação CNES"
