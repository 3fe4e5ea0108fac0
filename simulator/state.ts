/**
 * The simulator's shared state, and the types and request helpers its area modules share.
 *
 * `ZohoSimulator` (index.ts) extends `SimState`, so every area module receives the simulator itself as its state
 * (`sim`): the fields tests read and reset (sim.requests, sim.maxInFlight, sim.grants, ...) are the same own
 * properties they always were. The fields below the public ones are internal to the simulator's modules.
 */
import * as http from "http";
import { URL } from "url";
import { Readable } from "stream";
import { ModuleStore } from "./store";
import type { CallbackFault, CallbackLogEntry, Change, Channel, Outgoing } from "./notifications";
import type { Hidden } from "./ui";
import { ApiError, DEFAULT_UTC_OFFSET_MIN, ORG_TIME_ZONE, randomHex } from "./util";
import { SimClock } from "./clock";
import { BulkJobs } from "./bulk-jobs";
import { DeskState } from "./desk-data";

export interface SimulatorOptions {
  accessTokenTtlSeconds?: number;
  grantTokenTtlMs?: number;
  apiDomain?: string;
  tokenRateLimit?: boolean;
  concurrencyLimit?: number;
  latencyMs?: number;
  creditsPerDay?: number;
  seedDemo?: boolean;
}

export interface Fault {
  match?: { method?: string; path?: string | RegExp };
  times?: number;
  afterRequests?: number;
  status?: number;
  code?: string;
  body?: unknown;
  headers?: Record<string, string>;
  drop?: "before" | "after";
  delayMs?: number;
  tokenThrottle?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  status?: number;
  at: number;
}

export const JSON_TYPE = "application/json;charset=UTF-8";

export interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** a streamed body (bulk downloads): made once the answer is due, piped to the client; `body` is ignored */
  stream?: () => Readable;
}

export interface GrantRec { clientId: string; scope: string; expiresAt: number; used: boolean }
export interface RefreshRec { clientId: string; scope: string; revoked: boolean; minted: number[]; active: string[] }
export interface AccessRec { clientId: string; refresh?: string; scope: string; scopes: Set<string>; expiresAt: number; revoked: boolean }
export interface FaultState { fault: Fault; timesLeft: number; skipLeft: number }
export interface Ctx {
  method: string;
  path: string;
  url: URL;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

/** The path of a bulk write job's result (its download_url's path): /v8/crm/{domain_name}/bulk-write/{id}/{id}.zip */
export const WRITE_RESULT_PATH = /^\/v8\/crm\/([^/]+)\/bulk-write\/(\d+)\/(\d+)\.zip$/;

/** Paths answered as CRM calls (authentication, latency, faults, in-flight, credits): /crm/… and bulk write results. */
export function isCrmPath(path: string): boolean {
  return path.startsWith("/crm/") || WRITE_RESULT_PATH.test(path);
}

/**
 * The service a path belongs to: the CRM API, Zoho Desk (/api/…, desk.ts), the accounts server (/oauth/…), or none.
 * CRM and Desk calls are API calls: request log, latency, faults and in-flight counting alike (credits: CRM only).
 */
export type Service = "crm" | "desk" | "oauth" | "none";

export function serviceOf(path: string): Service {
  if (isCrmPath(path)) return "crm";
  if (path.startsWith("/api/")) return "desk";
  if (path.startsWith("/oauth/")) return "oauth";
  return "none";
}

/** A file kept in memory: a record's attachment or photo (files.ts). */
export interface StoredFile {
  name: string;
  /** the Content-Type of the uploaded part ("" when it had none) */
  contentType: string;
  data: Buffer;
}

export function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A request's JSON body; 400 INVALID_DATA when it is not JSON. With `requireJsonType` (the bulk APIs), a
 *  Content-Type other than application/json is 415 MEDIA_TYPE_NOT_SUPPORTED first. */
export function jsonBody(ctx: Ctx, requireJsonType = false): unknown {
  if (requireJsonType && !/^application\/json\s*(;|$)/i.test(header(ctx.headers, "content-type") ?? "")) {
    throw new ApiError(415, "MEDIA_TYPE_NOT_SUPPORTED", {}, "Media type is not supported");
  }
  try {
    return JSON.parse(ctx.raw.toString("utf8"));
  } catch {
    throw new ApiError(400, "INVALID_DATA", {}, "body is not a valid JSON");
  }
}

/** The callback machinery's internal state (notifications.ts). */
export class Delivery {
  /** callbacks queued, held, delayed or in flight */
  pending = 0;
  /** bumped by reset(): what was queued before is not sent */
  gen = 0;
  chain: Promise<void> = Promise.resolve();
  held: Array<{ cb: Outgoing; timer: NodeJS.Timeout }> = [];
  timers = new Set<NodeJS.Timeout>();
  waiters: Array<() => void> = [];
  faults: Array<{ fault: CallbackFault; left: number }> = [];
}

export class SimState {
  url = "";
  requests: RequestLogEntry[] = [];
  maxInFlight = 0;
  tokenRefreshCount = 0;
  /** API requests (CRM and Desk) Zoho is working on: from arrival until answered, even when their client has gone. */
  inFlight = 0;
  /** the Desk requests among them (the CRM concurrency limit counts CRM requests only) */
  deskInFlight = 0;
  /** CRM requests whose client connection is still open (a client that gave up and closed its socket no longer counts). */
  requestsOpen = 0;
  /** credits consumed since start/reset (only counted when creditsPerDay > 0) */
  creditsUsed = 0;
  /** the org's clock (clock.ts): every org timestamp comes from it */
  readonly clock = new SimClock();
  /** Bulk Read / Bulk Write jobs and their settings (bulk-jobs.ts): sim.bulk.stepMs, pageSize, failNext, jobs, … */
  readonly bulk = new BulkJobs();
  /** Zoho Desk: organizations, departments, contacts, tickets (desk-data.ts): sim.desk.seedTickets(n), sim.desk.orgs, … */
  readonly desk = new DeskState(this.clock);
  /** notification channels by channel_id (notifications.ts) */
  channels = new Map<string, Channel>();
  /** every notification callback attempt, in the order sent (notifications.ts) */
  callbacks: CallbackLogEntry[] = [];

