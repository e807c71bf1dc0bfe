// A real OpenID Connect provider (panva/oidc-provider) shaped like Login gov.br, for the
// end-to-end tests in tests/pec/test_govbr.py. Never for production.
//
// gov.br's shape (docs/integracoes/govbr.md): authorization code with PKCE S256 required,
// client_secret_basic, RS256 ID tokens, sub = preferred_username = CPF, and with the
// scope govbr_confiabilidades_idtoken the claim reliability_info {level, reliabilities}
// in the ID token. RP-initiated logout with post_logout_redirect_uri.
//
// The login page asks for the CPF (it becomes `sub`) and the account level, so each test
// picks its person. Ticking "nonce adulterado" makes the next ID token for that CPF carry
// another nonce, signed with the provider's real key: what a replayed or injected token
// looks like to the client.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI.
// Prints "ready <issuer>" on stdout when listening.

import { createServer } from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing ${name}`);
  return value;
};
const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const kid = 'pec-teste';
const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };

const NIVEIS = { bronze: 'bronze', prata: 'silver', ouro: 'gold' };
const contas = new Map(); // CPF -> { nivel }
const nonceAdulterado = new Set(); // CPFs whose next ID token gets a wrong nonce

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: [env('REDIRECT_URI')],
    post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI')],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'govbr_confiabilidades', 'govbr_confiabilidades_idtoken'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    govbr_confiabilidades_idtoken: ['reliability_info'],
  },
  // gov.br puts the scope's claims in the ID token too (reliability_info above all).
  conformIdTokenClaims: false,
  ttl: { IdToken: 60 },
  cookies: { keys: ['somente-para-testes'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // No confirmation page: the form posts itself, as gov.br's logout does not ask.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!DOCTYPE html><html><head><title>Saindo</title></head><body>${form}
          <script>document.forms[0].submit()</script></body></html>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = '<!DOCTYPE html><html><head><title>Saiu</title></head><body>Saiu do provedor.</body></html>';
      },
    },
  },
  findAccount: async (ctx, sub) => {
    const conta = contas.get(sub);
    if (!conta) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        preferred_username: sub,
        name: `Pessoa ${sub}`,
        email: `${sub}@teste.invalid`,
        email_verified: true,
        reliability_info: {
          level: NIVEIS[conta.nivel],
          reliabilities: [{ id: conta.nivel === 'ouro' ? 'certificado_digital' : 'cadastro_basico', updatedAt: new Date().toISOString() }],
        },
      }),
    };
  },
});

const lerFormulario = async (req) => {
  let corpo = '';
  for await (const parte of req) corpo += parte;
  return new URLSearchParams(corpo);
};

const escapar = (texto) => String(texto).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The interaction: one page with CPF, level and the nonce switch; consent is implied.
provider.use(async (ctx, next) => {
  const rota = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!rota) return next();
  const { uid, prompt, params } = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="pt-BR"><head><title>gov.br de teste</title></head><body>
      <h1>Identifique-se no gov.br (teste)</h1>
      <form method="post" action="/interaction/${escapar(uid)}">
        <label>CPF <input name="cpf" id="cpf" required></label>
        <label>Nível <select name="nivel" id="nivel">
          <option value="bronze">bronze</option><option value="prata">prata</option>
          <option value="ouro" selected>ouro</option></select></label>
        <label><input type="checkbox" name="nonce_adulterado" id="nonce_adulterado"> nonce adulterado</label>
        <button type="submit" id="entrar">Entrar</button>
      </form></body></html>`;
    return undefined;
  }
  const form = await lerFormulario(ctx.req);
  const cpf = (form.get('cpf') || '').replace(/\D/g, '');
  contas.set(cpf, { nivel: form.get('nivel') || 'ouro' });
  if (form.get('nonce_adulterado')) nonceAdulterado.add(cpf);
  const grant = new provider.Grant({ accountId: cpf, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  const resultado = { login: { accountId: cpf }, consent: { grantId: await grant.save() } };
  if (prompt.name !== 'login') delete resultado.login;
  const destino = await provider.interactionResult(ctx.req, ctx.res, resultado, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(destino);
  return undefined;
});

// The tampered nonce: re-sign the token endpoint's ID token with another nonce.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body || !ctx.body.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  if (!nonceAdulterado.delete(claims.sub)) return;
  ctx.body.id_token = await new jose.SignJWT({ ...claims, nonce: `adulterado-${claims.nonce}` })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .sign(privateKey);
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
