/**
 * zoho-config: the connection. Holds the credentials, owns the one Zoho client (and so the one
 * access token and concurrency limit) shared by every node that uses it, and serves the admin
 * routes behind the editor's Refresh Token button.
 */
import type { NodeAPI, Node, NodeDef } from "node-red";
import { ZohoClient, ZohoError } from "./zoho";
import { ConnectionCredentials, ConnectionSettings, createClient, normaliseSettings } from "./common/connection";
import { ZohoConfigDef, ZohoConfigNode, clientTuning } from "./common/config-node";
import { registerAdminRoutes } from "./common/admin-routes";

export = function register(RED: NodeAPI): void {
  function ZohoConfig(this: ZohoConfigNode, def: ZohoConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.settings = normaliseSettings(def);
    let client: ZohoClient | undefined;

    const build = (settings: ConnectionSettings, creds: ConnectionCredentials) =>
      createClient(settings, creds, {
        ...clientTuning(RED),
        onCredits: (remaining) => {
          node.creditsRemaining = remaining;
          node.emit("credits", remaining);
        },
      });

    node.getClient = () => {
      if (!client) client = build(node.settings, node.credentials ?? {});
      const { clientId, clientSecret, refreshToken } = client.tokens.credentialsPresent();
      if (!clientId || !clientSecret) throw new ZohoError({ code: "MISSING_CREDENTIALS", message: "Client ID or Client Secret is missing" });
      if (!refreshToken) throw new ZohoError({ code: "NO_REFRESH_TOKEN", message: "no refresh token stored" });
      return client;
    };

    node.useCredentials = (settings, creds) => {
      node.settings = settings;
      node.credentials = { ...creds };
      client = build(settings, creds);
    };
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
