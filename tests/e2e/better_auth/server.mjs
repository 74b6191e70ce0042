// A real Better Auth as the OAuth 2.1 authorization server of an MCP connector, for
// tests/e2e/test_mcp_oauth_connector.py: email and password sign-in, the JWT plugin
// (EdDSA keys at /api/auth/jwks) and the OAuth provider plugin (dynamic client
// registration, PKCE, access tokens bound to the Tasks API's /mcp as their audience).
// SQLite storage in a file the test names; listens on loopback only.
//
//   PORT, DB_FILE, MCP_RESOURCE, BETTER_AUTH_SECRET, USER_EMAIL, USER_PASSWORD
import http from "node:http";

import { oauthProvider, oauthProviderAuthServerMetadata } from "@better-auth/oauth-provider";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";
import Database from "better-sqlite3";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const origin = `http://127.0.0.1:${env("PORT")}`;
const resource = env("MCP_RESOURCE");

const options = {
  baseURL: origin,
  secret: env("BETTER_AUTH_SECRET"),
  database: new Database(env("DB_FILE")),
  emailAndPassword: { enabled: true },
  // The OAuth provider's own token endpoint replaces the JWT plugin's /token.
  disabledPaths: ["/token"],
  plugins: [
    // The issuer the Tasks API checks (AUTH_JWT_ISSUER): the app's origin, as in docs/frontend.md.
    jwt({ jwt: { issuer: origin } }),
    oauthProvider({
      loginPage: "/sign-in",
      consentPage: "/consent",
      scopes: ["openid", "profile", "email", "offline_access"],
      // MCP clients register themselves (RFC 7591) and then sign the user in.
      allowDynamicClientRegistration: true,
      allowUnauthenticatedClientRegistration: true,
      // The Tasks API's MCP endpoint: tokens asked for it (RFC 8707) carry it as `aud`.
      resources: [resource],
      clientRegistrationDefaultResources: [resource],
    }),
  ],
};

const auth = betterAuth(options);
const { runMigrations } = await getMigrations(options);
await runMigrations();
await auth.api.signUpEmail({
  body: { email: env("USER_EMAIL"), password: env("USER_PASSWORD"), name: "Dana" },
});

const authServerMetadata = oauthProviderAuthServerMetadata(auth);
const handler = toNodeHandler(auth);

const server = http.createServer(async (request, response) => {
  // RFC 8414 metadata at the root, for the issuer `origin` (Better Auth serves it under
  // /api/auth too).
  if (request.url === "/.well-known/oauth-authorization-server") {
    const answer = await authServerMetadata(new Request(origin + request.url));
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    response.end(await answer.text());
    return;
  }
  handler(request, response);
});
server.listen(Number(env("PORT")), "127.0.0.1", () => console.log(`ready ${origin}`));
