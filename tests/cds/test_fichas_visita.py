"""The Ficha de Visita Domiciliar e Territorial (LEDI tipo 8) typed through its page: saved
with its rows linked to the citizens they name, exported as XML valid against the official
XSD and as .esus that a fresh load of the official IDL reads back; bad input refused next
to its field with nothing written; corrected as a new version and cancelled, the old one
held back from the SISAB; offered only to the CBOs LEDI allows; its hot pages pinned."""

from __future__ import annotations

import datetime
import html

import pytest
from django.utils import timezone

from cds.models import FichaCds, FichaCdsLinha
from pec.models import EventoAuditoria, Lotacao, Outbox
from pec.outbox import outbox_drenar
from pec.tenancy import tenant_context
from sisab import envio, fichas, ledi
from sisab.models import EntregaSisab, FichaSisab
from tests import mundo as fabricas
from tests.cds import mundo_fichas
from tests.sisab import mundo_envio

pytestmark = pytest.mark.django_db


@pytest.fixture
def m() -> mundo_fichas.MundoFichas:
    return mundo_fichas.mundo()


def _hoje() -> str:
    return timezone.localdate().isoformat()


def _visitas(m: mundo_fichas.MundoFichas) -> list[dict[str, str]]:
    return [
        {
            "turno": "1",
            "micro_area": "03",
            "tipo_imovel": "1",
            "num_prontuario": "F01",
            "documento": m.maria.cpf,
            "nascimento": "1990-05-10",
            "sexo": "1",
            "motivos": "29, 11",
            "desfecho": "1",
            "peso": "62.5",
            "altura": "160",
            "pa_sistolica": "120",
            "pa_diastolica": "80",
            "glicemia": "98",
            "tipo_glicemia": "0",
        },
        {"turno": "2", "fora_area": "on", "tipo_imovel": "2", "motivos": "35 36", "desfecho": "1"},
        {"turno": "2", "micro_area": "03", "tipo_imovel": "1", "desfecho": "3"},
        {"tipo_imovel": "1", "desfecho": "1"},  # a blank row of the paper, as it came: skipped
    ]


def _digitar(m: mundo_fichas.MundoFichas, linhas: list[dict[str, str]], cliente=None):
    cliente = cliente or fabricas.entrar(m.ana)
    return cliente.post("/cds/fichas/nova/8/", mundo_fichas.post({"data_atendimento": _hoje()}, linhas))


def _fichas_sisab(m: mundo_fichas.MundoFichas) -> list[FichaSisab]:
    envio.fichas_gerar(municipio_id=m.municipio.id)
    with tenant_context(m.municipio.id):
        return list(FichaSisab.objects.filter(tipo=8).order_by("id"))


