from __future__ import annotations

import zipfile

import pytest
from django.db.models import F

from cnes_import.models import ImportacaoCnes
from cnes_import.services import cnes_importar
from pec.models import Equipe, Estabelecimento, Lotacao, LotacaoPerfil, Perfil, Profissional, Usuario
from pec.tenancy import tenant_context
from tests import mundo as fabricas
from tests.cnes_import.conftest import XML_2021, XML_2022, esperado, foto_do_banco, variante
from tests.cnes_import.test_parser import LAUGHS, XXE
from tests.mundo import cns_provisorio

pytestmark = pytest.mark.django_db

ZERO = {"criados": 0, "atualizados": 0, "desativados": 0, "rejeitados": 0}


def importar(municipio, arquivo, **kwargs):
    return cnes_importar(municipio=municipio, arquivo=arquivo, **kwargs)


def lotacoes_ativas(municipio) -> set[tuple[str, str, str, str]]:
    with tenant_context(municipio.id):
        return {
            (cpf, cnes, ine or "", cbo)
            for cpf, cnes, ine, cbo in Lotacao.objects.filter(ativo=True).values_list(
                "profissional__cpf", "estabelecimento__cnes", "equipe__ine", "cbo"
            )
        }


def ativos(municipio, modelo, chave) -> set[str]:
    with tenant_context(municipio.id):
        return set(modelo.objects.filter(ativo=True).values_list(chave, flat=True))


def test_first_import_of_2021_creates_exact_counts(taboleiro):
    resultado = importar(taboleiro, XML_2021, ator=None)
    assert resultado.ok, resultado.mensagem
    assert resultado.contagens["estabelecimentos"] == {**ZERO, "criados": 7}
    assert resultado.contagens["equipes"] == {**ZERO, "criados": 3}
    assert resultado.contagens["profissionais"] == {**ZERO, "criados": 55}
    assert resultado.contagens["lotacoes"] == {**ZERO, "criados": 57}
    assert resultado.rejeicoes == []
    with tenant_context(taboleiro.id):
        assert Estabelecimento.objects.count() == 7
        assert Equipe.objects.count() == 3
        assert Profissional.objects.count() == 55
        assert Lotacao.objects.count() == 57
    ref = esperado(XML_2021)
    assert lotacoes_ativas(taboleiro) == ref.lotacoes
    assert ativos(taboleiro, Estabelecimento, "cnes") == ref.cnes
    assert ativos(taboleiro, Equipe, "ine") == ref.ines


def test_professionals_get_accounts_without_password_and_consistent_lotacoes(taboleiro):
    importar(taboleiro, XML_2021)
    usuario = Usuario.objects.get(cpf="90000010138")
    assert usuario.nome == "PROFISSIONAL FICTICIO 101"
    assert not usuario.has_usable_password()
    assert usuario.is_active and not usuario.administrador_instalacao and usuario.criado_em is not None
    with tenant_context(taboleiro.id):
        prof = Profissional.objects.get(cpf="90000010138")
        assert (prof.usuario_id, prof.cns, prof.conselho, prof.uf_conselho, prof.registro_conselho) == (
            usuario.id,
            "799000000010107",
            "71",
            "RN",
            "0051",
        )
        assert not Lotacao.objects.exclude(usuario_id=F("profissional__usuario_id")).exists()
        sem_equipe = Lotacao.objects.filter(equipe__isnull=True)
        assert sem_equipe.count() == len([k for k in esperado(XML_2021).lotacoes if k[2] == ""]) > 0
        ubs = Estabelecimento.objects.get(cnes="2380501")
        assert (ubs.nome, ubs.tipo, ubs.cnpj, ubs.cep, ubs.telefone) == (
            "CENTRO DE SAUDE FRANCISCO DE QUEIROZ PORTO",
            "02",
            "08157810000168",
            "59840000",
            "(84)33750101",
        )
        esf = Equipe.objects.get(ine="0000116963")
        assert (esf.tipo_codigo, esf.tipo_nome, esf.area, esf.estabelecimento_id, esf.ativo) == (
            "70",
            "ESF",
            "0003",
            ubs.id,
            True,
        )


