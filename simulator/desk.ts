/**
 * A small Zoho Desk API (§12), on the simulator's own server under /api/v1. The data: desk-data.ts (sim.desk).
 *
 * Where it lives: real Desk is https://desk.zoho.{tld}/api/v1 (desk.zoho.com, .eu, .in, .com.au, .jp, …), not the
 * token's api_domain. With an accounts-URL override (the simulator), a client reaches every Zoho service on the API
 * domain the accounts server returned, i.e. the simulator's URL: Desk at {api_domain}/api/v1, CRM at
 * {api_domain}/crm/v8. Desk calls are API calls like CRM's: in the request log, with latency, faults (a fault without
 * a path matches CRM and Desk calls alike; its default body is Desk's shape here) and in-flight counting; they use
 * no CRM credits and do not count against the CRM concurrency limit.
 *
 * Authentication: the same access tokens as CRM ("Authorization: Zoho-oauthtoken …"); one grant can hold CRM and
 * Desk scopes (sim.issueRefreshToken(client, "ZohoCRM.modules.ALL,Desk.tickets.ALL,Desk.basic.READ"), or the scope
 * of sim.issueGrantToken / GET /__sim/grant-token).
 *
 *   GET  /api/v1/organizations        no orgId header needed. Scope Desk.basic.READ (or .ALL).
 *        {"data":[{id, companyName, portalName, portalURL, isDefault, edition, isAdminInOrg, …}]}
 *   GET  /api/v1/departments          orgId. Scope Desk.basic.READ (or .ALL). {"data":[{id, name, isEnabled, isDefault, …}]}
 *   GET  /api/v1/tickets              orgId. Scope Desk.tickets.READ (or .ALL). {"data":[ticket…]}, 204 when none.
 *        from: 1-based index of the first ticket (default 1); limit: 1..100 (default 10); status: comma-separated
 *        status names (Open, On Hold, Escalated, Closed; case-insensitive); departmentId; sortBy: createdTime,
 *        modifiedTime or ticketNumber, "-" prefix for descending (default createdTime, ascending; ties by id).
 *   GET  /api/v1/tickets/{id}         orgId. Scope Desk.tickets.READ (or .ALL). The ticket (the list's keys + description).
 *   POST /api/v1/tickets              orgId. Scope Desk.tickets.CREATE (or .WRITE / .ALL). JSON body: subject,
 *        departmentId and contactId required (a "contact" object {lastName?, firstName?, email?, phone?} with a
 *        lastName or email may stand in for contactId: a new contact is made); optional description, status,
 *        priority (High, Medium, Low), channel, email, phone. -> 200 with the ticket.
 *
 * Errors have Desk's shape, {"errorCode":"…","message":"…"} plus, for validation, "errors":[{"fieldName":"/subject",
 * "errorType":"missing"|"invalid"|"duplicate","errorMessage":""}] (fieldName a JSON pointer into the body; a query
 * parameter or header is named as is):
 *   401 UNAUTHORIZED "You are not authenticated to perform this operation."   no (Zoho-oauthtoken) Authorization header
 *   401 INVALID_OAUTH "The OAuth Token you provided is invalid."                unknown, expired or revoked token
 *   403 SCOPE_MISMATCH "The OAuth Token does not contain the scope to perform this operation."
 *   422 INVALID_DATA "The data is invalid due to validation restrictions"     missing orgId header ({"fieldName":"orgId",
 *       "errorType":"missing"}), a non-numeric orgId ("invalid"), bad from/limit/status/sortBy, a bad body
 *   403 OAUTH_ORG_MISMATCH "The OAuthToken is not valid for specified organization."   an orgId of no org of the account
 *   404 URL_NOT_FOUND "The URL you requested could not be found on our server."        unknown path, unknown ticket id
 *   405 METHOD_NOT_ALLOWED "The HTTP method is not allowed for the requested resource."
 * Checked in this order: token, path and verb, scope, orgId, then the parameters or body.
 *
 * Choices where the doc is silent or unsure (§12 names the header rule and scopes only):
 *   - SCOPE_MISMATCH is 403, not 401: Desk clients and reports in the wild see 403 for it; 401 is for the token itself.
 *   - A missing orgId is 422 INVALID_DATA naming the header (Desk's validation status and shape); an orgId the token's
 *     user has no org for is OAUTH_ORG_MISMATCH. Every org in sim.desk.orgs belongs to the one simulated user.
 *   - An empty ticket list is 204 with no body, as CRM's (Desk's status table lists 204 "No content").
 *   - from counts from 1; from=0 is refused (422), so an off-by-one client shows up. Desk caps limit at 100.
 *   - Creating a ticket answers 200 (Desk's samples show 200 OK), with the new ticket.
 *   - Ids are JSON strings (org ids included).
 */