def test_a_visit_ficha_typed_on_its_page_exports_as_valid_xml_and_esus(m):
    resposta = _digitar(m, _visitas(m))
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
        linhas = list(ficha.linhas.all())
    assert resposta.url == f"/cds/fichas/{ficha.id}/"
    assert ficha.tipo == 8 and ficha.lotacao_id == m.ana.id and ficha.origem == "digitada"
    assert ficha.digitada_por_id == m.ana.usuario_id and ficha.uuid == ficha.uuid_originadora
    assert [linha.cidadao_id for linha in linhas] == [m.maria.id, None, None]
    primeira = linhas[0].dados
    assert primeira["cpfCidadao"] == m.maria.cpf and primeira["motivosVisita"] == [29, 11]
    assert primeira["pesoAcompanhamentoNutricional"] == 62.5 and primeira["alturaAcompanhamentoNutricional"] == 160.0
    assert primeira["dtNascimento"] == fichas.epoch_ms(datetime.date(1990, 5, 10))
    assert linhas[1].dados == {
        "turno": 2,
        "stForaArea": True,
        "tipoDeImovel": 2,
        "motivosVisita": [35, 36],
        "desfecho": 1,
        "statusVisitaCompartilhadaOutroProfissional": False,
    }

    [exportada] = _fichas_sisab(m)
    assert exportada.status == FichaSisab.Status.VALIDA, exportada.erros
    assert exportada.origem == "cds_visita" and exportada.origem_id == ficha.id and exportada.lotacao_id == m.ana.id
    d = exportada.dados
    assert d["uuidFicha"] == f"{m.ana.estabelecimento.cnes}-{ficha.uuid}" and d["tpCdsOrigem"] == 3
    assert d["headerTransport"]["cboCodigo_2002"] == "515105"
    assert d["visitasDomiciliares"] == [linha.dados for linha in linhas]

    lido = ledi.de_xml(mundo_envio.exportado(m.municipio, exportada, "xml"))  # validated against the XSD
    assert lido.tipo == 8 and lido.ficha == d
    esus = mundo_envio.exportado(m.municipio, exportada, "esus")
    assert ledi.de_esus(esus).ficha == d
    oficial = mundo_envio.decodificado_pela_idl_oficial(esus, 8)
    assert oficial.uuidFicha == d["uuidFicha"] and oficial.tpCdsOrigem == 3
    assert [v.desfecho for v in oficial.visitasDomiciliares] == [1, 1, 3]
    assert oficial.visitasDomiciliares[0].cpfCidadao == m.maria.cpf
    assert oficial.visitasDomiciliares[0].motivosVisita == [29, 11]
    assert oficial.visitasDomiciliares[0].pressaoSistolica == 120
    assert oficial.visitasDomiciliares[1].stForaArea is True and oficial.visitasDomiciliares[1].microArea is None
    assert oficial.headerTransport.profissionalCNS == d["headerTransport"]["profissionalCNS"]
    assert envio.fichas_gerar(municipio_id=m.municipio.id)["novas"] == 0

    # The admin's page of the ledger's ficha reads the citizens its rows name.
    admin = fabricas.entrar(m.admin.usuario, m.admin, pela_escolha=True)
    assert admin.get(f"/administracao/sisab/fichas/{exportada.id}/").status_code == 200
    with tenant_context(m.municipio.id):
        leituras = EventoAuditoria.objects.filter(evento="leitura_prontuario", o_que=f"ficha SISAB {exportada.uuid}")
        assert list(leituras.values_list("cidadao_id", flat=True)) == [m.maria.id]


def test_the_saved_ficha_shows_its_rows_and_records_the_citizen_read(m):
    _digitar(m, _visitas(m))
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
    pagina = fabricas.entrar(m.ana).get(f"/cds/fichas/{ficha.id}/").content.decode()
    assert "Visita Domiciliar e Territorial" in pagina and "Pessoa com hipertensão" in pagina
    assert "Comércio" in pagina and "Ausente" in pagina
    with tenant_context(m.municipio.id):
        assert EventoAuditoria.objects.filter(
            evento="leitura_prontuario", cidadao_id=m.maria.id, lotacao_id=m.ana.id
        ).exists()