def test_new_lotacoes_get_default_perfis_by_cbo(taboleiro):
    importar(taboleiro, XML_2021)
    with tenant_context(taboleiro.id):

        def perfis(cbo: str) -> set[str]:
            return set(Perfil.objects.filter(lotacoes__cbo=cbo).values_list("codigo", flat=True))

        assert perfis("225142") == {"medico"}
        assert perfis("223565") == {"enfermeiro"}
        assert perfis("515105") == {"acs"}
        assert perfis("2241E1") == {"visualizacao"}
        assert not Lotacao.objects.filter(perfis__isnull=True).exists()


def test_2021_then_2022_yields_exactly_the_joins_and_departures(taboleiro):
    antes, depois = esperado(XML_2021), esperado(XML_2022)
    importar(taboleiro, XML_2021)
    resultado = importar(taboleiro, XML_2022)
    assert resultado.ok, resultado.mensagem

    entraram = depois.lotacoes - antes.lotacoes
    sairam = antes.lotacoes - depois.lotacoes
    assert entraram and sairam  # the real files do differ
    assert resultado.contagens["lotacoes"] == {**ZERO, "criados": len(entraram), "desativados": len(sairam)}
    assert lotacoes_ativas(taboleiro) == depois.lotacoes
    with tenant_context(taboleiro.id):
        inativas = {
            (cpf, cnes, ine or "", cbo)
            for cpf, cnes, ine, cbo in Lotacao.objects.filter(ativo=False).values_list(
                "profissional__cpf", "estabelecimento__cnes", "equipe__ine", "cbo"
            )
        }
        assert inativas == sairam  # deactivated, never deleted
        assert Lotacao.objects.count() == len(antes.lotacoes | depois.lotacoes)

    assert resultado.contagens["profissionais"]["criados"] == len(depois.cpfs - antes.cpfs)
    assert resultado.contagens["profissionais"]["desativados"] == len(antes.cpfs - depois.cpfs)
    assert ativos(taboleiro, Profissional, "cpf") == depois.cpfs
    assert ativos(taboleiro, Estabelecimento, "cnes") == depois.cnes
    assert ativos(taboleiro, Equipe, "ine") == depois.ines
    # The change list of the history names who left.
    assert len(resultado.importacao.alteracoes["lotacoes"]["desativados"]) == len(sairam)


def test_departed_lotacoes_come_back_when_they_reappear(taboleiro):
    importar(taboleiro, XML_2021)
    importar(taboleiro, XML_2022)
    resultado = importar(taboleiro, XML_2021)
    antes, depois = esperado(XML_2021), esperado(XML_2022)
    assert resultado.contagens["lotacoes"]["atualizados"] == len(antes.lotacoes - depois.lotacoes)
    assert resultado.contagens["lotacoes"]["criados"] == 0
    assert lotacoes_ativas(taboleiro) == antes.lotacoes


@pytest.mark.parametrize("arquivo", [XML_2021, XML_2022])
def test_same_file_twice_changes_nothing(taboleiro, arquivo, django_assert_max_num_queries):
    importar(taboleiro, arquivo)
    foto = foto_do_banco(taboleiro)
    # No per-row queries: a state-sized file costs the same handful.
    with django_assert_max_num_queries(30):
        resultado = importar(taboleiro, arquivo)
    assert resultado.ok
    assert all(resultado.contagens[t] == ZERO for t in ("estabelecimentos", "equipes", "profissionais", "lotacoes"))
    assert foto_do_banco(taboleiro) == foto