import { ApiError, isPlainObject } from "./util";
import { accessToken, hasScope } from "./accounts";
import { DESK_CHANNELS, DESK_PRIORITIES, DESK_STATUSES, DeskOrg, DeskTicket } from "./desk-data";
import { AccessRec, Ctx, Result, SimState, header } from "./state";

interface FieldError {
  fieldName: string;
  errorType: "missing" | "invalid" | "duplicate";
  errorMessage: string;
}

/** A Desk error: its body is {"errorCode","message"[,"errors"]} (index.ts answers any ApiError with its body()). */
export class DeskError extends ApiError {
  constructor(httpStatus: number, errorCode: string, message: string, readonly errors?: FieldError[]) {
    super(httpStatus, errorCode, {}, message);
  }
  override body(): Record<string, unknown> {
    return deskErrorBody(this.code, this.message, this.errors);
  }
}

export function deskErrorBody(errorCode: string, message: string, errors?: FieldError[]): Record<string, unknown> {
  return errors ? { errorCode, message, errors } : { errorCode, message };
}

const MESSAGES: Record<string, [number, string]> = {
  UNAUTHORIZED: [401, "You are not authenticated to perform this operation."],
  INVALID_OAUTH: [401, "The OAuth Token you provided is invalid."],
  SCOPE_MISMATCH: [403, "The OAuth Token does not contain the scope to perform this operation."],
  OAUTH_ORG_MISMATCH: [403, "The OAuthToken is not valid for specified organization."],
  FORBIDDEN: [403, "You do not have sufficient permission to perform this operation."],
  URL_NOT_FOUND: [404, "The URL you requested could not be found on our server."],
  METHOD_NOT_ALLOWED: [405, "The HTTP method is not allowed for the requested resource."],
  INVALID_DATA: [422, "The data is invalid due to validation restrictions"],
  TOO_MANY_REQUESTS: [429, "You have made too many requests. Please try again later."],
  INTERNAL_SERVER_ERROR: [500, "An internal server error occurred."],
};

function deskError(code: keyof typeof MESSAGES, errors?: FieldError[]): DeskError {
  const [status, message] = MESSAGES[code];
  return new DeskError(status, code, message, errors);
}

function invalidData(fieldName: string, errorType: FieldError["errorType"], errorMessage = ""): DeskError {
  return deskError("INVALID_DATA", [{ fieldName, errorType, errorMessage }]);
}

/** The status of an injected fault on a Desk path that names a code but no status (index.ts); 400 for other codes. */
export function deskStatusForCode(code: string): number {
  return MESSAGES[code]?.[0] ?? 400;
}

/** The body of an injected fault on a Desk path (index.ts): the code given, else the usual one for the status. */
export function deskFaultBody(status: number, code?: string): Record<string, unknown> {
  const known = code ? MESSAGES[code] : undefined;
  if (code) return deskErrorBody(code, known?.[1] ?? code);
  const byStatus = Object.entries(MESSAGES).find(([, [s]]) => s === status);
  const [c, [, message]] = byStatus ?? (status >= 500 ? ["INTERNAL_SERVER_ERROR", MESSAGES.INTERNAL_SERVER_ERROR] : ["INVALID_DATA", MESSAGES.INVALID_DATA]);
  return deskErrorBody(c, message);
}

const SCOPES = {
  basic: ["Desk.basic.READ", "Desk.basic.ALL"],
  ticketsRead: ["Desk.tickets.READ", "Desk.tickets.ALL"],
  ticketsCreate: ["Desk.tickets.CREATE", "Desk.tickets.WRITE", "Desk.tickets.ALL"],
};

