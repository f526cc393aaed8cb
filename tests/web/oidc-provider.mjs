// A real OpenID provider for the sign-in test: panva's oidc-provider (an OpenID-certified
// implementation) with its development login form, one confidential client (bomiljo) and three
// people: an analyst, an administrator and someone with no bomiljo role. Started by
// scripts/web-test.sh with OIDC_PORT and OIDC_REDIRECT (bomiljo's /auth/callback).
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const people = {
  analytiker: { name: 'Ada Analytiker', email: 'ada@bydel.example', roles: ['bomiljo-analyst'] },
  admin: { name: 'Alf Admin', email: 'alf@bydel.example', roles: ['bomiljo-admin', 'bomiljo-analyst'] },
  ingen: { name: 'Ingrid Ingen', email: 'ingrid@bydel.example', roles: ['ansatt'] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'bomiljo',
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  scopes: ['openid', 'profile', 'email', 'roles'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'], roles: ['roles'] },
  // The claims of the granted scopes go into the ID token, as Entra ID puts app roles there.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const person = people[id] ?? { name: id, roles: [] };
    return { accountId: id, claims: async () => ({ sub: id, ...person }) };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider: listening on http://127.0.0.1:${port}`));
