"""Permissions and the default perfis, by CBO group, as PEC assigns them.

A perfil is a named set of permission codes. Every municipality gets its own copies of
the defaults (`perfis_garantir_padrao`), which its administrator may then edit; a new
lotação receives the defaults of its CBO (`perfis_padrao_para_cbo`).

The catalogue lists only what the server enforces: every code is checked where its action
happens (tests/pec/test_acesso.py fails on a code checked nowhere). A feature not built yet
(atendimento odontológico, relatórios) gets its code together with the feature,
so an administrator never assigns a permission that guards nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:  # pec.models imports this module
    from pec.models import Perfil

PERMISSOES: dict[str, str] = {
    "cidadao.ver": "Ver cadastro do cidadão",
    "cidadao.editar": "Cadastrar e editar cidadão",
    "cidadao.unificar": "Unificar cadastros duplicados",
    "agenda.ver": "Ver agendas",
    "agenda.gerenciar": "Agendar, cancelar e remarcar",
    "fila.ver": "Ver a lista de atendimentos",
    "fila.gerenciar": "Incluir cidadãos na lista de atendimentos",
    "prontuario.ver": "Ver prontuário (folha de rosto e histórico)",
    "escuta.registrar": "Realizar escuta inicial",
    "atendimento.registrar": "Realizar atendimento individual (SOAP)",
    "prescricao.emitir": "Prescrever medicamentos",
    "exame.solicitar": "Solicitar exames",
    "atestado.emitir": "Emitir atestados",
    "vacina.registrar": "Registrar vacinação",
    "vacina.corrigir": "Corrigir ou excluir doses registradas no PEC",
    "cds.digitar": "Digitar, corrigir e cancelar fichas CDS",
    "cds.digitar_outros": "Digitar fichas CDS preenchidas por outros profissionais da UBS (digitador)",
    "territorio.ver": "Ver o território (logradouros, imóveis e famílias)",
    "territorio.editar": "Cadastrar e editar o território (cadastro domiciliar e territorial)",
    "admin.municipio": "Administrar o município (profissionais, lotações, perfis, importações, configurações)",
    "auditoria.ver": "Consultar a trilha de auditoria",
    "competencia.ver": "Acompanhar a competência do SISAB (a própria produção; o administrador vê o município)",
    "competencia.ubs": "Acompanhar a competência do SISAB de toda a UBS da lotação",
}

_CLINICO_COMUM = ["cidadao.ver", "agenda.ver", "fila.ver", "prontuario.ver", "territorio.ver"]
# The professionals who register households in PEC; the page also requires a lotação whose
# CBO may produce the cadastro domiciliar (LEDI regras/cbo.txt, dados.cbos_por_ficha).
# Who produces fichas for the SISAB follows their own on the competência page.
_PRODUZ_FICHAS = "competencia.ver"
_TERRITORIO = ["territorio.ver", "territorio.editar"]

# code: (name, permissions). "visualizacao" is the read-only perfil.
PERFIS_PADRAO: dict[str, tuple[str, list[str]]] = {
    "medico": (
        "Médico",
        [
            *_CLINICO_COMUM,
            _PRODUZ_FICHAS,
            "cidadao.editar",
            "fila.gerenciar",
            "escuta.registrar",
            "atendimento.registrar",
            "prescricao.emitir",
            "exame.solicitar",
            "atestado.emitir",
            "agenda.gerenciar",
            "cds.digitar",
            "territorio.editar",
        ],
    ),
    "enfermeiro": (
        "Enfermeiro",
        [
            *_CLINICO_COMUM,
            _PRODUZ_FICHAS,
            "cidadao.editar",
            "fila.gerenciar",
            "escuta.registrar",
            "atendimento.registrar",
            "prescricao.emitir",
            "exame.solicitar",
            "vacina.registrar",
            "vacina.corrigir",
            "agenda.gerenciar",
            "cds.digitar",
            "territorio.editar",
        ],
    ),
    "tecnico_enfermagem": (
        "Técnico/auxiliar de enfermagem",
        [
            *_CLINICO_COMUM,
            _PRODUZ_FICHAS,
            "fila.gerenciar",
            "escuta.registrar",
            "vacina.registrar",
            "cds.digitar",
            "territorio.editar",
        ],
    ),
    "cirurgiao_dentista": (
        "Cirurgião-dentista",
        [
            *_CLINICO_COMUM,
            _PRODUZ_FICHAS,
            "cidadao.editar",
            "fila.gerenciar",
            "escuta.registrar",
            "prescricao.emitir",
            "exame.solicitar",
            "atestado.emitir",
            "agenda.gerenciar",
            "cds.digitar",
        ],
    ),
    "acs": ("ACS/ACE", ["cidadao.ver", "cidadao.editar", _PRODUZ_FICHAS, "cds.digitar", *_TERRITORIO]),
    "digitador": ("Digitador", ["cidadao.ver", "cds.digitar", "cds.digitar_outros"]),
    "recepcao": (
        "Recepção",
        [
            "cidadao.ver",
            "cidadao.editar",
            "agenda.ver",
            "agenda.gerenciar",
            "fila.ver",
            "fila.gerenciar",
            *_TERRITORIO,
        ],
    ),
    "coordenacao": (
        "Coordenação da UBS",
        [
            *_CLINICO_COMUM,
            "agenda.gerenciar",
            "fila.gerenciar",
            "cidadao.unificar",
            "competencia.ver",
            "competencia.ubs",
        ],
    ),
    "admin_municipal": (
        "Administrador municipal",
        ["admin.municipio", "auditoria.ver", "cidadao.ver", "cidadao.unificar", "competencia.ver"],
    ),
    "visualizacao": ("Visualização (somente leitura)", _CLINICO_COMUM),
}

# CBO (6 digits) or family prefix (4 digits) -> default perfil codes. Sources: CBO 2002
# (Ministério do Trabalho) and the CBOs PEC lists for each perfil; families cover the
# variants (2251xx médicos clínicos, 2235xx enfermeiros, ...).
_CBO_PERFIS: dict[str, list[str]] = {
    "2251": ["medico"],
    "2252": ["medico"],
    "2253": ["medico"],
    "2231": ["medico"],  # CBO 1994 codes still present in old CNES files
    "2235": ["enfermeiro"],
    "3222": ["tecnico_enfermagem"],
    "2232": ["cirurgiao_dentista"],
    "3224": ["tecnico_enfermagem"],  # técnico/auxiliar em saúde bucal: procedures and escuta
    "5151": ["acs"],
    "5153": ["acs"],
    "4121": ["digitador"],  # 412110 digitador
    "4221": ["recepcao"],
    "4110": ["recepcao"],
    "4101": ["recepcao"],
    "1312": ["coordenacao"],
    "131205": ["admin_municipal"],  # diretor de serviços de saúde
    "131210": ["coordenacao"],  # gerente de serviços de saúde
}


def perfis_padrao_para_cbo(cbo: str) -> list[str]:
    """Default perfil codes for a CBO; professionals not listed get the read-only perfil."""
    return _CBO_PERFIS.get(cbo) or _CBO_PERFIS.get(cbo[:4]) or ["visualizacao"]


@transaction.atomic
def perfis_garantir_padrao(*, municipio_id: int) -> dict[str, Perfil]:
    """Create the municipality's copies of the default perfis that are missing.

    Existing perfis are left as the administrator edited them. Must run inside the
    municipality's tenant context.
    """
    from pec.models import Perfil

    existentes = {p.codigo: p for p in Perfil.objects.filter(municipio_id=municipio_id)}
    for codigo, (nome, permissoes) in PERFIS_PADRAO.items():
        if codigo not in existentes:
            existentes[codigo] = Perfil.objects.create(
                municipio_id=municipio_id, codigo=codigo, nome=nome, permissoes=sorted(permissoes), padrao=True
            )
    return existentes
