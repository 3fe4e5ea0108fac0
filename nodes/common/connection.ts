/**
 * How a connection's settings become a Zoho client. Shared by the config node and its admin routes.
 * Credentials may name environment variables (`${ZOHO_CLIENT_ID}`), so containers can run without
 * the editor; a credential left empty is missing (no implicit fallback).
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

export type CredentialKey = "clientId" | "clientSecret" | "refreshToken";

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * A credential as typed, or `${VAR}` resolved from the environment. An empty credential stays
 * empty: there is no silent fallback to a default variable, which would hand a second connection
 * (a sandbox, say) the first one's production token.
 */
export function resolveCredential(value: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const text = typeof value === "string" ? value.trim() : "";
  const ref = ENV_REF.exec(text);
  if (ref) return (env[ref[1]] ?? "").trim();
  return text;
}

/** Where a credential comes from, for the dialog: never its value. */
export interface CredentialSource {
  source: "stored" | "env" | "none";
  /** The environment variable's name, for `${VAR}` references. */
  variable?: string;
  /** Whether that variable is set (non-empty) in the runtime's environment. */
  set?: boolean;
}

export function credentialSource(value: unknown, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  const text = typeof value === "string" ? value.trim() : "";
  const ref = ENV_REF.exec(text);
  if (ref) return { source: "env", variable: ref[1], set: !!(env[ref[1]] ?? "").trim() };
  return { source: text ? "stored" : "none" };
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
    clientId: resolveCredential(creds.clientId),
    clientSecret: resolveCredential(creds.clientSecret),
    refreshToken: resolveCredential(creds.refreshToken),
    apiDomain: creds.apiDomain,
    concurrency: settings.concurrency,
    ...extra,
  });
}
