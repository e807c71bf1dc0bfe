from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cnes_import.parser import (
    ArquivoCnesInvalido,
    EstabelecimentoXml,
    Identificacao,
    ProfissionalXml,
    ler_cnes,
)
from tests.cnes_import.conftest import XML_2021, XML_2022, esperado, variante


def ler(caminho: Path) -> tuple[Identificacao, list[EstabelecimentoXml], list[ProfissionalXml]]:
    registros = list(ler_cnes(caminho))
    identificacao = registros[0]
    assert isinstance(identificacao, Identificacao)
    ests = [r for r in registros if isinstance(r, EstabelecimentoXml)]
    profs = [r for r in registros if isinstance(r, ProfissionalXml)]
    assert len(registros) == 1 + len(ests) + len(profs)
    return identificacao, ests, profs


@pytest.mark.parametrize(
    ("caminho", "versao", "data", "n_est", "n_eq", "n_prof", "n_lot"),
    [
        (XML_2021, "2.1", "2021-10-17", 7, 3, 55, 57),
        (XML_2022, "3.0", "2022-11-04", 7, 3, 66, 67),
    ],
)
def test_real_files_exact_counts(caminho, versao, data, n_est, n_eq, n_prof, n_lot):
    identificacao, ests, profs = ler(caminho)
    assert identificacao == Identificacao(ibge="2413805", versao=versao, data=data)
    assert len(ests) == n_est
    assert sum(len(e.equipes) for e in ests) == n_eq
    assert len(profs) == n_prof
    assert sum(len(p.lotacoes) for p in profs) == n_lot
    # The same content as an independent reading with the standard library.
    ref = esperado(caminho)
    assert {e.cnes for e in ests} == ref.cnes
    assert {q.ine for e in ests for q in e.equipes} == ref.ines
    assert {(p.cpf, lot.cnes, lot.ine, lot.cbo) for p in profs for lot in p.lotacoes} == ref.lotacoes


def test_values_are_stripped_and_missing_attributes_are_empty():
    _, ests, profs = ler(XML_2022)
    ubs = next(e for e in ests if e.cnes == "2380501")
    assert ubs.nome == "CENTRO DE SAUDE FRANCISCO DE QUEIROZ PORTO"
    assert (ubs.tipo, ubs.cep, ubs.bairro, ubs.logradouro, ubs.numero) == (
        "02",
        "59840000",
        "CENTRO",
        "RUA ALCIDES DE CASTRO",
        "S/N",
    )
    esf = next(q for q in ubs.equipes if q.ine == "0000116963")
    assert (esf.tipo_codigo, esf.tipo_nome, esf.nome, esf.area, esf.desativada) == (
        "70",
        "ESF",
        "URBANO E RURAL",
        "0003",
        False,
    )
    # 3.0 omits CONSELHO_ID and SG_UF_EMIS when unknown.
    sem_conselho = next(p for p in profs if p.cpf == "90000010723")
    assert (sem_conselho.conselho, sem_conselho.uf_conselho, sem_conselho.cns) == ("", "", "799000000010700")
    sem_equipe = [lot for p in profs for lot in p.lotacoes if lot.ine == ""]
    assert sem_equipe and all(lot.microarea == "" for lot in sem_equipe)


def test_2021_attribute_order_and_council(tmp_path):
    _, _, profs = ler(XML_2021)
    prof = next(p for p in profs if p.cpf == "90000010138")
    assert (prof.nome, prof.conselho, prof.uf_conselho, prof.registro) == (
        "PROFISSIONAL FICTICIO 101",
        "71",
        "RN",
        "0051",
    )


def test_declared_iso_8859_1_is_honoured(tmp_path):
    arquivo = variante(
        tmp_path / "latin1.xml", XML_2021, ('NM_PROF="PROFISSIONAL FICTICIO 101"', 'NM_PROF="JOSÉ CONCEIÇÃO"')
    )
    assert "JOSÉ".encode("latin-1") in arquivo.read_bytes()
    _, _, profs = ler(arquivo)
    assert next(p for p in profs if p.cpf == "90000010138").nome == "JOSÉ CONCEIÇÃO"


def test_declared_utf_8_is_honoured(tmp_path):
    arquivo = variante(
        tmp_path / "utf8.xml",
        XML_2022,
        ('NM_PROF="PROFISSIONAL FICTICIO 107"', 'NM_PROF="JOSÉ CONCEIÇÃO"'),
        encoding="utf-8",
    )
    assert "JOSÉ".encode() in arquivo.read_bytes()
    _, _, profs = ler(arquivo)
    assert next(p for p in profs if p.cpf == "90000010723").nome == "JOSÉ CONCEIÇÃO"


