/**
 * Metadata helpers (modules and fields), cached briefly per client: every "all fields" read and the
 * editor's pickers need them, and they rarely change. One fetch is shared by concurrent callers.
 */
import type { ZohoClient } from "./client";
import { untilAborted } from "./concurrency";

export interface ModuleInfo {
  api_name: string;
  module_name?: string;
  plural_label?: string;
  singular_label?: string;
  api_supported?: boolean;
  generated_type?: string;
  [key: string]: unknown;
}

export interface FieldInfo {
  api_name: string;
  data_type?: string;
  field_label?: string;
  display_label?: string;
  read_only?: boolean;
  visible?: boolean;
  [key: string]: unknown;
}

export interface MetadataOptions {
  signal?: AbortSignal;
  /** Skip the cache and fetch again. */
  refresh?: boolean;
}

export const METADATA_TTL_MS = 5 * 60 * 1000;

/** Field types Zoho only returns when one record is fetched (zoho-crm-api.md §4), so never asked for in lists. */
export const SINGLE_RECORD_ONLY_TYPES: readonly string[] = ["subform", "multiselectlookup", "multiuserlookup"];

interface CacheEntry {
  expires: number;
  value: Promise<unknown>;
}

const caches = new WeakMap<ZohoClient, Map<string, CacheEntry>>();

/** Every module of the org (`GET /settings/modules`), including those the API cannot use (see `api_supported`). */
export async function listModules(client: ZohoClient, opts: MetadataOptions = {}): Promise<ModuleInfo[]> {
  return cached(client, "modules", opts, async () => {
    const res = await client.request<{ modules?: unknown }>({ method: "GET", path: "/settings/modules" });
    const list = Array.isArray(res.data?.modules) ? (res.data!.modules as unknown[]) : [];
    return list.filter(isNamed) as ModuleInfo[];
  });
}

/** The fields of one module that the connection's user can see (`GET /settings/fields?module=X`). */
export async function listFields(client: ZohoClient, module: string, opts: MetadataOptions = {}): Promise<FieldInfo[]> {
  return cached(client, `fields:${module}`, opts, async () => {
    const res = await client.request<{ fields?: unknown }>({ method: "GET", path: "/settings/fields", query: { module } });
    const list = Array.isArray(res.data?.fields) ? (res.data!.fields as unknown[]) : [];
    return list.filter(isNamed) as FieldInfo[];
  });
}

/** API names to ask for when the user wants "every field": visible fields that list calls can return, without `id`. */
export function listableFieldNames(fields: FieldInfo[]): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    if (f.visible === false) continue;
    if (f.data_type && SINGLE_RECORD_ONLY_TYPES.includes(f.data_type)) continue;
    if (f.api_name === "id" || seen.has(f.api_name)) continue;
    seen.add(f.api_name);
    names.push(f.api_name);
  }
  return names;
}

/** Forget cached metadata (of one client, or of one client's module). */
export function clearMetadataCache(client: ZohoClient, module?: string): void {
  const cache = caches.get(client);
  if (!cache) return;
  if (module === undefined) cache.clear();
  else cache.delete(`fields:${module}`);
}

function isNamed(item: unknown): boolean {
  return !!item && typeof item === "object" && typeof (item as { api_name?: unknown }).api_name === "string";
}

/**
 * The shared fetch runs without any caller's signal (one caller giving up must not fail the
 * others); each caller stops waiting when its own signal aborts.
 */
function cached<T>(client: ZohoClient, key: string, opts: MetadataOptions, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(client);
  if (!cache) {
    cache = new Map();
    caches.set(client, cache);
  }
  const now = Date.now();
  let entry = cache.get(key);
  if (!entry || entry.expires <= now || opts.refresh) {
    const value = load();
    const fresh: CacheEntry = { expires: now + METADATA_TTL_MS, value };
    entry = fresh;
    cache.set(key, fresh);
    const owner = cache;
    value.catch(() => {
      if (owner.get(key) === fresh) owner.delete(key); // never cache a failure
    });
  }
  return untilAborted(entry.value as Promise<T>, opts.signal);
}
