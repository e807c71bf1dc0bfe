"""The app's models, re-exported from their sub-packages so model labels and migrations
stay `cds.<Model>` (docs/adr/0009-organizacao-do-codigo.md)."""

from cds.fichas.models import FichaCds, FichaCdsLinha
from cds.territorio.models import Domicilio, Familia, Imovel, Logradouro, MembroFamilia

__all__ = ["Domicilio", "Familia", "FichaCds", "FichaCdsLinha", "Imovel", "Logradouro", "MembroFamilia"]