def test_zip_with_one_xml_is_read(tmp_path):
    pacote = tmp_path / "cnes.zip"
    with zipfile.ZipFile(pacote, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(XML_2021, "pasta/XmlParaESUS21_241380.xml")
    _, ests, profs = ler(pacote)
    assert (len(ests), len(profs)) == (7, 55)


def test_corrupt_zip_member_is_a_clear_error(tmp_path):
    from tests.mundo import zip_com_membro_corrompido

    pacote = tmp_path / "cnes.zip"
    with zipfile.ZipFile(pacote, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(XML_2021, "cnes.xml")
    pacote.write_bytes(zip_com_membro_corrompido(pacote.read_bytes(), "cnes.xml"))
    with pytest.raises(ArquivoCnesInvalido, match=r"Não foi possível abrir o \.zip"):
        ler(pacote)


@pytest.mark.parametrize("membros", [[], ["a.xml", "b.xml"]])
def test_zip_must_hold_exactly_one_xml(tmp_path, membros):
    pacote = tmp_path / "cnes.zip"
    with zipfile.ZipFile(pacote, "w") as z:
        z.writestr("leiame.txt", "x")
        for nome in membros:
            z.write(XML_2021, nome)
    with pytest.raises(ArquivoCnesInvalido, match=r"exatamente um arquivo \.xml"):
        list(ler_cnes(pacote))


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ImportarXMLCNES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ImportarXMLCNES><IDENTIFICACAO CO_IBGE_MUN="2413805" VERSAO_XSD="3.0" DATA="2022-11-04"><ESTABELECIMENTOS>
<DADOS_GERAIS_ESTABELECIMENTOS CNES="2380501" NM_FANTA="&xxe;"/></ESTABELECIMENTOS></IDENTIFICACAO></ImportarXMLCNES>"""

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><ImportarXMLCNES><IDENTIFICACAO CO_IBGE_MUN="2413805" VERSAO_XSD="3.0" DATA="&lol9;"/></ImportarXMLCNES>'
)


@pytest.mark.parametrize("conteudo", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_is_refused(tmp_path, conteudo):
    arquivo = tmp_path / "hostil.xml"
    arquivo.write_bytes(conteudo)
    with pytest.raises(ArquivoCnesInvalido, match="DOCTYPE"):
        list(ler_cnes(arquivo))


def test_doctype_after_a_long_prolog_is_still_refused(tmp_path):
    # Past the bytes the first check looks at: the parser must still refuse it. Which of its
    # refusals speaks first (the DOCTYPE seen at the root, or the entity the parser will not
    # expand) depends on how lxml splits its reads, and varied between CI runs; both say why.
    prologo = b'<?xml version="1.0"?>' + b"<!--" + b"x" * 100_000 + b"-->"
    arquivo = tmp_path / "hostil.xml"
    arquivo.write_bytes(prologo + XXE.split(b"?>", 1)[1])
    with pytest.raises(ArquivoCnesInvalido, match=r"recusadas? por segurança"):
        list(ler_cnes(arquivo))


def test_entity_amplification_is_refused_without_the_prolog_check(tmp_path):
    # Billion laughs behind a long comment and expanded in the root's own attribute, so
    # before any element event: lxml's amplification limit stops it.
    corpo = LAUGHS.split(b"?>", 1)[1].replace(b"<ImportarXMLCNES>", b'<ImportarXMLCNES A="&lol9;">')
    arquivo = tmp_path / "hostil.xml"
    arquivo.write_bytes(b'<?xml version="1.0"?><!--' + b"x" * 100_000 + b"-->" + corpo)
    with pytest.raises(ArquivoCnesInvalido, match="entidades XML"):
        list(ler_cnes(arquivo))


def test_truncated_file_is_refused(tmp_path):
    arquivo = tmp_path / "cortado.xml"
    arquivo.write_bytes(XML_2022.read_bytes()[:20_000])
    with pytest.raises(ArquivoCnesInvalido, match="malformado ou incompleto"):
        list(ler_cnes(arquivo))


def test_malformed_file_is_refused(tmp_path):
    arquivo = variante(tmp_path / "ruim.xml", XML_2021, ("<EQUIPES>", "<EQUIPES><ABERTA>"))
    with pytest.raises(ArquivoCnesInvalido, match="malformado ou incompleto"):
        list(ler_cnes(arquivo))


@pytest.mark.parametrize(
    ("conteudo", "mensagem"),
    [
        (b"", "vazio|malformado"),
        (b'<?xml version="1.0"?><html><body/></html>', "vazio"),
        (
            b'<?xml version="1.0"?><ImportarXMLCNES><ESTABELECIMENTOS><DADOS_GERAIS_ESTABELECIMENTOS CNES="1"/>'
            b"</ESTABELECIMENTOS></ImportarXMLCNES>",
            "IDENTIFICACAO",
        ),
        (b'<?xml version="1.0"?><Outro><IDENTIFICACAO CO_IBGE_MUN="1"/></Outro>', "raiz"),
    ],
)
def test_not_a_cnes_file(tmp_path, conteudo, mensagem):
    arquivo = tmp_path / "x.xml"
    arquivo.write_bytes(conteudo)
    with pytest.raises(ArquivoCnesInvalido, match=mensagem):
        list(ler_cnes(arquivo))


def test_progress_reports_bytes_read_up_to_the_size():
    vistos: list[tuple[int, int]] = []
    list(ler_cnes(XML_2021, progresso=lambda feito, total: vistos.append((feito, total))))
    tamanho = XML_2021.stat().st_size
    assert vistos and vistos[-1] == (tamanho, tamanho)
    assert [f for f, _ in vistos] == sorted(f for f, _ in vistos)


def test_doctype_inside_a_zip_is_refused(tmp_path):
    pacote = tmp_path / "hostil.zip"
    with zipfile.ZipFile(pacote, "w") as z:
        z.writestr("XmlParaESUS30_241380.xml", XXE)
    with pytest.raises(ArquivoCnesInvalido, match="DOCTYPE"):
        list(ler_cnes(pacote))