interface Route {
  scopes: string[];
  /** needs the orgId header; gets the org */
  run: (org: DeskOrg) => Result;
}

export function processDesk(sim: SimState, ctx: Ctx): Result {
  try {
    const at = accessToken(sim, ctx);
    if (at === "missing") throw deskError("UNAUTHORIZED");
    if (at === "invalid") throw deskError("INVALID_OAUTH");
    return route(sim, ctx, at);
  } catch (e) {
    if (e instanceof ApiError) return { status: e.httpStatus, body: e.body() };
    return { status: 500, body: deskFaultBody(500) };
  }
}

function route(sim: SimState, ctx: Ctx, at: AccessRec): Result {
  const segs = ctx.path.replace(/\/+$/, "").split("/").slice(1); // ["api", "v1", …]
  if (segs[0] !== "api" || segs[1] !== "v1" || segs.length < 3 || segs.length > 4) throw deskError("URL_NOT_FOUND");
  const [, , resource, id] = segs;
  const allow = (...methods: string[]) => {
    if (!methods.includes(ctx.method)) throw deskError("METHOD_NOT_ALLOWED");
  };
  if (resource === "organizations" && id === undefined) {
    allow("GET");
    requireDeskScope(at, SCOPES.basic);
    return { status: 200, body: { data: sim.desk.orgs.map((o) => ({ ...o.info })) } };
  }
  let r: Route;
  if (resource === "departments" && id === undefined) {
    allow("GET");
    r = { scopes: SCOPES.basic, run: (org) => ({ status: 200, body: { data: org.departments.map((d) => ({ ...d })) } }) };
  } else if (resource === "tickets" && id === undefined) {
    allow("GET", "POST");
    r = ctx.method === "GET" ? { scopes: SCOPES.ticketsRead, run: (org) => listTickets(org, ctx.query) } : { scopes: SCOPES.ticketsCreate, run: (org) => createTicket(sim, org, ctx) };
  } else if (resource === "tickets" && id !== undefined) {
    allow("GET");
    r = { scopes: SCOPES.ticketsRead, run: (org) => ({ status: 200, body: ticketBody(findTicket(org, id), true) }) };
  } else throw deskError("URL_NOT_FOUND");
  requireDeskScope(at, r.scopes);
  return r.run(orgOf(sim, ctx));
}

function requireDeskScope(at: AccessRec, candidates: string[]): void {
  if (!hasScope(at, candidates)) throw deskError("SCOPE_MISMATCH");
}

function orgOf(sim: SimState, ctx: Ctx): DeskOrg {
  const raw = header(ctx.headers, "orgid");
  if (raw === undefined || raw.trim() === "") throw invalidData("orgId", "missing", "orgId header is missing");
  const id = raw.trim();
  if (!/^\d+$/.test(id)) throw invalidData("orgId", "invalid", "orgId must be a number");
  const org = sim.desk.org(id);
  if (!org) throw deskError("OAUTH_ORG_MISMATCH");
  return org;
}

function findTicket(org: DeskOrg, id: string): DeskTicket {
  const t = org.tickets.find((x) => x.id === id);
  if (!t) throw deskError("URL_NOT_FOUND");
  return t;
}

/** A ticket as the API shows it: the list leaves the description out. */
function ticketBody(t: DeskTicket, full: boolean): Record<string, unknown> {
  const { description, ...rest } = t;
  return full ? { ...rest, description } : rest;
}

function intParam(q: Record<string, string>, name: string, def: number, min: number, max?: number): number {
  const raw = q[name];
  if (raw === undefined || raw === "") return def;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min) || (max !== undefined && n > max)) {
    throw invalidData(name, "invalid", max === undefined ? `${name} must be at least ${min}` : `${name} must be between ${min} and ${max}`);
  }
  return n;
}

const SORTS = ["createdTime", "modifiedTime", "ticketNumber"];

