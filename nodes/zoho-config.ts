/**
 * zoho-config: the connection. Holds the credentials, owns the one Zoho client (and so the one
 * access token and concurrency limit) shared by every node that uses it, and serves the admin
 * routes behind the editor's Refresh Token button.
 */
import type { NodeAPI, Node, NodeDef } from "node-red";
import { ZohoClient, ZohoError } from "./zoho";
import { ConnectionCredentials, ConnectionSettings, createClient, normaliseSettings, validAccountsUrl } from "./common/connection";
import { ZohoConfigDef, ZohoConfigNode, clientTuning, lowCreditsThreshold } from "./common/config-node";
import { forgetDraft, registerAdminRoutes } from "./common/admin-routes";

export = function register(RED: NodeAPI): void {
  function ZohoConfig(this: ZohoConfigNode, def: ZohoConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.settings = normaliseSettings(def);
    node.setMaxListeners(0); // every node using the connection listens for "credits"
    node.lowCreditsThreshold = lowCreditsThreshold(RED);
    let client: ZohoClient | undefined;
    const clients = new Set<ZohoClient>();
    // Deployed now: a Refresh Token pressed in the dialog before this Deploy no longer needs its draft client.
    forgetDraft(node.id);

    const build = (settings: ConnectionSettings, creds: ConnectionCredentials) => {
      const built = createClient(settings, creds, {
        ...clientTuning(RED),
        onCredits: (remaining) => {
          node.creditsRemaining = remaining;
          node.emit("credits", remaining);
        },
        log: (level, message) => (level === "trace" ? node.trace(message) : node.debug(message)),
      });
      clients.add(built);
      return built;
    };

    node.getClient = () => {
      if (!validAccountsUrl(node.settings.accountsUrl)) {
        // Never send the credentials to something that is not a plain http(s) server address.
        throw new ZohoError({
          code: "INVALID_ACCOUNTS_URL",
          key: "accountsUrl",
        });
      }
      if (!client) client = build(node.settings, node.credentials ?? {});
      const { clientId, clientSecret, refreshToken } = client.tokens.credentialsPresent();
      if (!clientId || !clientSecret) throw new ZohoError({ code: "MISSING_CREDENTIALS", key: "missingCredentials" });
      if (!refreshToken) throw new ZohoError({ code: "NO_REFRESH_TOKEN", key: "noRefreshToken" });
      return client;
    };

    node.standaloneClient = () => {
      node.getClient(); // the same checks (accounts URL, credentials present)
      return createClient(node.settings, node.credentials ?? {}, { ...clientTuning(RED), log: (level, message) => (level === "trace" ? node.trace(message) : node.debug(message)) });
    };

    // Redeploy or shutdown: every call still running ends now and the connection's sockets close.
    node.on("close", (closed: () => void) => {
      for (const c of clients) c.close();
      clients.clear();
      client = undefined;
      closed();
    });
  }

  RED.nodes.registerType("zoho-config", ZohoConfig as unknown as (this: Node, def: NodeDef) => void, {
    credentials: {
      clientId: { type: "text" },
      clientSecret: { type: "password" },
      refreshToken: { type: "password" },
      apiDomain: { type: "text" },
    },
  });

  registerAdminRoutes(RED);
};
