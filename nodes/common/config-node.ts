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
  /**
   * A client of its own (own sockets, same credentials and token cache) for a call that must
   * outlive this connection's close, e.g. deleting a trigger's watch channel while the whole flow
   * stops. The caller closes it.
   */
  standaloneClient(): ZohoClient;
  /** API credits Zoho reported left (X-API-CREDITS-REMAINING), once it has reported any. */
  creditsRemaining?: number;
  /** Below this many credits left, the nodes using the connection show a yellow warning. */
  lowCreditsThreshold: number;
}

export const DEFAULT_LOW_CREDITS_THRESHOLD = 1000;

function zohoCrmSettings(RED: NodeAPI): Record<string, unknown> {
  const value = (RED.settings as unknown as { zohoCrm?: unknown }).zohoCrm;
  return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** `zohoCrm.lowCreditsThreshold` in settings.js (default 1,000; 0 turns the warning off). */
export function lowCreditsThreshold(RED: NodeAPI): number {
  const v = zohoCrmSettings(RED).lowCreditsThreshold;
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : DEFAULT_LOW_CREDITS_THRESHOLD;
}

/** The credits left when they are below the connection's threshold, else undefined. */
export function lowCredits(config: ZohoConfigNode | undefined): number | undefined {
  const left = config?.creditsRemaining;
  return left !== undefined && left < (config?.lowCreditsThreshold ?? DEFAULT_LOW_CREDITS_THRESHOLD) ? left : undefined;
}

/** Runtime tuning from settings.js (`zohoCrm: {...}`), e.g. timeouts; tests shorten the backoff. */
export function clientTuning(RED: NodeAPI): Partial<ZohoClientOptions> {
  const tuning = zohoCrmSettings(RED);
  const out: Partial<ZohoClientOptions> = {};
  const num = (k: string) => (typeof tuning[k] === "number" && Number.isFinite(tuning[k]) ? (tuning[k] as number) : undefined);
  if (num("requestTimeoutMs") !== undefined) out.requestTimeoutMs = num("requestTimeoutMs");
  if (num("refreshMarginMs") !== undefined) out.refreshMarginMs = num("refreshMarginMs");
  if (num("throttleCooldownMs") !== undefined) out.throttleCooldownMs = num("throttleCooldownMs");
  if (num("bulkPollMs") !== undefined) out.bulkPollMs = num("bulkPollMs");
  const retry: Record<string, number> = {};
  for (const k of ["rateLimitRetries", "transientRetries", "baseDelayMs", "maxDelayMs"]) {
    const v = num(k === "baseDelayMs" ? "retryBaseDelayMs" : k === "maxDelayMs" ? "retryMaxDelayMs" : k);
    if (v !== undefined) retry[k] = v;
  }
  if (Object.keys(retry).length) out.retry = retry;
  if (num("retryBaseDelayMs") !== undefined) out.retryBaseDelayMs = num("retryBaseDelayMs");
  return out;
}

