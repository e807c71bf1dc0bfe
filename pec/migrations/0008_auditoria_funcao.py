"""Appends to the audit trail go through one SECURITY DEFINER function owned by the audit role.

The app role loses INSERT on the table and gets EXECUTE on `pec_auditoria_registrar`,
which stamps what the caller must not choose: the sequence (under the chain's advisory
lock), the time, the database user and the hash (format 2, see pec.audit.canonico_v2).
A BEFORE INSERT trigger refuses rows from any other path, even the owner's; like the
append-only triggers, only disabling it gets past, and that is what verification and the
signed, exported chain heads are for.
"""

from django.conf import settings
from django.db import migrations, models
from psycopg import sql

TABLE = "pec_eventoauditoria"
ASSINATURA = "pec_auditoria_registrar(bigint,text,bigint,text,bigint,bigint,text,text,text,jsonb)"
LOCK_NAMESPACE = 0x41554449  # "AUDI": the chains' advisory locks (second key: the municipio)

# Fields in pec.audit._CAMPOS_V2 order, as (name, text value or NULL).
CANONICO = """
    campos := ARRAY[
        'municipio_id', linha.municipio_id::text,
        'sequencia', linha.sequencia::text,
        'criado_em', to_char(linha.criado_em AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'evento', linha.evento,
        'usuario_id', linha.usuario_id::text,
        'cpf_informado', linha.cpf_informado,
        'lotacao_id', linha.lotacao_id::text,
        'cidadao_id', linha.cidadao_id::text,
        'o_que', linha.o_que,
        'ip', linha.ip,
        'request_id', linha.request_id,
        'detalhes', linha.detalhes::text,
        'usuario_banco', linha.usuario_banco
    ];
    canonico := 'pec-auditoria-2';
    FOR i IN 1 .. array_length(campos, 1) BY 2 LOOP
        canonico := canonico || E'\\n' || campos[i] || CASE
            WHEN campos[i + 1] IS NULL THEN '='
            ELSE ':' || octet_length(campos[i + 1]) || ':' || campos[i + 1]
        END;
    END LOOP;
"""

FUNCAO = (
    """
CREATE FUNCTION pec_auditoria_registrar(
    p_municipio_id bigint, p_evento text, p_usuario_id bigint, p_cpf_informado text, p_lotacao_id bigint,
    p_cidadao_id bigint, p_o_que text, p_ip text, p_request_id text, p_detalhes jsonb
) RETURNS pec_eventoauditoria
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    tenant bigint := NULLIF(current_setting('app.municipio', true), '')::bigint;
    anterior record;
    linha pec_eventoauditoria;
    campos text[];
    canonico text;
BEGIN
    -- The chain is the transaction's tenant (pec.audit.chain_scope switches it for an
    -- event of another chain), and a lotação named in it is one of that municipality.
    IF p_municipio_id IS DISTINCT FROM tenant THEN
        RAISE EXCEPTION 'audit event for chain % outside the tenant of the transaction (%)',
            coalesce(p_municipio_id::text, 'instalacao'), coalesce(tenant::text, 'instalacao')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_lotacao_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pec_lotacao WHERE id = p_lotacao_id AND municipio_id = p_municipio_id
    ) THEN
        RAISE EXCEPTION 'lotacao % is not of the chain of municipio %', p_lotacao_id, coalesce(p_municipio_id::text, 'instalacao')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Held until commit: appends to one chain never fork.
    PERFORM pg_advisory_xact_lock("""
    + str(LOCK_NAMESPACE)
    + """, coalesce(p_municipio_id, 0)::integer);
    IF p_municipio_id IS NULL THEN
        SELECT sequencia, hash INTO anterior FROM pec_eventoauditoria
            WHERE municipio_id IS NULL ORDER BY sequencia DESC LIMIT 1;
    ELSE
        SELECT sequencia, hash INTO anterior FROM pec_eventoauditoria
            WHERE municipio_id = p_municipio_id ORDER BY sequencia DESC LIMIT 1;
    END IF;
    linha.municipio_id := p_municipio_id;
    linha.sequencia := coalesce(anterior.sequencia, 0) + 1;
    linha.criado_em := clock_timestamp();  -- under the lock: never backwards along a chain
    linha.evento := p_evento;
    linha.usuario_id := p_usuario_id;
    linha.cpf_informado := p_cpf_informado;
    linha.lotacao_id := p_lotacao_id;
    linha.cidadao_id := p_cidadao_id;
    linha.o_que := p_o_que;
    linha.ip := p_ip;
    linha.request_id := p_request_id;
    linha.detalhes := p_detalhes;
    linha.usuario_banco := session_user;
    linha.formato := 2;
    linha.hash_anterior := coalesce(anterior.hash, repeat('0', 64));
"""
    + CANONICO
    + """
    linha.hash := encode(sha256(convert_to(canonico || linha.hash_anterior, 'UTF8')), 'hex');
    INSERT INTO pec_eventoauditoria (
        municipio_id, sequencia, criado_em, evento, usuario_id, cpf_informado, lotacao_id, cidadao_id,
        o_que, ip, request_id, detalhes, usuario_banco, formato, hash_anterior, hash
    ) VALUES (
        linha.municipio_id, linha.sequencia, linha.criado_em, linha.evento, linha.usuario_id, linha.cpf_informado,
        linha.lotacao_id, linha.cidadao_id, linha.o_que, linha.ip, linha.request_id, linha.detalhes,
        linha.usuario_banco, linha.formato, linha.hash_anterior, linha.hash
    ) RETURNING * INTO linha;
    RETURN linha;
END
$$"""
)