def test_zip_is_accepted(taboleiro, tmp_path):
    pacote = tmp_path / "XmlParaESUS30_241380.zip"
    with zipfile.ZipFile(pacote, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(XML_2022, XML_2022.name)
    resultado = importar(taboleiro, pacote)
    assert resultado.ok
    assert resultado.contagens["lotacoes"]["criados"] == 67
    assert resultado.importacao.arquivo_nome == "XmlParaESUS30_241380.zip"


def test_file_of_another_municipality_is_refused(outro_municipio):
    foto = foto_do_banco(outro_municipio)
    resultado = importar(outro_municipio, XML_2021)
    assert not resultado.ok
    assert "2413805" in resultado.mensagem and "Nada foi importado" in resultado.mensagem
    assert foto_do_banco(outro_municipio) == foto
    with tenant_context(outro_municipio.id):
        registro = ImportacaoCnes.objects.get()
    assert (registro.status, registro.versao) == (ImportacaoCnes.Status.RECUSADA, "2.1")


def _hostil(tmp_path, nome: str):
    arquivo = tmp_path / f"{nome}.xml"
    if nome == "malformado":
        # Well-formed up to deep inside the professionals: records were already read.
        return variante(
            arquivo,
            XML_2022,
            ('<DADOS_LOTACOES CNES="2380501" CO_INE="" CO_CBO="515140"', "<DADOS_LOTACOES <"),
            encoding="utf-8",
        )
    if nome == "truncado":
        conteudo = XML_2022.read_bytes()
        arquivo.write_bytes(conteudo[: len(conteudo) - 500])
    else:
        arquivo.write_bytes({"xxe": XXE, "billion-laughs": LAUGHS}[nome])
    return arquivo


@pytest.mark.parametrize(
    ("nome", "mensagem"),
    [
        ("malformado", "malformado ou incompleto"),
        ("truncado", "malformado ou incompleto"),
        ("xxe", "DOCTYPE"),
        ("billion-laughs", "DOCTYPE"),
    ],
)
def test_bad_files_leave_the_database_unchanged(taboleiro, tmp_path, nome, mensagem):
    importar(taboleiro, XML_2021)
    foto = foto_do_banco(taboleiro)
    resultado = importar(taboleiro, _hostil(tmp_path, nome))
    assert not resultado.ok
    assert mensagem in resultado.mensagem
    assert foto_do_banco(taboleiro) == foto
    assert resultado.importacao.contagens["lotacoes"] == ZERO


def test_dry_run_changes_nothing_but_reports_and_records(taboleiro):
    importar(taboleiro, XML_2021)
    foto = foto_do_banco(taboleiro)
    resultado = importar(taboleiro, XML_2022, dry_run=True)
    assert resultado.ok
    assert resultado.contagens["lotacoes"]["criados"] == len(esperado(XML_2022).lotacoes - esperado(XML_2021).lotacoes)
    assert foto_do_banco(taboleiro) == foto
    assert resultado.importacao.simulacao
    assert resultado.mensagem.startswith("Simulação")


def test_invalid_records_are_rejected_one_by_one_with_their_reason(taboleiro, tmp_path):
    arquivo = variante(
        tmp_path / "rejeicoes.xml",
        XML_2021,
        ('CPF_PROF="90000010138"', 'CPF_PROF="90000010139"'),
        ('CO_CNS="799000000010204"', 'CO_CNS="799000000010205"'),
        ('CO_CBO="225142"', 'CO_CBO="999999"'),
        ('CO_INE="0001809180"', 'CO_INE="18091"'),
    )
    resultado = importar(taboleiro, arquivo)
    assert resultado.ok
    motivos = {(r["tipo"], r["motivo"]) for r in resultado.rejeicoes}
    assert ("profissionais", "CPF inválido") in motivos
    assert ("profissionais", "CNS inválido") in motivos
    assert ("lotacoes", "CBO 999999 desconhecido") in motivos
    assert ("equipes", "INE inválido (deve ter 10 dígitos)") in motivos
    # The ESB lotações now point at a team that is not in the file.
    assert ("lotacoes", "equipe INE 0001809180 não está no arquivo") in motivos
    contagens = resultado.contagens
    assert contagens["profissionais"]["rejeitados"] == 2
    assert contagens["equipes"]["rejeitados"] == 1
    assert contagens["profissionais"]["criados"] == 53
    with tenant_context(taboleiro.id):
        assert not Profissional.objects.filter(cpf__in=["90000010138", "90000010219"]).exists()
    registro = resultado.importacao
    assert len(registro.rejeicoes) == sum(c["rejeitados"] for c in contagens.values() if "rejeitados" in c)


def test_a_rejected_professional_keeps_the_access_they_had(taboleiro, tmp_path):
    importar(taboleiro, XML_2021)
    cns_errado = variante(tmp_path / "cns.xml", XML_2021, ('CO_CNS="799000000010204"', 'CO_CNS="799000000010205"'))
    resultado = importar(taboleiro, cns_errado)
    assert resultado.contagens["profissionais"] == {**ZERO, "rejeitados": 1}
    assert resultado.contagens["lotacoes"]["desativados"] == 0
    assert lotacoes_ativas(taboleiro) == esperado(XML_2021).lotacoes


def test_edited_perfis_survive_reimport_unless_reset(taboleiro):
    importar(taboleiro, XML_2021)
    with tenant_context(taboleiro.id):
        lotacao = Lotacao.objects.filter(cbo="225142").first()
        coordenacao = Perfil.objects.get(codigo="coordenacao")
        lotacao.perfis.set([coordenacao], through_defaults={"municipio_id": taboleiro.id})
        lotacao.perfis_editados = True
        lotacao.save(update_fields=["perfis_editados"])
        nao_editada = Lotacao.objects.filter(cbo="223565").first()
        nao_editada.perfis.set([coordenacao], through_defaults={"municipio_id": taboleiro.id})

    resultado = importar(taboleiro, XML_2021)
    # The unedited one goes back to its CBO's defaults; the edited one is left alone.
    assert resultado.contagens["lotacoes"] == {**ZERO, "atualizados": 1}
    with tenant_context(taboleiro.id):
        assert list(lotacao.perfis.values_list("codigo", flat=True)) == ["coordenacao"]
        assert list(nao_editada.perfis.values_list("codigo", flat=True)) == ["enfermeiro"]

    resultado = importar(taboleiro, XML_2021, resetar_perfis=True)
    assert resultado.contagens["lotacoes"] == {**ZERO, "atualizados": 1}
    with tenant_context(taboleiro.id):
        lotacao.refresh_from_db()
        assert not lotacao.perfis_editados
        assert list(lotacao.perfis.values_list("codigo", flat=True)) == ["medico"]


def test_deactivated_team_and_emulti_under_two_establishments(taboleiro, tmp_path):
    emulti = (
        '<DADOS_EQUIPES   ID_TP_EQUIPE=""   TP_EQUIPE="72"   SG_EQUIPE="ENASFAP"   DS_EQUIPE="X"   '
        'CO_INE="0001491547"   CO_AREA="0001"   DS_AREA=""   NM_REFERENCIA="ENASFAP TAB GRANDE"   DT_DESATIVACAO=""/>'
    )
    arquivo = variante(
        tmp_path / "equipes.xml",
        XML_2021,
        # 2380455 (lower CNES than 2380501) lists the eMulti too.
        ("<EQUIPES>\r\n  </EQUIPES>", f"<EQUIPES>{emulti}</EQUIPES>"),  # CRLF: a 2.1 file
        (
            'CO_INE="0001809180"   CO_AREA="0001"   DS_AREA=""   NM_REFERENCIA="EQUIPE SAUDE BUCAL TG"   DT_DESATIVACAO=""',
            'CO_INE="0001809180"   CO_AREA="0001"   DS_AREA=""   NM_REFERENCIA="EQUIPE SAUDE BUCAL TG"   DT_DESATIVACAO="01/01/2021"',
        ),
        ('TP_EQUIPE="70"', 'TP_EQUIPE="76"'),
    )
    resultado = importar(taboleiro, arquivo)
    assert resultado.ok and resultado.rejeicoes == []
    with tenant_context(taboleiro.id):
        assert Equipe.objects.count() == 3
        assert Equipe.objects.get(ine="0001491547").estabelecimento.cnes == "2380455"
        assert not Equipe.objects.get(ine="0001809180").ativo
        assert Equipe.objects.get(ine="0000116963").tipo_codigo == "76"  # unknown type kept


def test_existing_account_is_reused_and_never_changed(taboleiro):
    outro = fabricas.municipio("Outro")
    conta = Usuario.objects.create_user("90000010138", "senha-forte-123", nome="Nome Escolhido", email="eu@example.org")
    fabricas.lotacao(outro, conta)
    importar(taboleiro, XML_2021)
    conta.refresh_from_db()
    assert (conta.nome, conta.email) == ("Nome Escolhido", "eu@example.org")
    assert conta.check_password("senha-forte-123")
    with tenant_context(taboleiro.id):
        assert Profissional.objects.get(cpf="90000010138").usuario_id == conta.id
    with tenant_context(outro.id):
        assert Lotacao.objects.filter(usuario=conta).count() == 1  # the other municipality untouched


def test_import_stays_inside_its_municipality(taboleiro):
    vizinho = fabricas.municipio("Vizinho")
    fabricas.lotacao(vizinho, fabricas.usuario("Charlie"))
    foto = foto_do_banco(vizinho, com_usuarios=False)
    importar(taboleiro, XML_2021)
    importar(taboleiro, XML_2022)
    assert foto_do_banco(vizinho, com_usuarios=False) == foto
    with tenant_context(taboleiro.id):
        assert set(LotacaoPerfil.objects.values_list("municipio_id", flat=True)) == {taboleiro.id}


def test_overlong_values_are_cut_to_their_columns(taboleiro, tmp_path):
    longo = "NOME MUITO COMPRIDO " * 20
    arquivo = variante(
        tmp_path / "longo.xml",
        XML_2021,
        ('NM_PROF="PROFISSIONAL FICTICIO 101"', f'NM_PROF="{longo}"'),
        ('NM_FANTA="POSTO DE SAUDE CICERO ROMAO BATISTA"', f'NM_FANTA="{longo}"'),
    )
    resultado = importar(taboleiro, arquivo)
    assert resultado.ok and resultado.rejeicoes == []
    with tenant_context(taboleiro.id):
        assert Profissional.objects.get(cpf="90000010138").nome == longo[:150]
        assert Estabelecimento.objects.get(cnes="7193041").nome == longo[:200]
    assert Usuario.objects.get(cpf="90000010138").nome == longo[:150]
    assert importar(taboleiro, arquivo).contagens["profissionais"] == ZERO  # cut values compare equal next time


def test_cns_and_council_entered_by_the_admin_survive_a_file_that_lacks_them(taboleiro, tmp_path):
    sem_cns = variante(tmp_path / "sem_cns.xml", XML_2021, ('CO_CNS="799000000010301"', 'CO_CNS=""'))
    importar(taboleiro, sem_cns)
    informado = {"cns": "799000000010301", "conselho": "71", "registro_conselho": "0053", "uf_conselho": "RN"}
    with tenant_context(taboleiro.id):
        Profissional.objects.filter(cpf="90000010308").update(**informado)
    resultado = importar(taboleiro, sem_cns)
    assert resultado.contagens["profissionais"] == ZERO
    with tenant_context(taboleiro.id):
        prof = Profissional.objects.get(cpf="90000010308")
    assert {campo: getattr(prof, campo) for campo in informado} == informado
    # What the file does bring still wins.
    do_cnes = cns_provisorio()
    importar(taboleiro, variante(tmp_path / "outro.xml", sem_cns, ('CO_CNS=""', f'CO_CNS="{do_cnes}"')))
    with tenant_context(taboleiro.id):
        assert Profissional.objects.get(cpf="90000010308").cns == do_cnes


# --- Accounts across municipalities (pec.identity.contas) ----------------------------------------------

MEDICO = 'CPF_PROF="90000010138"  CO_CNS="799000000010107"  DT_NASC="01/01/1900"  SEXO="N"  CONSELHO_ID="71"  SG_UF_EMIS="RN"  NU_REGISTRO="0051"  E_MAIL=""'


def test_another_municipality_cannot_take_over_an_account_through_its_cnes_file(taboleiro, tmp_path):
    """C's admin lists D's doctor with the attacker's address, D then imports its real file;
    the attacker's "Esqueci minha senha" mails nothing, and the doctor's account never
    gets that address. D's chain, C's chain and the installation's record the link."""
    from allauth.account.models import EmailAddress
    from django.test import Client

    from pec.models import EmailSaida, EventoAuditoria

    c = fabricas.municipio("Cidade C", ibge="2400208")
    arquivo_c = variante(
        tmp_path / "c.xml",
        XML_2021,
        ('CO_IBGE_MUN="2413805" VERSAO_XSD', 'CO_IBGE_MUN="2400208" VERSAO_XSD'),
        (MEDICO, MEDICO.replace('E_MAIL=""', 'E_MAIL="atacante@mal.example.org"')),
    )
    assert importar(c, arquivo_c).ok
    assert importar(taboleiro, XML_2021).ok  # D, with the real file
    medico = Usuario.objects.get(cpf="90000010138")
    with tenant_context(taboleiro.id):
        assert Profissional.objects.get(cpf="90000010138").usuario_id == medico.id  # linked in D
    assert medico.email == "" and not EmailAddress.objects.filter(user=medico).exists()

    atacante = Client()
    pedido = atacante.post("/conta/password/reset/", {"email": "atacante@mal.example.org"})
    desconhecido = Client().post("/conta/password/reset/", {"email": "ninguem@example.org"})
    assert pedido.status_code == desconhecido.status_code == 302  # no enumeration either way
    assert pedido["Location"] == desconhecido["Location"]
    assert not EmailSaida.objects.exists()
    assert atacante.post("/conta/login/", {"login": medico.cpf, "password": "qualquer-coisa-1"}).status_code == 200
    assert "_auth_user_id" not in atacante.session

    for municipio in (taboleiro, c):
        with tenant_context(municipio.id):
            evento = EventoAuditoria.objects.get(evento="conta_vinculada", detalhes__usuario_vinculado_id=medico.id)
        assert (evento.detalhes["municipio_novo_id"], evento.detalhes["outros_municipios"]) == (taboleiro.id, [c.id])
    assert (
        EventoAuditoria.objects.filter(
            municipio_id__isnull=True, evento="conta_vinculada", detalhes__usuario_vinculado_id=medico.id
        ).count()
        == 1
    )
    # Every doctor of the file was already C's: all of them are linked, once.
    assert importar(taboleiro, XML_2021).ok
    with tenant_context(taboleiro.id):
        assert EventoAuditoria.objects.filter(evento="conta_vinculada").count() == len(esperado(XML_2021).cpfs)


def test_linking_an_account_tells_its_verified_address(taboleiro, django_capture_on_commit_callbacks):
    from allauth.account.models import EmailAddress

    from pec.models import EmailSaida

    outro = fabricas.municipio("Outro")
    conta = Usuario.objects.create_user("90000010138", "senha-forte-123", nome="Nome Escolhido")
    EmailAddress.objects.create(user=conta, email="eu@example.org", verified=True, primary=True)
    fabricas.lotacao(outro, conta)
    importar(taboleiro, XML_2021)
    aviso = EmailSaida.objects.get()
    assert aviso.para == ["eu@example.org"] and "Taboleiro Grande" in aviso.assunto
    importar(taboleiro, XML_2021)
    assert EmailSaida.objects.count() == 1  # a re-import links nothing new
