// node-oidc-provider (panva), configured like our provider for scripts/bench_oidc.py.
//
// scripts/bench_oidc.py copies this file next to the oidc-provider it installs in a scratch folder
// and runs it pinned to the same core as our server. Configuration arrives as JSON in BENCH_CONFIG.
//
// What it does per request, as configured here (its defaults unless said otherwise):
// * access tokens: opaque, kept in its in-memory adapter (the default), RS256 ID tokens;
// * refresh tokens: opaque, in memory, rotated on every use (rotateRefreshToken: true, as ours);
// * PKCE required, client_secret_basic, public subjects.
// The memory adapter is node-oidc-provider's own; only its LRU is enlarged so that the codes and
// refresh tokens minted before a measurement are not evicted before they are used.
//
// A second listener (BENCH_CONFIG.admin_port) mints codes, refresh tokens and an access token
// through the provider's own models, before each measurement, exactly as its grants store them.

import http from 'node:http';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const config = JSON.parse(process.env.BENCH_CONFIG);
// The default adapter's own class over a store that holds every pre-minted entry (the default holds 1000).
const store = new LRU({ maxSize: 10_000_000 });

const profile = config.profile;

const provider = new Provider(config.issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [
    {
      client_id: config.portal.client_id,
      client_secret: config.portal.client_secret,
      redirect_uris: [config.portal.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    {
      client_id: config.backend.client_id,
      client_secret: config.backend.client_secret,
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [config.rsa_jwk] },
  cookies: { keys: [config.cookie_key] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: Object.keys(profile) },
  scopes: ['openid', 'profile'],
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 600,
    ClientCredentials: 600,
    IdToken: 3600,
    RefreshToken: 4 * 3600,
    Grant: 12 * 3600,
    Session: 12 * 3600,
    Interaction: 3600,
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, ...profile }),
  }),
});

async function grantFor(accountId) {
  const grant = new provider.Grant({ accountId, clientId: config.portal.client_id });
  grant.addOIDCScope('openid profile');
  return grant.save();
}

async function mint(kind, count) {
  const client = await provider.Client.find(config.portal.client_id);
  const authTime = Math.floor(Date.now() / 1000);
  const values = [];
  for (let i = 0; i < count; i += 1) {
    const grantId = await grantFor(config.account_id);
    const common = {
      accountId: config.account_id, client, grantId, scope: 'openid profile', authTime, acr: 'urn:vn:eid:acr:pwd', amr: ['pwd'],
    };
    if (kind === 'codes') {
      values.push(await new provider.AuthorizationCode({
        ...common,
        redirectUri: config.portal.redirect_uri,
        codeChallenge: config.code_challenge,
        codeChallengeMethod: 'S256',
        nonce: `n-${i}-${authTime}`,
      }).save());
    } else if (kind === 'refresh') {
      values.push(await new provider.RefreshToken({ ...common, gty: 'authorization_code', rotations: 0 }).save());
    } else {
      values.push(await new provider.AccessToken({ ...common, gty: 'authorization_code' }).save());
    }
  }
  return values;
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://admin');
  try {
    const values = await mint(url.pathname.slice(1), Number(url.searchParams.get('n') || 1));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(values));
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error.stack));
  }
}).listen(config.admin_port, '127.0.0.1');

provider.listen(config.port, '127.0.0.1');
