/**
 * Zoho's Notification API (watch channels), for instant triggers (zoho-crm-api.md §11).
 * Knows nothing of Node-RED: the caller supplies the notify URL and keeps the channel id and token.
 *
 * - A channel is created with `POST /actions/watch`; Zoho answers 201 on success and **202 with a
 *   per-item error** otherwise, so 202 is treated as an error.
 * - `channel_id` is a long: kept as a digit string below 2^53 so it survives any JSON parser.
 * - A channel lives at most one week; it is renewed well before (PATCH with `events` and `token`
 *   again, since a PATCH without the token resets it), and made again when Zoho says `NOT_SUBSCRIBED`.
 * - Callbacks carry only ids (fetched afterwards in batches of 100) and a `token` that is checked in
 *   constant time, together with the channel id.
 */
import { randomBytes, randomInt, timingSafeEqual } from "crypto";
import type { ZohoClient } from "./client";
import { ZohoError, invalidInput } from "./errors";
import { isModuleName, isRecordId } from "./names";

/** Zoho's longest channel life. */
export const MAX_CHANNEL_LIFE_MS = 7 * 24 * 3600_000;
/** How long a channel is asked for; renewed every `RENEW_EVERY_MS`, well before it ends. */
export const CHANNEL_LIFE_MS = 6 * 24 * 3600_000;
export const RENEW_EVERY_MS = 24 * 3600_000;

export type WatchOperation = "create" | "edit" | "delete";

export interface WatchChannel {
  channelId: string;
  module: string;
  operations: WatchOperation[];
  notifyUrl: string;
  token: string;
}

export interface Notification {
  channelId: string;
  module: string;
  operation: "insert" | "update" | "delete";
  ids: string[];
  token: string | null;
  serverTime?: number;
}

/** A channel id: digits, below 2^53 (Zoho's are longs; JavaScript numbers are exact below 2^53). */
export function newChannelId(): string {
  // 16 digits from 10^15: always 16 digits long, always below 2^53 (≈ 9.007 × 10^15).
  // (crypto.randomInt spans at most 2^48, so the digits come in two parts.)
  return String(randomInt(1, 9)) + String(randomInt(0, 1e8)).padStart(8, "0") + String(randomInt(0, 1e7)).padStart(7, "0");
}

/** A verification token: 40 URL-safe characters (Zoho allows at most 50). */
export function newChannelToken(): string {
  return randomBytes(30).toString("base64url");
}

/** The token and channel of a callback against the ones we made, in constant time. */
export function callbackMatches(channel: Pick<WatchChannel, "channelId" | "token">, notification: { channelId: unknown; token: unknown }): boolean {
  const same = (a: string, b: unknown) => {
    if (typeof b !== "string") return false;
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    // Compare equal lengths only; a length difference still costs one comparison of x with itself.
    return timingSafeEqual(x, y.length === x.length ? y : x) && y.length === x.length;
  };
  const token = same(channel.token, notification.token);
  const id = same(channel.channelId, notification.channelId);
  return token && id;
}

/** The parts of a callback body we use, checked; undefined when it is not a Zoho notification. */
export function parseNotification(body: unknown): Notification | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const channelId = typeof b.channel_id === "number" ? String(b.channel_id) : b.channel_id;
  if (typeof channelId !== "string" || !/^\d{1,25}$/.test(channelId)) return undefined;
  if (typeof b.module !== "string" || !isModuleName(b.module)) return undefined;
  if (b.operation !== "insert" && b.operation !== "update" && b.operation !== "delete") return undefined;
  if (!Array.isArray(b.ids) || b.ids.length > 10_000) return undefined;
  const ids = b.ids.map(String).filter((id) => isRecordId(id));
  const out: Notification = { channelId, module: b.module, operation: b.operation, ids, token: typeof b.token === "string" ? b.token : null };
  if (typeof b.server_time === "number") out.serverTime = b.server_time;
  return out;
}

