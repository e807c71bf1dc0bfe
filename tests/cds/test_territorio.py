"""Territory records (cds/territorio): the LEDI FCD rules and PEC's household consistency
rules, each refused with a Portuguese message naming the field and nothing written; the
happy paths; and municipality B neither sees nor attaches A's territory."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from cds.models import Domicilio, Familia, Imovel, Logradouro, MembroFamilia
from cds.territorio import selectors, services
from pec.ator import Ator
from pec.models import Equipe, EventoAuditoria, Lotacao
from pec.tenancy import tenant_context
from prontuario.models import Cidadao
from tests import mundo as fabricas

pytestmark = pytest.mark.django_db

HOJE = timezone.localdate()


def ator(lotacao: Lotacao) -> Ator:
    return Ator(municipio_id=lotacao.municipio_id, lotacao=lotacao, usuario=lotacao.usuario)


@contextmanager
def recusado(municipio_id: int, campo: str, trecho: str) -> Iterator[None]:
    """The block is refused on `campo` with a message containing `trecho`, and neither a
    territory row nor an audit event was written."""

    def contagem() -> list[int]:
        modelos: list[Any] = [Logradouro, Imovel, Domicilio, Familia, MembroFamilia, EventoAuditoria]
        abertos = MembroFamilia.objects.filter(saida__isnull=True).count()
        return [m.objects.filter(municipio_id=municipio_id).count() for m in modelos] + [abertos]

    with tenant_context(municipio_id):
        antes = contagem()
    with pytest.raises(ValidationError) as exc:
        with tenant_context(municipio_id):
            yield
    mensagens = exc.value.message_dict.get(campo, [])
    assert any(trecho in m for m in mensagens), exc.value.message_dict
    with tenant_context(municipio_id):
        assert contagem() == antes


def logradouro(lot: Lotacao, **campos: Any) -> Logradouro:
    dados = {
        "tipo_dne": "81",
        "nome": "Rua das Flores",
        "cep": "30140-071",
        "bairro": "Centro",
        "municipio_ibge": "3106200",
        **campos,
    }
    with tenant_context(lot.municipio_id):
        return services.logradouro_cadastrar(ator=ator(lot), dados=dados)


def dados_imovel(rua: Logradouro, **campos: Any) -> dict[str, Any]:
    return {"logradouro": rua, "tipo": 1, "numero": "120", "microarea": "03", **campos}


def imovel(lot: Lotacao, rua: Logradouro | None = None, **campos: Any) -> Imovel:
    rua = rua or logradouro(lot)
    with tenant_context(lot.municipio_id):
        return services.imovel_cadastrar(ator=ator(lot), dados=dados_imovel(rua, **campos))


def pessoa(lot: Lotacao, nome: str = "Maria José da Silva", **campos: Any) -> Cidadao:
    return fabricas.cidadao(lot, nome=nome, cpf=fabricas.cpf(), **campos)


def familia(
    lot: Lotacao,
    casa: Imovel | None = None,
    responsavel: Cidadao | None = None,
    membros: tuple[Cidadao, ...] = (),
    **dados: Any,
) -> Familia:
    casa = casa or imovel(lot)
    responsavel = responsavel or pessoa(lot)
    with tenant_context(lot.municipio_id):
        return services.familia_cadastrar(
            ator=ator(lot), imovel=casa, responsavel=responsavel, dados=dados, membros=membros
        )


def membros_abertos(f: Familia) -> set[int]:
    with tenant_context(f.municipio_id):
        return set(MembroFamilia.objects.filter(familia=f, saida__isnull=True).values_list("cidadao_id", flat=True))


def eventos(municipio_id: int, evento: str) -> int:
    with tenant_context(municipio_id):
        return EventoAuditoria.objects.filter(municipio_id=municipio_id, evento=evento).count()


# --- happy paths ----------------------------------------------------------------------------------


def test_a_household_is_registered_with_its_conditions_family_and_members(mundo):
    alice = mundo.alice
    rua = logradouro(alice)
    assert rua.cep == "30140071"
    casa = imovel(
        alice,
        rua,
        localizacao=83,
        situacao_moradia=75,
        tipo_domicilio=85,
        tipo_acesso=89,
        material_paredes=109,
        comodos=5,
        moradores=4,
        abastecimento_agua=117,
        agua_consumo=219,
        escoamento_banheiro=122,
        destino_lixo=93,
        energia_eletrica=True,
        origem_energia=230,
        tem_animais=True,
        animais=[128, 129],
        quantos_animais=3,
        telefone_residencia="(31) 3333-4444",
        latitude="-19.91670000",
        longitude="-43.93450000",
        ponto_referencia="Perto da praça",
    )
    maria, joao, ana = pessoa(alice), pessoa(alice, "João Pedro da Silva"), pessoa(alice, "Ana Clara da Silva")
    f = familia(
        alice, casa, maria, (joao, ana), renda=3, reside_desde=datetime.date(2019, 5, 17), numero_prontuario="F0123"
    )
    assert f.reside_desde == datetime.date(2019, 5, 1)
    assert membros_abertos(f) == {maria.pk, joao.pk, ana.pk}
    with tenant_context(alice.municipio_id):
        assert f.domicilio.imovel_id == casa.pk and f.domicilio.desocupado_em is None
        assert selectors.familia_do_cidadao(ator=ator(alice), cidadao_id=joao.pk) == f
        lida = selectors.familia_obter(ator=ator(alice), familia_id=f.pk)
        assert [m.cidadao_id for m in lida.membros] == [maria.pk, joao.pk, ana.pk]
    for evento in ("logradouro_cadastro", "imovel_cadastro", "familia_cadastro"):
        assert eventos(alice.municipio_id, evento) == 1


def test_a_second_family_of_the_same_domicilio_shares_it(mundo):
    casa = imovel(mundo.alice)
    primeira, segunda = familia(mundo.alice, casa), familia(mundo.alice, casa, pessoa(mundo.alice, "Rosa Maria Souza"))
    assert primeira.domicilio_id == segunda.domicilio_id


@pytest.mark.parametrize("tipo", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 99])
def test_every_ledi_tipo_de_imovel_is_accepted(mundo, tipo):
    assert imovel(mundo.alice, tipo=tipo).tipo == tipo


def test_an_institution_records_its_technical_responsible_and_not_its_situacao(mundo):
    abrigo = imovel(
        mundo.alice,
        tipo=7,
        localizacao=83,
        abastecimento_agua=117,
        instituicao_nome="Abrigo São José",
        instituicao_responsavel_nome="Carlos Alberto Souza",
        instituicao_responsavel_telefone="31999998888",
    )
    assert abrigo.instituicao_responsavel_nome == "Carlos Alberto Souza"


def test_the_team_and_microarea_link_the_imovel_to_the_agent(mundo):
    with tenant_context(mundo.a.id):
        equipe = Equipe.objects.create(
            municipio=mundo.a, ine="0000123456", nome="ESF Centro", tipo_codigo="70", estabelecimento=mundo.ubs
        )
    casa = imovel(mundo.alice, equipe=equipe, microarea="07")
    with tenant_context(mundo.a.id):
        assert list(selectors.imoveis_da_microarea(ator=ator(mundo.alice), equipe_id=equipe.pk, microarea="07")) == [
            casa
        ]


def test_updates_write_one_event_with_the_changes_and_a_no_op_writes_none(mundo):
    casa = imovel(mundo.alice)
    with tenant_context(mundo.a.id):
        services.imovel_atualizar(ator=ator(mundo.alice), imovel=casa, dados={"complemento": "Casa 2"})
        services.imovel_atualizar(ator=ator(mundo.alice), imovel=casa, dados={"complemento": "Casa 2"})
        evento = EventoAuditoria.objects.get(evento="imovel_atualizacao")
    assert evento.detalhes["alteracoes"] == {"complemento": ["", "Casa 2"]}


# --- logradouro and imóvel rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("campos", "campo", "trecho"),
    [
        ({"cep": "3014"}, "cep", "8 dígitos"),
        ({"municipio_ibge": "9999999"}, "municipio_ibge", "desconhecido"),
        ({"nome": ""}, "nome", "vazio"),
        ({"tipo_dne": "rua"}, "tipo_dne", "código DNE"),
    ],
)
def test_logradouro_rules(mundo, campos, campo, trecho):
    dados = {
        "tipo_dne": "81",
        "nome": "Rua A",
        "cep": "30140071",
        "bairro": "Centro",
        "municipio_ibge": "3106200",
        **campos,
    }
    with recusado(mundo.a.id, campo, trecho):
        services.logradouro_cadastrar(ator=ator(mundo.alice), dados=dados)


@pytest.mark.parametrize(
    ("campos", "campo", "trecho"),
    [
        ({"numero": ""}, "numero", "sem número"),
        ({"sem_numero": True}, "numero", "deixe o número em branco"),
        ({"numero": "12-A"}, "numero", "letras e números"),
        ({"microarea": ""}, "microarea", "fora de área"),
        ({"fora_de_area": True}, "microarea", "não tem microárea"),
        ({"microarea": "3"}, "microarea", "2 dígitos"),
        ({"latitude": "-19.9"}, "longitude", "juntas"),
        ({"latitude": "-91", "longitude": "-43"}, "latitude", "-90"),
        ({"tipo": 2, "telefone_residencia": "3133334444"}, "telefone_residencia", "Domicílio"),
        ({"tipo": 2, "localizacao": 83}, "localizacao", "Comércio não tem condições de moradia"),
        ({"tipo": 99, "destino_lixo": 93}, "destino_lixo", "Outros não tem condições de moradia"),
        ({"tipo": 4, "abastecimento_agua": 117}, "abastecimento_agua", "Ponto Estratégico não tem"),
        ({"destino_lixo": 93, "situacao_moradia": 75}, "localizacao", "Informe a localização"),
        ({"localizacao": 83}, "situacao_moradia", "Informe a situação"),
        ({"tipo": 9, "localizacao": 83, "situacao_moradia": 75}, "situacao_moradia", "Unidade prisional"),
        ({"tipo": 13, "localizacao": 84, "comodos": 3}, "comodos", "CASAI"),
        ({"tipo": 8, "localizacao": 83, "material_paredes": 109}, "material_paredes", "Instituição de longa"),
        ({"localizacao": 83, "situacao_moradia": 75, "area_producao_rural": 101}, "area_producao_rural", "rural"),
        (
            {"localizacao": 84, "situacao_moradia": 75, "energia_eletrica": False, "origem_energia": 230},
            "origem_energia",
            "Sem energia",
        ),
        ({"localizacao": 84, "situacao_moradia": 75, "comodos": 0}, "comodos", "zero"),
        ({"localizacao": 84, "situacao_moradia": 999}, "situacao_moradia", "999"),
        ({"tipo": 2, "tem_animais": True}, "tem_animais", "Domicílio registra animais"),
        ({"animais": [128]}, "animais", "Marque que há animais"),
        ({"tem_animais": False, "quantos_animais": 2}, "quantos_animais", "Marque que há animais"),
        ({"tem_animais": True, "animais": [128, 129, 130], "quantos_animais": 2}, "quantos_animais", "menor"),
        ({"tem_animais": True, "animais": [128, 128]}, "animais", "uma vez"),
        ({"instituicao_nome": "Lar"}, "instituicao_nome", "não é instituição de permanência"),
        ({"tipo": 7, "instituicao_nome": "Lar"}, "instituicao_responsavel_nome", "responsável técnico"),
        (
            {
                "tipo": 7,
                "instituicao_responsavel_nome": "Carlos Souza",
                "instituicao_responsavel_cns": "123456789012345",
            },
            "instituicao_responsavel_cns",
            "CNS inválido",
        ),
        ({"recusa": True, "localizacao": 83}, "localizacao", "termo de recusa"),
        ({"recusa": True, "tem_animais": True}, "tem_animais", "termo de recusa"),
        ({"tipo": 77}, "tipo", "77"),
    ],
)
def test_imovel_rules(mundo, campos, campo, trecho):
    rua = logradouro(mundo.alice)
    with recusado(mundo.a.id, campo, trecho):
        services.imovel_cadastrar(ator=ator(mundo.alice), dados=dados_imovel(rua, **campos))


def test_an_imovel_with_families_keeps_its_type_and_room_for_its_members(mundo):
    casa = imovel(mundo.alice)
    familia(mundo.alice, casa, membros=(pessoa(mundo.alice, "João Pedro da Silva"),))
    with recusado(mundo.a.id, "tipo", "registre a mudança"):
        services.imovel_atualizar(ator=ator(mundo.alice), imovel=casa, dados={"tipo": 2})
    with recusado(mundo.a.id, "moradores", "2 membros"):
        services.imovel_atualizar(
            ator=ator(mundo.alice), imovel=casa, dados={"localizacao": 83, "situacao_moradia": 75, "moradores": 1}
        )


# --- família rules ---------------------------------------------------------------------------------


def test_a_dead_responsavel_is_refused(mundo):
    casa, maria = imovel(mundo.alice), pessoa(mundo.alice)
    with tenant_context(mundo.a.id):
        Cidadao.objects.filter(pk=maria.pk).update(data_obito=HOJE)
    with recusado(mundo.a.id, "responsavel", "óbito registrado"):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=casa, responsavel=maria, dados={})


def test_a_merged_record_cannot_head_a_family(mundo):
    casa, maria = imovel(mundo.alice), pessoa(mundo.alice)
    with tenant_context(mundo.a.id):
        Cidadao.objects.filter(pk=maria.pk).update(ativo=False)
    with recusado(mundo.a.id, "responsavel", "unificado"):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=casa, responsavel=maria, dados={})


def test_a_responsavel_without_cpf_or_cns_is_refused(mundo):
    casa, sem_documento = imovel(mundo.alice), fabricas.cidadao(mundo.alice, nome="Pedro Paulo Lima")
    with recusado(mundo.a.id, "responsavel", "CPF ou CNS"):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=casa, responsavel=sem_documento, dados={})


def test_one_domicilio_per_responsavel(mundo):
    maria = pessoa(mundo.alice)
    familia(mundo.alice, responsavel=maria)
    outra_casa = imovel(mundo.alice)
    with recusado(mundo.a.id, "responsavel", "já é responsável por outra família"):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=outra_casa, responsavel=maria, dados={})


def test_a_member_of_another_family_cannot_head_one_or_join_one(mundo):
    joao = pessoa(mundo.alice, "João Pedro da Silva")
    familia(mundo.alice, membros=(joao,))
    outra_casa, rosa = imovel(mundo.alice), pessoa(mundo.alice, "Rosa Maria Souza")
    with recusado(mundo.a.id, "responsavel", "membro de outra família"):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=outra_casa, responsavel=joao, dados={})
    with recusado(mundo.a.id, "membros", "membro de outra família"):
        services.familia_cadastrar(
            ator=ator(mundo.alice), imovel=outra_casa, responsavel=rosa, dados={}, membros=[joao]
        )
    nova = familia(mundo.alice, outra_casa, rosa)
    with recusado(mundo.a.id, "cidadao", "membro de outra família"):
        services.familia_incluir_membro(ator=ator(mundo.alice), familia=nova, cidadao=joao)


@pytest.mark.parametrize(
    ("campos", "campo", "trecho"),
    [
        ({"tipo": 2}, "imovel", "Só um imóvel do tipo Domicílio tem famílias"),
        ({"recusa": True}, "imovel", "termo de recusa"),
    ],
)
def test_only_a_domicilio_without_recusa_has_families(mundo, campos, campo, trecho):
    casa, maria = imovel(mundo.alice, **campos), pessoa(mundo.alice)
    with recusado(mundo.a.id, campo, trecho):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=casa, responsavel=maria, dados={})


@pytest.mark.parametrize(
    ("dados", "campo", "trecho"),
    [
        ({"reside_desde": HOJE + datetime.timedelta(days=40)}, "reside_desde", "posterior ao mês atual"),
        ({"renda": 9}, "renda", "9"),
        ({"numero_prontuario": "F-01"}, "numero_prontuario", "letras e números"),
    ],
)
def test_family_fields_follow_ledi(mundo, dados, campo, trecho):
    casa, maria = imovel(mundo.alice), pessoa(mundo.alice)
    with recusado(mundo.a.id, campo, trecho):
        services.familia_cadastrar(ator=ator(mundo.alice), imovel=casa, responsavel=maria, dados=dados)


def test_the_new_responsavel_must_live_there(mundo):
    maria, joao = pessoa(mundo.alice), pessoa(mundo.alice, "João Pedro da Silva")
    f = familia(mundo.alice, responsavel=maria)
    with recusado(mundo.a.id, "responsavel", "inclua-o como membro"):
        services.familia_trocar_responsavel(ator=ator(mundo.alice), familia=f, responsavel=joao)
    with tenant_context(mundo.a.id):
        services.familia_incluir_membro(ator=ator(mundo.alice), familia=f, cidadao=joao)
        services.familia_trocar_responsavel(ator=ator(mundo.alice), familia=f, responsavel=joao)
        f.refresh_from_db()
    assert f.responsavel_id == joao.pk and membros_abertos(f) == {maria.pk, joao.pk}


def test_a_member_leaves_but_the_responsavel_does_not(mundo):
    maria, joao = pessoa(mundo.alice), pessoa(mundo.alice, "João Pedro da Silva")
    f = familia(mundo.alice, responsavel=maria, membros=(joao,))
    with recusado(mundo.a.id, "cidadao", "O responsável não sai"):
        services.familia_retirar_membro(ator=ator(mundo.alice), familia=f, cidadao=maria, saida=HOJE)
    with recusado(mundo.a.id, "saida", "anterior a"):
        services.familia_retirar_membro(
            ator=ator(mundo.alice), familia=f, cidadao=joao, saida=HOJE - datetime.timedelta(days=1)
        )
    with tenant_context(mundo.a.id):
        services.familia_retirar_membro(ator=ator(mundo.alice), familia=f, cidadao=joao, saida=HOJE)
    assert membros_abertos(f) == {maria.pk}
    familia(mundo.alice, membros=(joao,))  # free to join another family now


def test_moving_out_closes_every_membership_and_empties_the_domicilio(mundo):
    maria, joao = pessoa(mundo.alice), pessoa(mundo.alice, "João Pedro da Silva")
    f = familia(mundo.alice, responsavel=maria, membros=(joao,), reside_desde=datetime.date(2020, 1, 1))
    with recusado(mundo.a.id, "data_mudanca", "posterior a hoje"):
        services.familia_registrar_mudanca(ator=ator(mundo.alice), familia=f, data=HOJE + datetime.timedelta(days=1))
    with recusado(mundo.a.id, "data_mudanca", "anterior a 01/01/2020"):
        services.familia_registrar_mudanca(ator=ator(mundo.alice), familia=f, data=datetime.date(2019, 12, 31))
    with tenant_context(mundo.a.id):
        services.familia_registrar_mudanca(ator=ator(mundo.alice), familia=f, data=HOJE)
        f.refresh_from_db()
        assert f.domicilio.desocupado_em == HOJE
        assert MembroFamilia.objects.filter(familia=f).values_list("saida", flat=True).distinct().get() == HOJE
    assert membros_abertos(f) == set()
    with recusado(mundo.a.id, "familia", "se mudou"):
        services.familia_atualizar(ator=ator(mundo.alice), familia=f, dados={"renda": 3})
    with tenant_context(mundo.a.id):
        casa = f.domicilio.imovel
    nova = familia(mundo.alice, casa, maria, (joao,))  # both free again; a new domicílio opens
    assert nova.domicilio_id != f.domicilio_id


def test_members_beyond_the_declared_residents_are_refused(mundo):
    casa = imovel(mundo.alice, localizacao=83, situacao_moradia=75, moradores=1)
    f = familia(mundo.alice, casa)
    with recusado(mundo.a.id, "membros", "declara 1 moradores e já tem 1"):
        services.familia_cadastrar(
            ator=ator(mundo.alice), imovel=casa, responsavel=pessoa(mundo.alice, "Rosa Maria Souza"), dados={}
        )
    with recusado(mundo.a.id, "cidadao", "declara 1 moradores"):
        services.familia_incluir_membro(
            ator=ator(mundo.alice), familia=f, cidadao=pessoa(mundo.alice, "Rosa Maria Souza")
        )


def test_inconsistent_families_are_listed_with_the_reason(mundo):
    maria = pessoa(mundo.alice)
    f = familia(mundo.alice, responsavel=maria)
    familia(mundo.alice)  # consistent, not listed
    with tenant_context(mundo.a.id):
        Cidadao.objects.filter(pk=maria.pk).update(data_obito=HOJE)
        achadas = selectors.familias_inconsistentes(ator=ator(mundo.alice))
    assert [(i.familia.pk, i.motivo) for i in achadas] == [(f.pk, "O responsável tem óbito registrado.")]


# --- another municipality ------------------------------------------------------------------------------


def test_another_municipality_cannot_attach_a_citizen_logradouro_or_team(mundo):
    maria = pessoa(mundo.alice)
    rua = logradouro(mundo.alice)
    with tenant_context(mundo.a.id):
        equipe = Equipe.objects.create(
            municipio=mundo.a, ine="0000123456", nome="ESF Centro", tipo_codigo="70", estabelecimento=mundo.ubs
        )
    charlie = ator(mundo.charlie)
    rua_b = logradouro(mundo.charlie)
    with recusado(mundo.b.id, "logradouro", "outro município"):
        services.imovel_cadastrar(ator=charlie, dados=dados_imovel(rua))
    with recusado(mundo.b.id, "equipe", "outro município"):
        services.imovel_cadastrar(ator=charlie, dados=dados_imovel(rua_b, equipe=equipe))
    casa_b = imovel(mundo.charlie, rua_b)
    with recusado(mundo.b.id, "responsavel", "não encontrado neste município"):
        services.familia_cadastrar(ator=charlie, imovel=casa_b, responsavel=maria, dados={})
    casa_a = imovel(mundo.alice, rua)
    with recusado(mundo.b.id, "imovel", "não encontrado neste município"):
        services.familia_cadastrar(ator=charlie, imovel=casa_a, responsavel=pessoa(mundo.charlie), dados={})


def test_another_municipality_gets_404_and_sees_no_rows(mundo):
    maria = pessoa(mundo.alice)
    f = familia(mundo.alice, responsavel=maria)
    casa = f.domicilio.imovel
    charlie = ator(mundo.charlie)
    with tenant_context(mundo.b.id):
        for ler in (
            lambda: selectors.familia_obter(ator=charlie, familia_id=f.pk),
            lambda: selectors.imovel_obter(ator=charlie, imovel_id=casa.pk),
            lambda: selectors.logradouro_obter(ator=charlie, logradouro_id=casa.logradouro_id),
        ):
            with pytest.raises(Http404):
                ler()
        assert selectors.familia_do_cidadao(ator=charlie, cidadao_id=maria.pk) is None
        assert list(selectors.logradouros_buscar(ator=charlie)) == []
        # Row-level security, without the selectors' filter:
        for modelo in (Logradouro, Imovel, Domicilio, Familia, MembroFamilia):
            assert not modelo.objects.exists(), modelo
        updated = Familia.objects.filter(pk=f.pk).update(renda=1)
    assert updated == 0
    with tenant_context(mundo.a.id):
        assert selectors.familia_obter(ator=ator(mundo.alice), familia_id=f.pk).familia.renda is None


def test_an_update_of_another_municipality_object_is_refused_before_sql(mundo):
    f = familia(mundo.alice)
    with tenant_context(mundo.b.id), pytest.raises(AssertionError):
        services.familia_atualizar(ator=ator(mundo.charlie), familia=f, dados={"renda": 1})


@pytest.mark.django_db(databases=["default", "owner"])
def test_no_model_change_is_left_without_a_migration():
    call_command("makemigrations", "cds", check=True, dry_run=True, verbosity=0)


def test_the_database_refuses_a_second_open_membership_when_the_check_is_raced(mundo, monkeypatch):
    """Two requests can both pass the check before either writes: the partial unique index
    then refuses the second with the same message, and its family is not half-written."""
    joao = pessoa(mundo.alice, "João Pedro da Silva")
    familia(mundo.alice, membros=(joao,))
    outra_casa, rosa = imovel(mundo.alice), pessoa(mundo.alice, "Rosa Maria Souza")
    monkeypatch.setattr(services, "_pode_entrar", lambda *args, **kwargs: None)
    with recusado(mundo.a.id, "cidadao", "já é membro de outra família"):
        services.familia_cadastrar(
            ator=ator(mundo.alice), imovel=outra_casa, responsavel=rosa, dados={}, membros=[joao]
        )


def test_merging_two_citizens_who_each_live_in_a_family_is_refused_with_a_message(mundo):
    from prontuario.cadastro.services import cidadao_unificar

    maria, maria_de_novo = pessoa(mundo.alice), pessoa(mundo.alice)
    familia(mundo.alice, responsavel=maria)
    familia(mundo.alice, responsavel=maria_de_novo)
    with tenant_context(mundo.a.id), pytest.raises(ValidationError, match="resolva-os antes de unificar"):
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=maria, unificado=maria_de_novo)


def test_merging_moves_the_membership_to_the_surviving_record(mundo):
    from prontuario.cadastro.services import cidadao_unificar

    maria, joao, joao_de_novo = (
        pessoa(mundo.alice),
        pessoa(mundo.alice, "João Pedro"),
        pessoa(mundo.alice, "João Pedro"),
    )
    f = familia(mundo.alice, responsavel=maria, membros=(joao_de_novo,))
    with tenant_context(mundo.a.id):
        cidadao_unificar(lotacao=mundo.alice, sobrevivente=joao, unificado=joao_de_novo)
        assert selectors.familia_do_cidadao(ator=ator(mundo.alice), cidadao_id=joao.pk) == f


def test_a_change_to_the_imovel_or_its_families_bumps_its_version_and_names_the_lotacao(mundo):
    casa = imovel(mundo.alice)
    assert (casa.versao, casa.atualizado_por_id) == (1, mundo.alice.pk)
    f = familia(mundo.alice, casa)
    with tenant_context(mundo.a.id):
        casa.refresh_from_db()
        assert casa.versao == 2
        services.imovel_atualizar(ator=ator(mundo.alice), imovel=casa, dados={"complemento": "Casa 2"})
        services.familia_atualizar(ator=ator(mundo.alice), familia=f, dados={"renda": 3})
        services.imovel_atualizar(ator=ator(mundo.alice), imovel=casa, dados={"complemento": "Casa 2"})  # no-op
        services.familia_atualizar(ator=Ator(municipio_id=mundo.a.id), familia=f, dados={"renda": 4})
        casa.refresh_from_db()
    assert (casa.versao, casa.atualizado_por_id) == (5, mundo.alice.pk)  # the system keeps who typed it
