/**
 * Admin HTTP routes of the zoho-config node (mounted under Node-RED's httpAdminRoot).
 * POST zoho-config/:id/refresh-token  (zoho-config.write): exchange a grant token, store the refresh token.
 * Responses carry non-secret facts only; tokens and the client secret never leave the runtime.
 */
import type { NodeAPI } from "node-red";
import type { Request, Response } from "express";
import { ZohoError, accountsBaseUrl, exchangeGrantToken, resolveApiBase } from "../zoho";
import { ConnectionCredentials, ConnectionSettings, normaliseSettings, resolveCredential, validAccountsUrl } from "./connection";
import type { ZohoConfigNode } from "./config-node";

/** What the editor sends for a password field it has a stored value for. */
export const PASSWORD_PLACEHOLDER = "__PWRD__";

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function registerAdminRoutes(RED: NodeAPI): void {
  RED.httpAdmin.post("/zoho-config/:id/refresh-token", RED.auth.needsPermission("zoho-config.write"), (req: Request, res: Response) => {
    handleRefreshToken(RED, req, res).catch((err) => {
      RED.log.warn(`zoho-config: refresh-token route failed: ${err instanceof Error ? err.message : "unknown error"}`);
      if (!res.headersSent) res.status(500).json({ error: "internal_error", message: "Unexpected error" });
    });
  });
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === "string" ? v.trim() : undefined;
}

/** A field from the dialog, or the stored credential when the dialog sent nothing or the placeholder. */
function pick(body: Record<string, unknown>, saved: ConnectionCredentials, key: "clientId" | "clientSecret"): string {
  const sent = stringField(body, key);
  if (sent && sent !== PASSWORD_PLACEHOLDER) return resolveCredential(sent, key);
  return resolveCredential(saved[key], key);
}

async function handleRefreshToken(RED: NodeAPI, req: Request, res: Response): Promise<void> {
  if (!req.is("application/json")) {
    res.status(415).json({ error: "unsupported_media_type", message: "Send the fields as JSON (Content-Type: application/json)" });
    return;
  }
  const id = String(req.params.id ?? "");
  if (!NODE_ID.test(id)) {
    res.status(400).json({ error: "invalid_id", message: "Invalid node id" });
    return;
  }
  const body = (req.body && typeof req.body === "object" ? req.body : {}) as Record<string, unknown>;
  const saved = ((RED.nodes.getCredentials(id) as ConnectionCredentials | undefined) ?? {}) as ConnectionCredentials;
  const deployed = RED.nodes.getNode(id) as ZohoConfigNode | null;

  const clientId = pick(body, saved, "clientId");
  const clientSecret = pick(body, saved, "clientSecret");
  const grantToken = stringField(body, "grantToken") ?? "";
  const settings: ConnectionSettings = normaliseSettings({
    dataCenter: body.dataCenter ?? deployed?.settings.dataCenter,
    environment: body.environment ?? deployed?.settings.environment,
    accountsUrl: typeof body.accountsUrl === "string" ? body.accountsUrl : deployed?.settings.accountsUrl,
    concurrency: body.concurrency ?? deployed?.settings.concurrency,
  });

  const missing = [!clientId && "Client ID", !clientSecret && "Client Secret", !grantToken && "Grant Token"].filter(Boolean);
  if (missing.length) {
    res.status(400).json({ error: "missing_fields", fields: missing, message: `Fill in: ${missing.join(", ")}` });
    return;
  }
  if (grantToken === PASSWORD_PLACEHOLDER || grantToken.length > 1024) {
    res.status(400).json({ error: "invalid_grant_token", message: "Paste the grant token generated in the Zoho API console" });
    return;
  }
  if (!validAccountsUrl(settings.accountsUrl)) {
    res.status(400).json({ error: "invalid_accounts_url", message: "The accounts URL must be an absolute http(s) URL such as https://accounts.zoho.eu" });
    return;
  }

  try {
    const grant = await exchangeGrantToken({
      accountsUrl: accountsBaseUrl(settings.dataCenter, settings.accountsUrl),
      clientId,
      clientSecret,
      grantToken,
    });
    // Check where the API calls would go before keeping anything.
    const apiBase = resolveApiBase(grant.apiDomain, settings.environment, settings.accountsUrl !== "");
    const merged: ConnectionCredentials = {
      ...saved,
      // Keep what the user typed (an ${ENV} reference stays a reference).
      clientId: rawOrSaved(body, saved, "clientId"),
      clientSecret: rawOrSaved(body, saved, "clientSecret"),
      refreshToken: grant.refreshToken,
      apiDomain: grant.apiDomain,
    };
    await RED.nodes.addCredentials(id, merged);
    deployed?.useCredentials(settings, merged);
    RED.log.info(`zoho-config ${id}: refresh token stored (API domain ${apiBase})`);
    res.json({ apiDomain: apiBase, scope: grant.scope ?? "", issuedAt: new Date().toISOString() });
  } catch (err) {
    const e = err instanceof ZohoError ? err : new ZohoError({ code: "NETWORK_ERROR", message: "unexpected failure" });
    const status = e.code === "TOKEN_RATE_LIMITED" ? 429 : e.code === "NETWORK_ERROR" || e.code === "TIMEOUT" ? 502 : 400;
    res.status(status).json({ error: e.code, message: e.message });
  }
}

function rawOrSaved(body: Record<string, unknown>, saved: ConnectionCredentials, key: "clientId" | "clientSecret"): string {
  const sent = stringField(body, key);
  return sent && sent !== PASSWORD_PLACEHOLDER ? sent : saved[key] ?? "";
}
