"""Login gov.br: the federal OpenID Connect provider, through django-allauth.

- `config`: the installation's client (one database row, secret encrypted) turned into
  allauth's app at each request; staging, production or any issuer.
- `oidc`: allauth's OpenID Connect provider extended with what gov.br requires and allauth
  lacks: a per-request nonce sent and checked, the ID token always verified against the
  JWKS (RS256, iss, aud, exp), PKCE S256, client_secret_basic, fixed scopes.
- `acesso`: who may enter: `sub` is the CPF of an existing account with an active lotação,
  the account level (`reliability_info.level`) meets the municipality's minimum; refusals
  are audited. The access token stays in the server-side session for CADSUS; logout also
  ends the gov.br session.
- `niveis`: the bronze/prata/ouro levels and the link to raise them.
"""
