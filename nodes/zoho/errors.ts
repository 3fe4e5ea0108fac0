/**
 * Errors from Zoho, turned into something a person can act on. Every error carries Zoho's own
 * `code` (or one of ours for transport failures) plus advice; it never carries a token.
 * Our own messages and all advice carry their key in TEXTS (texts.ts) and parameters, so the nodes
 * can show them in Node-RED's language (`translated`); the English is the default message.
 */
import { AdviceKey, ErrorKey, Params, Text, Translator, isAdviceKey, render, translateTexts } from "./texts";

export interface ZohoErrorInit {
  code: string;
  /** Zoho's own message (or another library's), kept as it was sent. Our own messages give `key`. */
  message?: string;
  /** Our own message: its key in TEXTS.errors, with `params` for its placeholders. */
  key?: ErrorKey;
  params?: Params;
  httpStatus?: number;
  details?: unknown;
  /** Advice by its key in TEXTS.advice; "" = none. Default: the advice for `code` (and details), if any. */
  advice?: AdviceKey | "";
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
  /** The message without code and advice: Zoho's own text, or ours in English. */
  readonly zohoMessage: string;
  /** Key and parameters of our own message (TEXTS.errors); undefined for Zoho's messages. */
  readonly key?: ErrorKey;
  readonly params?: Params;
  readonly httpStatus?: number;
  readonly details?: unknown;
  /** Advice in English, and its key in TEXTS.advice. */
  readonly advice?: string;
  readonly adviceKey?: AdviceKey;
  readonly retryable: boolean;
  readonly outcomeUnknown: boolean;
  readonly notProcessed: boolean;
  readonly retryAfterMs?: number;

  constructor(init: ZohoErrorInit) {
    const adviceKey = init.advice === undefined ? adviceKeyFor(init.code, init.details) : init.advice || undefined;
    const message = init.key ? render({ key: `errors.${init.key}`, params: init.params }) : (init.message ?? "");
    const advice = init.advice === "" ? "" : adviceKey && render({ key: `advice.${adviceKey}` });
    super(formatMessage(init.code, message, advice));
    this.name = "ZohoError";
    this.code = init.code;
    this.zohoMessage = message;
    this.key = init.key;
    this.params = init.params;
    this.httpStatus = init.httpStatus;
    this.details = init.details;
    this.advice = advice;
    this.adviceKey = adviceKey;
    this.retryable = init.retryable ?? false;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.notProcessed = init.notProcessed ?? false;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The message as a text to put inside another one: ours by key, Zoho's as it is. */
  get text(): Text | string {
    return this.key ? { key: `errors.${this.key}`, params: this.params } : this.zohoMessage;
  }

  /**
   * This error with our message and advice in the translator's language (Zoho's own message stays
   * as Zoho sent it): a copy with the same code, details and stack, or this error when nothing changes.
   */
  translated(translate: Translator): ZohoError {
    const { message, advice } = translateTexts({ ...this, message: this.zohoMessage }, translate);
    if (message === this.zohoMessage && advice === this.advice) return this;
    const copy: ZohoError = Object.assign(Object.create(ZohoError.prototype), this, { zohoMessage: message, advice });
    const head = `${this.name}: ${this.message}`;
    Object.defineProperty(copy, "message", { value: formatMessage(this.code, message, advice), writable: true, configurable: true });
    const stack = this.stack?.startsWith(head) ? `${copy.name}: ${copy.message}${this.stack.slice(head.length)}` : this.stack;
    Object.defineProperty(copy, "stack", { value: stack, writable: true, configurable: true });
    return copy;
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

/** Key of the advice for a code (Zoho's or ours), if there is any. */
export function adviceKeyFor(code: string, details?: unknown): AdviceKey | undefined {
  if (code === "NO_PERMISSION" && details && typeof details === "object") {
    const perms = (details as { permissions?: unknown }).permissions;
    if (Array.isArray(perms) && perms.includes("Crm_Implied_Api_Access")) return "apiAccessDisabled";
  }
  return isAdviceKey(code) ? code : undefined;
}

/** The advice for a code in English, if there is any. */
export function adviceFor(code: string, details?: unknown): string | undefined {
  const key = adviceKeyFor(code, details);
  return key && render({ key: `advice.${key}` });
}

/** An INVALID_INPUT error of ours: without advice unless one is named. */
export function invalidInput(key: ErrorKey, params?: Params, advice: AdviceKey | "" = ""): ZohoError {
  return new ZohoError({ code: "INVALID_INPUT", key, params, advice });
}