  // ---- internal: shared by the simulator's area modules ---------------------------------
  readonly opts: Required<Omit<SimulatorOptions, "apiDomain">> & { apiDomain?: string };
  latency: number;
  clients = new Map<string, string>();
  grants = new Map<string, GrantRec>();
  refreshTokens = new Map<string, RefreshRec>();
  accessTokens = new Map<string, AccessRec>();
  modules = new Map<string, ModuleStore>();
  faults: FaultState[] = [];
  nextIdValue = 5725767000001000000n;
  nextModuleId = 5725767000000002175n;
  seq = 0;
  readonly secret = randomHex(16);
  /** the offset datetimes are written with (sim.setUtcOffset) and the time zone /org and /users report */
  utcOffsetMinutes = DEFAULT_UTC_OFFSET_MIN;
  timeZone = ORG_TIME_ZONE;
  /** changes made by the API request being processed, announced once its response is written */
  changes: Change[] = [];
  readonly delivery = new Delivery();
  /** module key -> record id -> a sim.ui change the API does not see yet (ui.ts) */
  hidden = new Map<string, Map<string, Hidden>>();
  /** module key -> the store as the API sees it while changes are hidden (ui.ts) */
  views = new Map<string, { key: string; view: ModuleStore }>();
  /** the records' attachments (files.ts): their records, listed like a module's (made on first use), and their bytes by id */
  attachmentRecords?: ModuleStore;
  readonly attachmentFiles = new Map<string, StoredFile>();
  /** the records' photos (files.ts) by "{module}/{record id}" */
  readonly photos = new Map<string, StoredFile>();

  readonly user = {
    id: "5725767000000411001",
    full_name: "Patricia Boyle",
    first_name: "Patricia",
    last_name: "Boyle",
    email: "patricia.boyle@zylker.example.com",
  };
  readonly org = {
    id: "5725767000000336001",
    zgid: "60012345678",
    domain_name: "org60012345678",
  };

  // shared, frozen: stored records point at these (callers always get deep copies)
  readonly userRefObj = Object.freeze({ name: this.user.full_name, id: this.user.id, email: this.user.email });
  readonly userShortObj = Object.freeze({ name: this.user.full_name, id: this.user.id });

  constructor(options: SimulatorOptions = {}) {
    this.opts = {
      accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      grantTokenTtlMs: options.grantTokenTtlMs ?? 180000,
      apiDomain: options.apiDomain,
      tokenRateLimit: options.tokenRateLimit ?? true,
      concurrencyLimit: options.concurrencyLimit ?? 0,
      latencyMs: options.latencyMs ?? 0,
      creditsPerDay: options.creditsPerDay ?? 0,
      seedDemo: options.seedDemo ?? true,
    };
    this.latency = this.opts.latencyMs;
  }
}
