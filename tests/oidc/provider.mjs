// A real OpenID Connect provider for tests/sso.rs: panva's oidc-provider
// (OpenID Certified), on 127.0.0.1 at a free port. Quorate is the relying
// party; nothing here is Quorate's code.
//
//   node provider.mjs '<JSON settings>'
//
// Settings: clients (as oidc-provider takes them), accounts (sub → claims),
// idTokenTtl (client_id → seconds). Prints "READY <issuer>" once serving.
// Sign-in is not interactive: the account is the request's login_hint, or
// `defaultAccountFor[client_id]`, or `defaultAccount`; an unknown one is
// refused with access_denied.
// GET /__test/logouts counts sessions ended by RP-initiated logout.
// POST /__test/tamper {client_id, claims?, alg?, kid?} makes the next ID
// token issued to that client carry other claims or another signature, so
// tests can send real, well-formed, wrong tokens down the real HTTP path.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { SignJWT, importJWK, decodeJwt } from 'jose';

const settings = JSON.parse(process.argv[2] || '{}');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const accounts = settings.accounts || {};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: settings.clients,
    jwks: { keys: [{ ...rsa, kid: 'rsa1', use: 'sig', alg: 'RS256' }, { ...ec, kid: 'ec1', use: 'sig', alg: 'ES256' }] },
    cookies: { keys: ['quorate-test-provider-cookie-key'] },
    pkce: { required: () => true },
    // Scope claims (email) in the ID token, as Entra ID and CIS2 put them.
    conformIdTokenClaims: false,
    // CIS2's organisation claims come from its user info, by these scopes.
    claims: {
      openid: ['sub', 'oid', 'tid', 'acr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'],
      associatedorgs: ['nhsid_user_orgs'], nationalrbacaccess: ['nhsid_nrbac_roles'],
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256', 'HS256'] },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is never asked: every client is granted what it asks for.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...(ctx.oidc.requestParamScopes || ['openid'])].join(' '));
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'oid', 'tid', 'acr', 'auth_time', 'nhsid_user_orgs', 'nhsid_nrbac_roles']);
      await grant.save();
      return grant;
    },
    async findAccount(ctx, sub) {
      const claims = accounts[sub];
      if (!claims) return undefined;
      return { accountId: sub, async claims() { return { sub, ...claims }; } };
    },
    ttl: {
      IdToken: (ctx, token, client) => settings.idTokenTtl?.[client.clientId] ?? 3600,
      AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600,
    },
  });
  provider.use(async (ctx, next) => {
    const interaction = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (interaction && ctx.method === 'GET') {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const account = details.params.login_hint || settings.defaultAccountFor?.[details.params.client_id] || settings.defaultAccount;
      if (!accounts[account]) {
        return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'no such test account' }, { mergeWithLastSubmission: false });
      }
      const acr = accounts[account].acr || details.params.acr_values?.split(' ')[0] || 'urn:test:password';
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account, acr, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
    }
    return next();
  });
  // GET /__test/logouts: how many sessions RP-initiated logout has ended.
  let logouts = 0;
  provider.on('end_session.success', () => { logouts += 1; });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/logouts' && ctx.method === 'GET') {
      ctx.body = { logouts };
      return;
    }
    return next();
  });
  const tampering = new Map();
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
      let raw = '';
      for await (const chunk of ctx.req) raw += chunk;
      const order = JSON.parse(raw);
      tampering.set(order.client_id, order);
      ctx.status = 204;
      return;
    }
    await next();
    const order = ctx.oidc?.route === 'token' && ctx.body?.id_token && tampering.get(ctx.oidc.client?.clientId);
    if (order) {
      tampering.delete(ctx.oidc.client.clientId);
      const claims = { ...decodeJwt(ctx.body.id_token), ...(order.claims || {}) };
      const alg = order.alg || 'RS256';
      const key = alg === 'HS256' ? new TextEncoder().encode(ctx.oidc.client.clientSecret) : await importJWK(alg === 'ES256' ? ec : rsa, alg);
      const kid = order.kid ?? (alg === 'ES256' ? 'ec1' : 'rsa1');
      ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader({ alg, kid }).sign(key) };
    }
  });
  for (const event of ['grant.error', 'server_error', 'authorization.error']) {
    provider.on(event, (ctx, err) => console.error(event, err.message, err.error_detail || ''));
  }
  server.on('request', provider.callback());
  console.log(`READY ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