SOMENTE_PELA_FUNCAO = """
CREATE FUNCTION pec_auditoria_somente_pela_funcao() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> {audit} THEN
        RAISE EXCEPTION 'pec_eventoauditoria: rows enter only through pec_auditoria_registrar (not as %)', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$"""


def _papeis() -> dict[str, sql.Identifier]:
    # Read at migration time: the role prefix is per installation (DB_ROLE_PREFIX).
    return {kind: sql.Identifier(settings.DB_ROLES[kind]["USER"]) for kind in ("app", "audit")}


def criar(apps, schema_editor):  # type: ignore[no-untyped-def]
    papeis = _papeis()
    statements = [
        sql.SQL(FUNCAO),
        sql.SQL("REVOKE ALL ON FUNCTION " + ASSINATURA + " FROM PUBLIC"),
        sql.SQL("GRANT EXECUTE ON FUNCTION " + ASSINATURA + " TO {}").format(papeis["app"]),
        sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(sql.Identifier(TABLE), papeis["audit"]),
        sql.SQL("GRANT SELECT ON pec_lotacao TO {}").format(papeis["audit"]),
        sql.SQL("ALTER FUNCTION " + ASSINATURA + " OWNER TO {}").format(papeis["audit"]),
        sql.SQL("REVOKE INSERT ON {} FROM {}").format(sql.Identifier(TABLE), papeis["app"]),
        sql.SQL(SOMENTE_PELA_FUNCAO).format(audit=sql.Literal(settings.DB_ROLES["audit"]["USER"])),
        sql.SQL(
            "CREATE TRIGGER auditoria_somente_pela_funcao BEFORE INSERT ON {} "
            "FOR EACH ROW EXECUTE FUNCTION pec_auditoria_somente_pela_funcao()"
        ).format(sql.Identifier(TABLE)),
    ]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def desfazer(apps, schema_editor):  # type: ignore[no-untyped-def]
    papeis = _papeis()
    statements = [
        sql.SQL("DROP TRIGGER IF EXISTS auditoria_somente_pela_funcao ON {}").format(sql.Identifier(TABLE)),
        sql.SQL("DROP FUNCTION IF EXISTS pec_auditoria_somente_pela_funcao()"),
        sql.SQL("DROP FUNCTION IF EXISTS " + ASSINATURA),
        sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(TABLE), papeis["audit"]),
        sql.SQL("REVOKE ALL ON pec_lotacao FROM {}").format(papeis["audit"]),
        sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(TABLE), papeis["app"]),
    ]
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("pec", "0007_cbo_cnes"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventoauditoria",
            name="usuario_banco",
            field=models.CharField(blank=True, default="", max_length=63, verbose_name="usuário do banco"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="eventoauditoria",
            name="formato",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(criar, desfazer),
    ]
