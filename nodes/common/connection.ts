/**
 * How a connection's settings become a Zoho client. Shared by the config node and its admin routes.
 * Credentials may name environment variables (`${ZOHO_CLIENT_ID}`); empty ones fall back to
 * ZOHO_CLIENT_ID / ZOHO_CLIENT_SECRET / ZOHO_REFRESH_TOKEN, so containers can run without the editor.
 */
import {
  DataCenter,
  Environment,
  ZohoClient,
  ZohoClientOptions,
  accountsBaseUrl,
  isDataCenter,
  isEnvironment,
  DEFAULT_CONCURRENCY,
} from "../zoho";

export interface ConnectionSettings {
  dataCenter: DataCenter;
  environment: Environment;
  /** Explicit accounts server (proxy, simulator) or "" for the data center's own. */
  accountsUrl: string;
  concurrency: number;
}

export interface ConnectionCredentials {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  apiDomain?: string;
}

export const ENV_FALLBACK: Record<"clientId" | "clientSecret" | "refreshToken", string> = {
  clientId: "ZOHO_CLIENT_ID",
  clientSecret: "ZOHO_CLIENT_SECRET",
  refreshToken: "ZOHO_REFRESH_TOKEN",
};

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A credential as typed, `${VAR}` resolved from the environment, or the default variable when empty. */
export function resolveCredential(value: unknown, key: keyof typeof ENV_FALLBACK, env: NodeJS.ProcessEnv = process.env): string {
  const text = typeof value === "string" ? value.trim() : "";
  const ref = ENV_REF.exec(text);
  if (ref) return (env[ref[1]] ?? "").trim();
  if (text) return text;
  return (env[ENV_FALLBACK[key]] ?? "").trim();
}

export function normaliseSettings(raw: { dataCenter?: unknown; environment?: unknown; accountsUrl?: unknown; concurrency?: unknown }): ConnectionSettings {
  const concurrency = Number(raw.concurrency);
  return {
    dataCenter: isDataCenter(raw.dataCenter) ? raw.dataCenter : "us",
    environment: isEnvironment(raw.environment) ? raw.environment : "production",
    accountsUrl: typeof raw.accountsUrl === "string" ? raw.accountsUrl.trim() : "",
    concurrency: Number.isFinite(concurrency) && concurrency >= 1 ? Math.min(Math.floor(concurrency), 25) : DEFAULT_CONCURRENCY,
  };
}

/** An explicit accounts URL must be an absolute http(s) URL without credentials in it. */
export function validAccountsUrl(url: string): boolean {
  if (!url) return true;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "https:" || parsed.protocol === "http:") && !parsed.username && !parsed.password && !parsed.search;
  } catch {
    return false;
  }
}

export function createClient(
  settings: ConnectionSettings,
  creds: ConnectionCredentials,
  extra: Partial<ZohoClientOptions> = {},
): ZohoClient {
  return new ZohoClient({
    accountsUrl: accountsBaseUrl(settings.dataCenter, settings.accountsUrl),
    trustAnyApiDomain: settings.accountsUrl !== "",
    environment: settings.environment,
    clientId: resolveCredential(creds.clientId, "clientId"),
    clientSecret: resolveCredential(creds.clientSecret, "clientSecret"),
    refreshToken: resolveCredential(creds.refreshToken, "refreshToken"),
    apiDomain: creds.apiDomain,
    concurrency: settings.concurrency,
    ...extra,
  });
}