@pytest.mark.parametrize(
    "linha,campo,mensagem",
    [
        ({"peso": "900"}, "Peso (kg)", "O peso deve estar entre 0.5 e 500 kg."),
        (
            {"desfecho": "3", "peso": "", "altura": ""},
            "Motivos da visita (códigos)",
            "Visita recusada ou ausente não tem motivos.",
        ),
        ({"documento": "12345678900"}, "CPF ou CNS", "O CPF do cidadão (12345678900) é inválido."),
        ({"sexo": ""}, "Sexo", "Informe o sexo do cidadão visitado."),
        ({"tipo_imovel": "5"}, "Nº do prontuário", "Um imóvel do tipo Escola não leva número do prontuário."),
        (
            {"motivos": "1 99"},
            "Motivos da visita (códigos)",
            "Motivo da visita: código(s) 99 não existe(m) na tabela LEDI.",
        ),
        ({"micro_area": ""}, "Microárea", 'A microárea (2 dígitos) é obrigatória fora de "fora de área".'),
        ({"nascimento": "2090-01-01"}, "Data de nascimento", "A data de nascimento é posterior à data do atendimento."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_written(m, linha, campo, mensagem):
    visitas = _visitas(m)
    visitas[0] = {**visitas[0], **linha}
    resposta = _digitar(m, visitas)
    assert resposta.status_code == 200
    pagina = resposta.content.decode()
    assert "A ficha não foi salva" in pagina
    mensagem = html.escape(mensagem)
    assert f"Linha 1, {campo}: {mensagem}" in pagina  # the summary names the row and the field
    assert f"{campo}: {mensagem}" in pagina.split("<tbody>")[1]  # and the message sits on that field
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists() and not FichaCdsLinha.objects.exists()
        assert not EventoAuditoria.objects.filter(evento="ficha_cds_digitacao").exists()


def test_a_ficha_without_visits_or_from_the_future_is_refused(m):
    resposta = _digitar(m, [{"tipo_imovel": "1", "desfecho": "1"}])
    assert "Digite pelo menos uma visita." in resposta.content.decode()
    amanha = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    resposta = fabricas.entrar(m.ana).post(
        "/cds/fichas/nova/8/", mundo_fichas.post({"data_atendimento": amanha}, _visitas(m))
    )
    assert "Data do atendimento: A data do atendimento não pode ser posterior a hoje." in resposta.content.decode()
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


def test_adding_a_row_saves_nothing_and_shows_one_more_row(m):
    with tenant_context(m.municipio.id):
        Lotacao.objects.filter(id=m.ana.id).update(microarea="03")
    novo = fabricas.entrar(m.ana).get("/cds/fichas/nova/8/").content.decode()
    assert 'name="linhas-2-micro_area" value="03"' in novo  # the agente's microárea comes typed
    dados = mundo_fichas.post({"data_atendimento": _hoje()}, _visitas(m)[:1])
    resposta = fabricas.entrar(m.ana).post("/cds/fichas/nova/8/", {**dados, "adicionar": "1"})
    pagina = resposta.content.decode()
    assert resposta.status_code == 200 and 'name="linhas-1-turno"' in pagina and 'name="linhas-2-turno"' not in pagina
    assert "A ficha não foi salva" not in pagina
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()


def test_only_the_cbos_ledi_allows_see_the_visit_ficha(m):
    ana, nina = fabricas.entrar(m.ana), fabricas.entrar(m.nina)
    assert "/cds/fichas/nova/8/" in ana.get("/cds/fichas/").content.decode()
    lista_nina = nina.get("/cds/fichas/").content.decode()
    assert "/cds/fichas/nova/8/" not in lista_nina and "/cds/fichas/nova/6/" in lista_nina
    assert nina.get("/cds/fichas/nova/8/").status_code == 403
    assert _digitar(m, _visitas(m), cliente=nina).status_code == 403
    assert ana.get("/cds/fichas/nova/2/").status_code == 404  # not a type typed here
    with tenant_context(m.municipio.id):
        assert not FichaCds.objects.exists()
    # Typing is a permission of its own: the admin's lotação has none of it.
    assert fabricas.entrar(m.admin).get("/cds/fichas/").status_code == 403


def test_a_correction_is_a_new_version_and_the_old_one_is_held_back(m):
    _digitar(m, _visitas(m))
    [primeira_sisab] = _fichas_sisab(m)
    with tenant_context(m.municipio.id):
        antiga = FichaCds.objects.get()
    ana = fabricas.entrar(m.ana)
    formulario = ana.get(f"/cds/fichas/{antiga.id}/corrigir/").content.decode()
    assert 'value="29 11"' in formulario and f'value="{m.maria.cpf}"' in formulario
    visitas = _visitas(m)[:2]
    visitas[0]["peso"] = "63"
    dados = mundo_fichas.post({"data_atendimento": _hoje()}, visitas)
    resposta = ana.post(f"/cds/fichas/{antiga.id}/corrigir/", dados)
    assert resposta.status_code == 302, resposta.content.decode()[:2000]
    with tenant_context(m.municipio.id):
        antiga.refresh_from_db()
        nova = FichaCds.objects.get(cancelada_em__isnull=True)
        assert antiga.substituida_por_id == nova.id and antiga.cancelada_por_id == m.ana.usuario_id
        assert nova.versao == 2 and nova.uuid != antiga.uuid and nova.uuid_originadora == antiga.uuid
        assert [linha.dados.get("pesoAcompanhamentoNutricional") for linha in nova.linhas.all()] == [63.0, None]
    outbox_drenar(municipio_id=m.municipio.id, destino="sisab")
    with tenant_context(m.municipio.id):
        assert Outbox.objects.get(tipo="ficha_cds_cancelada").status == Outbox.Status.ENVIADO
    segunda_sisab = _fichas_sisab(m)
    primeira_sisab.refresh_from_db()
    assert primeira_sisab.status == FichaSisab.Status.INVALIDA  # held back, and not rebuilt
    assert primeira_sisab.erros == ["A ficha foi cancelada ou substituída por uma versão corrigida: não será enviada."]
    [corrigida] = [f for f in segunda_sisab if f.origem_id == nova.id]
    assert corrigida.status == FichaSisab.Status.VALIDA and corrigida.uuid.endswith(str(nova.uuid))
    # The old version can be neither corrected nor cancelled again.
    assert ana.post(f"/cds/fichas/{antiga.id}/corrigir/", dados).status_code == 302
    ana.post(f"/cds/fichas/{antiga.id}/cancelar/")
    with tenant_context(m.municipio.id):
        assert FichaCds.objects.count() == 2 and FichaCds.objects.filter(cancelada_em__isnull=True).count() == 1


def test_a_cancelled_ficha_never_reaches_the_ledger(m):
    _digitar(m, _visitas(m))
    with tenant_context(m.municipio.id):
        ficha = FichaCds.objects.get()
    resposta = fabricas.entrar(m.ana).post(f"/cds/fichas/{ficha.id}/cancelar/")
    assert resposta.status_code == 302
    with tenant_context(m.municipio.id):
        ficha.refresh_from_db()
        assert ficha.cancelada and ficha.substituida_por_id is None
        assert EventoAuditoria.objects.filter(evento="ficha_cds_cancelamento").exists()
    assert _fichas_sisab(m) == []
    outbox_drenar(municipio_id=m.municipio.id, destino="sisab")
    with tenant_context(m.municipio.id):
        assert Outbox.objects.get(tipo="ficha_cds_cancelada").status == Outbox.Status.ENVIADO


LISTA_CONSULTAS = 11  # with the perfis: the "Nova ficha" types include those a digitador types for others


def test_the_typing_form_and_the_list_take_a_fixed_number_of_queries(m, django_assert_num_queries):
    ana = fabricas.entrar(m.ana)
    ana.get("/cds/fichas/")  # the first request of a session also touches the session row
    with django_assert_num_queries(mundo_fichas.FORMULARIO_CONSULTAS):
        assert ana.get("/cds/fichas/nova/8/").status_code == 200
    _digitar(m, _visitas(m), cliente=ana)
    with django_assert_num_queries(LISTA_CONSULTAS):
        pagina = ana.get("/cds/fichas/")
    for _ in range(4):
        _digitar(m, _visitas(m), cliente=ana)
    with django_assert_num_queries(LISTA_CONSULTAS):
        pagina = ana.get("/cds/fichas/")
    assert pagina.content.decode().count('href="/cds/fichas/') >= 5


def test_cancelling_a_ficha_a_destination_already_accepted_tells_the_admin(m):
    """LEDI 7.2.2 has no cancellation of a visit ficha: one already sent stays sent, and the
    outbox row says why, for the administrator to correct it at the centralizer."""
    _digitar(m, _visitas(m))
    [exportada] = _fichas_sisab(m)
    destino = fabricas.destino_sisab(m.municipio)
    with tenant_context(m.municipio.id):
        EntregaSisab.objects.create(
            municipio=m.municipio, ficha=exportada, destino=destino, status=EntregaSisab.Status.ENVIADO
        )
        ficha = FichaCds.objects.get()
    fabricas.entrar(m.ana).post(f"/cds/fichas/{ficha.id}/cancelar/")
    outbox_drenar(municipio_id=m.municipio.id, destino="sisab")
    with tenant_context(m.municipio.id):
        item = Outbox.objects.get(tipo="ficha_cds_cancelada")
    assert item.status == Outbox.Status.ERRO and "no cancellation of this ficha type" in item.ultimo_erro
    exportada.refresh_from_db()
    assert exportada.status == FichaSisab.Status.VALIDA  # what was accepted is never rewritten
