/**
 * Errors from Zoho, turned into something a person can act on. Every error carries Zoho's own
 * `code` (or one of ours for transport failures) plus advice; it never carries a token.
 */

export interface ZohoErrorInit {
  code: string;
  message: string;
  httpStatus?: number;
  details?: unknown;
  advice?: string;
  /** Safe to try again later (rate limit, transient fault). */
  retryable?: boolean;
  /** Zoho may or may not have processed the request (timeout or dropped connection after sending). */
  outcomeUnknown?: boolean;
  /** Zoho certainly did not process the request (429, refused connection, rejected before processing). */
  notProcessed?: boolean;
  retryAfterMs?: number;
}

export class ZohoError extends Error {
  readonly code: string;
  readonly zohoMessage: string;
  readonly httpStatus?: number;
  readonly details?: unknown;
  readonly advice?: string;
  readonly retryable: boolean;
  readonly outcomeUnknown: boolean;
  readonly notProcessed: boolean;
  readonly retryAfterMs?: number;

  constructor(init: ZohoErrorInit) {
    const advice = init.advice ?? adviceFor(init.code, init.details);
    super(formatMessage(init.code, init.message, advice));
    this.name = "ZohoError";
    this.code = init.code;
    this.zohoMessage = init.message;
    this.httpStatus = init.httpStatus;
    this.details = init.details;
    this.advice = advice;
    this.retryable = init.retryable ?? false;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.notProcessed = init.notProcessed ?? false;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Plain object for msg.error / result records: no stack, no secrets. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.zohoMessage };
    if (this.httpStatus !== undefined) out.httpStatus = this.httpStatus;
    if (this.details !== undefined) out.details = this.details;
    if (this.advice) out.advice = this.advice;
    return out;
  }
}

function formatMessage(code: string, message: string, advice?: string): string {
  const head = message && message !== code ? `${code}: ${message}` : code;
  return advice ? `${head}. ${advice}` : head;
}

const ADVICE: Record<string, string> = {
  // Token endpoint (HTTP 200 bodies with an "error" key)
  invalid_code:
    "The grant token has expired or was already used, or the refresh token was revoked. Generate a new grant token (Self Client > Generate Code) and press Refresh Token within its validity",
  invalid_client:
    "Zoho does not know this Client ID at this data center. Check the Client ID and that the data center matches the one where the Self Client was created",
  invalid_client_secret: "The Client Secret does not match the Client ID. Copy it again from the Self Client's Client Secret tab",
  TOKEN_RATE_LIMITED:
    "Zoho is throttling token requests (too many in a short time). Wait a few minutes; the connection reuses its access token and will not retry before the cool-down ends",
  NO_REFRESH_TOKEN:
    "This connection has no refresh token yet. Open the Zoho connection, paste a fresh grant token, press Refresh Token and Deploy",
  MISSING_CREDENTIALS: "Open the Zoho connection and enter the Client ID and Client Secret of your Self Client",
  UNTRUSTED_API_DOMAIN:
    "The accounts server answered with an API domain that is not a Zoho API host, so no token was sent there. Check the data center and the accounts URL of the connection",
  // CRM API
  INVALID_TOKEN: "The access token was rejected even after a refresh. Press Refresh Token with a new grant token",
  AUTHENTICATION_FAILURE: "Zoho could not authenticate the request. Check the connection's credentials",
  OAUTH_SCOPE_MISMATCH:
    "The refresh token lacks a scope this call needs. Generate a new grant token that includes it (e.g. ZohoCRM.modules.ALL, ZohoCRM.settings.ALL, ZohoCRM.coql.READ, ZohoSearch.securesearch.READ) and press Refresh Token",
  NO_PERMISSION:
    "The Zoho user behind this connection is not allowed to do this. Check the user's profile permissions (for Crm_Implied_Api_Access: enable 'Zoho CRM API Access' in the profile)",
  INVALID_MODULE: "Check the module's API name (e.g. Leads, Contacts, or your custom module's API name under Setup > Developer Hub > APIs)",
  INVALID_URL_PATTERN: "Check the module's API name and the record id",
  REQUIRED_PARAM_MISSING: "A required parameter is missing",
  LIMIT_EXCEEDED: "A Zoho limit was exceeded (at most 50 fields per call, 100 records per write, 2,000 rows per COQL call)",
  LIMIT_REACHED: "Search can return at most 2,000 records; narrow the criteria or use COQL",
  INVALID_QUERY: "Check the field API names, operators and values in the query or criteria",
  SYNTAX_ERROR: "Check the COQL query: it needs a WHERE clause (use 'where id is not null' for all rows) and nested conditions in pairs",
  TOO_MANY_REQUESTS:
    "Zoho's rate or concurrency limit was hit and retries did not help. Lower the connection's concurrency, or spread the work out; check the API credits left in Zoho (Setup > Developer Hub > APIs > Dashboard)",
  INTERNAL_ERROR: "Zoho had an internal error. Try again later",
  TIMEOUT: "Zoho did not answer in time. Check the network; the request may be retried later",
  NETWORK_ERROR: "Could not reach Zoho. Check the network, the data center and any proxy settings",
  OUTCOME_UNKNOWN:
    "The connection failed after the request was sent, so Zoho may or may not have processed it. Check in Zoho before sending it again, or use upsert so a repeat cannot create a duplicate",
  PAGINATION_LIMIT_EXCEEDED: "Zoho lists at most 100,000 records per query; use a narrower list or COQL with criteria",
  DISCRETE_PAGINATION_LIMIT_EXCEEDED: "Past 2,000 records Zoho needs page_token paging",
  TOKEN_BOUND_DATA_MISMATCH: "A page token was reused with different parameters",
  EXPIRED_VALUE: "A page token expired (they last 24 hours); start the read again",
  INVALID_DATA: "Zoho rejected a value; see details for the field",
  MANDATORY_NOT_FOUND: "A required field is missing; see details.api_name",
  DUPLICATE_DATA: "A record with this unique value already exists; see details (use upsert to update it instead)",
  INVALID_INPUT: "Check the message and the node's settings",
  ABORTED: "The request was stopped because the flow was stopped or redeployed",
};

export function adviceFor(code: string, details?: unknown): string | undefined {
  if (code === "NO_PERMISSION" && details && typeof details === "object") {
    const perms = (details as { permissions?: unknown }).permissions;
    if (Array.isArray(perms) && perms.includes("Crm_Implied_Api_Access")) {
      return "API access is disabled for this user's profile: in Zoho CRM go to Setup > Users and Control > Security Control > Profiles and enable 'Zoho CRM API Access'";
    }
  }
  return ADVICE[code];
}

export function invalidInput(message: string, details?: unknown): ZohoError {
  return new ZohoError({ code: "INVALID_INPUT", message, details, advice: "" });
}
