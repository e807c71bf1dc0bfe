"""Printable documents of a finalised atendimento: atestado, prescrição, solicitação de
exames, as PDF (fpdf2). Digital signature and e-mail come later; these are for printing
and signing by hand."""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF

from prontuario.clinico.models import VIA_MEDICAMENTO, Atendimento

TITULOS = {"atestado": "Atestado", "prescricao": "Receituário", "exames": "Solicitação de exames"}
_VIAS = dict(VIA_MEDICAMENTO)


def _latin1(texto: str) -> str:
    # The PDF core fonts are Latin-1: every Portuguese letter fits; dashes and quotes are mapped.
    trocas = {"\u2014": "-", "\u2013": "-", "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2026": "..."}
    for de, para in trocas.items():
        texto = texto.replace(de, para)
    return texto.encode("latin-1", "replace").decode("latin-1")


class _Documento(FPDF):
    def __init__(self, atendimento: Atendimento, titulo: str) -> None:
        super().__init__(format="A4")
        self.atendimento = atendimento
        self.set_title(_latin1(titulo))
        self.set_creator("PEC")
        self.set_auto_page_break(auto=True, margin=40)
        self.add_page()
        estabelecimento = atendimento.estabelecimento
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 7, _latin1(estabelecimento.nome), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.cell(
            0,
            5,
            _latin1(f"CNES {estabelecimento.cnes} - {atendimento.municipio.nome}/{atendimento.municipio.uf}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(6)
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 9, _latin1(titulo), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        cidadao = atendimento.cidadao
        self.set_font("Helvetica", "", 11)
        documento = f"CPF {cidadao.cpf}" if cidadao.cpf else (f"CNS {cidadao.cns}" if cidadao.cns else "")
        self.paragrafo(f"Paciente: {cidadao.nome_exibicao}  {documento}")
        self.paragrafo(f"Data de nascimento: {cidadao.data_nascimento:%d/%m/%Y}")
        self.ln(4)

    def paragrafo(self, texto: str, negrito: bool = False) -> None:
        self.set_font("Helvetica", "B" if negrito else "", 11)
        self.multi_cell(0, 6, _latin1(texto), new_x="LMARGIN", new_y="NEXT")

    def assinatura(self) -> bytes:
        profissional = self.atendimento.lotacao.profissional
        self.ln(20)
        self.cell(0, 6, "_" * 45, align="C", new_x="LMARGIN", new_y="NEXT")
        registro = (
            f" - {profissional.conselho} {profissional.registro_conselho}/{profissional.uf_conselho}"
            if profissional.registro_conselho
            else ""
        )
        self.cell(0, 6, _latin1(f"{profissional.nome}{registro}"), align="C", new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 6, _latin1(f"CBO {self.atendimento.lotacao.cbo}"), align="C", new_x="LMARGIN", new_y="NEXT")
        data = timezone.localtime(self.atendimento.finalizado_em)
        self.cell(0, 6, _latin1(f"Emitido em {data:%d/%m/%Y %H:%M}"), align="C", new_x="LMARGIN", new_y="NEXT")
        return bytes(self.output())


def gerar(*, tipo: str, atendimento: Atendimento) -> bytes | None:
    """The PDF, or None when the atendimento has no such document."""
    if tipo == "atestado":
        atestado = getattr(atendimento, "atestado", None)
        if atestado is None:
            return None
        pdf = _Documento(atendimento, TITULOS[tipo])
        dia = timezone.localtime(atendimento.finalizado_em)
        pdf.paragrafo(
            f"Atesto, para os devidos fins, que o(a) paciente acima foi atendido(a) nesta unidade em {dia:%d/%m/%Y}, "
            f"às {dia:%H:%M}, e necessita de {atestado.dias} dia(s) de afastamento de suas atividades a partir desta data."
        )
        if atestado.cid10:
            pdf.paragrafo(f"CID-10: {atestado.cid10} (informado com autorização do paciente).")
        if atestado.texto:
            pdf.ln(2)
            pdf.paragrafo(atestado.texto)
        return pdf.assinatura()
    if tipo == "prescricao":
        prescricoes = list(atendimento.prescricoes.all())
        if not prescricoes:
            return None
        pdf = _Documento(atendimento, TITULOS[tipo])
        for numero, rx in enumerate(prescricoes, start=1):
            pdf.paragrafo(f"{numero}. {rx.medicamento}", negrito=True)
            duracao = "uso contínuo" if rx.uso_continuo else f"por {rx.duracao_dias} dia(s)"
            pdf.paragrafo(f"   {rx.dose}, via {_VIAS.get(rx.via, '').lower()}, {rx.posologia}, {duracao}.")
            pdf.ln(2)
        return pdf.assinatura()
    if tipo == "exames":
        exames = list(atendimento.exames.all())
        if not exames:
            return None
        pdf = _Documento(atendimento, TITULOS[tipo])
        pdf.paragrafo("Solicito os seguintes exames:")
        for exame in exames:
            sigtap = (
                f"{exame.sigtap[:2]}.{exame.sigtap[2:4]}.{exame.sigtap[4:6]}.{exame.sigtap[6:9]}-{exame.sigtap[9:]}"
            )
            pdf.paragrafo(
                f"- {exame.descricao} (SIGTAP {sigtap})" + (f" - {exame.justificativa}" if exame.justificativa else "")
            )
        return pdf.assinatura()
    return None