/** Zoho's expiry format: no milliseconds. */
function expiryText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

function watchItem(channel: WatchChannel, expiresAt: number): Record<string, unknown> {
  if (!isModuleName(channel.module)) throw new ZohoError({ code: "INVALID_MODULE", key: "notModuleName", params: { name: channel.module.slice(0, 60) } });
  if (!/^\d{1,16}$/.test(channel.channelId) || Number(channel.channelId) >= 2 ** 53) throw invalidInput("channelId");
  if (!channel.token || channel.token.length > 50) throw invalidInput("channelToken");
  return {
    channel_id: channel.channelId,
    events: channel.operations.map((op) => `${channel.module}.${op}`),
    notify_url: channel.notifyUrl,
    token: channel.token,
    channel_expiry: expiryText(expiresAt),
    notify_on_related_action: false,
  };
}

/** Zoho's answer to a watch call: 2xx with every item a success, else the first item's error. */
function checkWatchAnswer(status: number, data: unknown): void {
  const items = data && typeof data === "object" && Array.isArray((data as { watch?: unknown }).watch) ? ((data as { watch: unknown[] }).watch as Array<Record<string, unknown>>) : [];
  const failed = items.find((w) => w && w.status !== "success");
  if (status === 202 || failed || items.length === 0) {
    const code = typeof failed?.code === "string" ? failed.code : status === 202 ? "WATCH_NOT_ACCEPTED" : "UNEXPECTED_RESPONSE";
    if (typeof failed?.message === "string") throw new ZohoError({ code, message: failed.message, httpStatus: status, details: failed.details, notProcessed: true });
    throw new ZohoError({ code, key: "watchAnswer", params: { status }, httpStatus: status, details: failed?.details, notProcessed: true });
  }
}

/** Create (or replace) the channel; resolves with when it ends. */
export async function enableWatch(client: ZohoClient, channel: WatchChannel, opts: { signal?: AbortSignal; lifeMs?: number } = {}): Promise<number> {
  const expiresAt = Date.now() + Math.min(opts.lifeMs ?? CHANNEL_LIFE_MS, MAX_CHANNEL_LIFE_MS - 60_000);
  const res = await client.request({ method: "POST", path: "/actions/watch", body: { watch: [watchItem(channel, expiresAt)] }, idempotent: true, signal: opts.signal });
  checkWatchAnswer(res.status, res.data);
  return expiresAt;
}

/** Push the channel's end further out; made again when Zoho no longer knows it. */
export async function renewWatch(client: ZohoClient, channel: WatchChannel, opts: { signal?: AbortSignal; lifeMs?: number } = {}): Promise<number> {
  const expiresAt = Date.now() + Math.min(opts.lifeMs ?? CHANNEL_LIFE_MS, MAX_CHANNEL_LIFE_MS - 60_000);
  try {
    // `events` and `token` go along: a PATCH without the token resets it (§11).
    const res = await client.request({ method: "PATCH", path: "/actions/watch", body: { watch: [watchItem(channel, expiresAt)] }, idempotent: true, signal: opts.signal });
    checkWatchAnswer(res.status, res.data);
    return expiresAt;
  } catch (err) {
    if (err instanceof ZohoError && err.code === "NOT_SUBSCRIBED") return enableWatch(client, channel, opts);
    throw err;
  }
}

/** Delete the channel (the node was removed). A channel Zoho no longer knows is already gone. */
export async function disableWatch(client: ZohoClient, channelId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  if (!/^\d{1,25}$/.test(channelId)) throw invalidInput("channelId");
  try {
    const res = await client.request({ method: "DELETE", path: "/actions/watch", query: { channel_ids: channelId }, idempotent: true, signal: opts.signal });
    checkWatchAnswer(res.status, res.data);
  } catch (err) {
    if (err instanceof ZohoError && err.code === "NOT_SUBSCRIBED") return;
    throw err;
  }
}
