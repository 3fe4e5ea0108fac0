/** Types and settings of the zoho-config node, shared by the nodes that use a connection. */
import type { NodeAPI, Node, NodeDef } from "node-red";
import type { ZohoClient, ZohoClientOptions } from "../zoho";
import type { ConnectionCredentials, ConnectionSettings } from "./connection";

export interface ZohoConfigDef extends NodeDef {
  dataCenter?: string;
  environment?: string;
  accountsUrl?: string;
  concurrency?: string | number;
  tokenIssuedAt?: string;
}

export interface ZohoConfigNode extends Node<ConnectionCredentials> {
  settings: ConnectionSettings;
  /** The shared client; throws a ZohoError with advice when the connection is not usable yet. */
  getClient(): ZohoClient;
  /** Swap in a freshly exchanged refresh token without waiting for a deploy. */
  useCredentials(settings: ConnectionSettings, creds: ConnectionCredentials): void;
  creditsRemaining?: number;
}

/** Runtime tuning from settings.js (`zohoCrm: {...}`), e.g. timeouts; tests shorten the backoff. */
export function clientTuning(RED: NodeAPI): Partial<ZohoClientOptions> {
  const tuning = (RED.settings as unknown as { zohoCrm?: Record<string, unknown> }).zohoCrm ?? {};
  const out: Partial<ZohoClientOptions> = {};
  const num = (k: string) => (typeof tuning[k] === "number" && Number.isFinite(tuning[k]) ? (tuning[k] as number) : undefined);
  if (num("requestTimeoutMs") !== undefined) out.requestTimeoutMs = num("requestTimeoutMs");
  if (num("refreshMarginMs") !== undefined) out.refreshMarginMs = num("refreshMarginMs");
  if (num("throttleCooldownMs") !== undefined) out.throttleCooldownMs = num("throttleCooldownMs");
  const retry: Record<string, number> = {};
  for (const k of ["rateLimitRetries", "transientRetries", "baseDelayMs", "maxDelayMs"]) {
    const v = num(k === "baseDelayMs" ? "retryBaseDelayMs" : k === "maxDelayMs" ? "retryMaxDelayMs" : k);
    if (v !== undefined) retry[k] = v;
  }
  if (Object.keys(retry).length) out.retry = retry;
  if (num("retryBaseDelayMs") !== undefined) out.retryBaseDelayMs = num("retryBaseDelayMs");
  return out;
}