function listTickets(org: DeskOrg, q: Record<string, string>): Result {
  const from = intParam(q, "from", 1, 1);
  const limit = intParam(q, "limit", 10, 1, 100);
  let statuses: string[] | undefined;
  if (q.status !== undefined) {
    statuses = q.status.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (!statuses.length || statuses.some((s) => !DESK_STATUSES.some((d) => d.status.toLowerCase() === s))) throw invalidData("status", "invalid");
  }
  if (q.departmentId !== undefined && !org.departments.some((d) => d.id === q.departmentId)) throw invalidData("departmentId", "invalid");
  const sortBy = q.sortBy ?? "createdTime";
  const desc = sortBy.startsWith("-");
  const key = desc ? sortBy.slice(1) : sortBy;
  if (!SORTS.includes(key)) throw invalidData("sortBy", "invalid");
  const value = (t: DeskTicket) => (key === "ticketNumber" ? Number(t.ticketNumber) : Date.parse(key === "createdTime" ? t.createdTime : t.modifiedTime));
  const picked = org.tickets
    .filter((t) => (!statuses || statuses.includes(t.status.toLowerCase())) && (q.departmentId === undefined || t.departmentId === q.departmentId))
    .sort((a, b) => (value(a) - value(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (desc ? -1 : 1));
  const page = picked.slice(from - 1, from - 1 + limit);
  if (!page.length) return { status: 204 };
  return { status: 200, body: { data: page.map((t) => ticketBody(t, false)) } };
}

function createTicket(sim: SimState, org: DeskOrg, ctx: Ctx): Result {
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.raw.toString("utf8"));
  } catch {
    throw invalidData("/", "invalid", "the body is not valid JSON");
  }
  if (!isPlainObject(parsed)) throw invalidData("/", "invalid", "the body must be a JSON object");
  const body = parsed;
  const errors: FieldError[] = [];
  const bad = (fieldName: string, errorType: FieldError["errorType"]) => errors.push({ fieldName: `/${fieldName}`, errorType, errorMessage: "" });
  const text = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") bad(k, "invalid");
    return typeof v === "string" ? v : undefined;
  };
  const subject = text("subject");
  if (subject === undefined && !errors.some((e) => e.fieldName === "/subject")) bad("subject", "missing");
  const departmentId = text("departmentId");
  if (departmentId === undefined) {
    if (!errors.some((e) => e.fieldName === "/departmentId")) bad("departmentId", "missing");
  } else if (!org.departments.some((d) => d.id === departmentId)) bad("departmentId", "invalid");
  const contactId = text("contactId");
  const contact = body.contact;
  let newContact: { firstName: string | null; lastName: string; email: string | null; phone: string | null } | undefined;
  if (contactId !== undefined) {
    if (!org.contacts.some((c) => c.id === contactId)) bad("contactId", "invalid");
  } else if (isPlainObject(contact)) {
    const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);
    const email = str(contact.email);
    const lastName = str(contact.lastName) ?? (email ? email.split("@")[0] : null);
    if (!lastName) bad("contact/lastName", "missing");
    else newContact = { firstName: str(contact.firstName), lastName, email, phone: str(contact.phone) };
  } else if (!errors.some((e) => e.fieldName === "/contactId")) bad("contactId", "missing");
  const status = text("status");
  if (status !== undefined && !DESK_STATUSES.some((s) => s.status === status)) bad("status", "invalid");
  const priority = text("priority");
  if (priority !== undefined && !DESK_PRIORITIES.includes(priority)) bad("priority", "invalid");
  const channel = text("channel");
  if (channel !== undefined && !DESK_CHANNELS.includes(channel)) bad("channel", "invalid");
  const email = text("email");
  if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) bad("email", "invalid");
  const description = text("description");
  const phone = text("phone");
  if (errors.length) throw deskError("INVALID_DATA", errors);
  let cid = contactId;
  if (cid === undefined && newContact) {
    cid = sim.desk.newId();
    org.contacts.push({ id: cid, ...newContact });
  }
  const t = sim.desk.addTicket(org, { subject: subject!, departmentId: departmentId!, contactId: cid!, description, status, priority, channel, email, phone }, sim.clock.now());
  return { status: 200, body: ticketBody(t, true) };
}
