/**
 * CRM API routing: concurrency limit, authentication, scope checks and credits, then the area handlers.
 *
 * CRM API (base /crm/v8, header "Authorization: Zoho-oauthtoken <token>")
 *   reads (list, get one, count, search, deleted)   records.ts
 *   POST /crm/v8/coql                               coql-api.ts
 *   writes (insert, update, upsert, delete)         writes.ts
 *   settings/modules, settings/fields, org, users   metadata-api.ts
 *   related records, settings/related_lists, notes under a record    related.ts
 *   attachments (upload, download, delete), record photo             files.ts
 *   GET/POST/PUT/PATCH/DELETE /crm/v8/actions/watch notifications.ts
 *   /crm/bulk/v8/read|write…, POST /crm/v8/upload, bulk write results  bulk-api.ts (bulk-read.ts, bulk-write.ts)
 *
 * Reads go to the records as the API sees them (ui.ts visibleStore: sim.ui changes made with visibleAfterMs stay
 * hidden for a while); writes go to the stored records.
 */
import { errorBody, requestMethodError, urlPatternError } from "./util";
import { authenticate, requireModuleScope, requireScope, requireSettingsScope } from "./accounts";
import { charge } from "./control";
import { resolveModule } from "./data";
import { countRecords, deletedList, getOne, list, search } from "./records";
import { coql } from "./coql-api";
import { deleteRecords, write } from "./writes";
import { orgBody, settingsFields, settingsModules, usersList } from "./metadata-api";
import { watch, watchScopes } from "./notifications";
import { visibleStore } from "./ui";
import { bulkRoute, processBulk } from "./bulk-api";
import { recordRoute, settingsRelatedLists } from "./related";
import { Ctx, Result, SimState } from "./state";

export function processCrm(sim: SimState, ctx: Ctx): Result {
  const limit = sim.opts.concurrencyLimit;
  if (limit > 0 && sim.inFlight - sim.deskInFlight > limit) {
    return { status: 429, body: errorBody("TOO_MANY_REQUESTS", {}, "too many requests: concurrency limit exceeded") };
  }
  const bulk = bulkRoute(ctx.path);
  if (bulk) return processBulk(sim, ctx, authenticate(sim, ctx), bulk);
  const m = /^\/crm\/v8\/(.+)$/.exec(ctx.path);
  const notFound = urlPatternError();
  if (!m) throw notFound;
  const segs = m[1].split("/");
  while (segs.length && segs[segs.length - 1] === "") segs.pop();
  if (!segs.length || segs.some((s) => s === "")) throw notFound;
  const at = authenticate(sim, ctx);
  let headers: Record<string, string> = {};
  const withCredits = (r: Result): Result => ({ ...r, headers: { ...(r.headers ?? {}), ...headers } });
  const method = ctx.method;
  const badMethod = requestMethodError;
  const [s0, s1, s2] = segs;

  if (s0 === "coql") {
    if (segs.length !== 1) throw notFound;
    if (method !== "POST") throw badMethod();
    requireScope(at, ["ZohoCRM.coql.READ", "ZohoCRM.coql.ALL"]);
    headers = charge(sim);
    return withCredits(coql(sim, ctx, at));
  }
  if (s0 === "actions") {
    if (s1 !== "watch" || segs.length !== 2) throw notFound;
    if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(method)) throw badMethod();
    requireScope(at, watchScopes(method));
    headers = charge(sim);
    return withCredits(watch(sim, ctx));
  }
  if (s0 === "settings") {
    if (method !== "GET") throw badMethod();
    if (s1 === "modules" && segs.length <= 3) {
      requireSettingsScope(at, "modules");
      headers = charge(sim);
      return withCredits(settingsModules(sim, s2));
    }
    if (s1 === "fields" && segs.length === 2) {
      requireSettingsScope(at, "fields");
      headers = charge(sim);
      return withCredits(settingsFields(sim, ctx.query));
    }
    if (s1 === "related_lists" && segs.length === 2) {
      requireSettingsScope(at, "related_lists");
      headers = charge(sim);
      return withCredits(settingsRelatedLists(sim, ctx.query));
    }
    throw notFound;
  }
  if (s0 === "org") {
    if (segs.length !== 1) throw notFound;
    if (method !== "GET") throw badMethod();
    requireScope(at, ["ZohoCRM.org.ALL", "ZohoCRM.org.READ"]);
    headers = charge(sim);
    return withCredits({ status: 200, body: { org: [orgBody(sim)] } });
  }
  if (s0 === "users") {
    if (segs.length > 2) throw notFound;
    if (method !== "GET") throw badMethod();
    requireScope(at, ["ZohoCRM.users.ALL", "ZohoCRM.users.READ"]);
    headers = charge(sim);
    return withCredits(usersList(sim, s1, ctx.query));
  }

  const store = resolveModule(sim, s0);
  if (segs.length === 1) {
    switch (method) {
      case "GET":
        requireModuleScope(at, store, "READ");
        headers = charge(sim);
        return withCredits(list(sim, visibleStore(sim, store), ctx));
      case "POST":
        requireModuleScope(at, store, "CREATE");
        headers = charge(sim);
        return withCredits(write(sim, store, "insert", ctx));
      case "PUT":
        requireModuleScope(at, store, "UPDATE");
        headers = charge(sim);
        return withCredits(write(sim, store, "update", ctx));
      case "DELETE":
        requireModuleScope(at, store, "DELETE");
        headers = charge(sim);
        return withCredits(deleteRecords(sim, store, ctx.query.ids, ctx.query));
      default:
        throw badMethod();
    }
  }
  if (segs.length === 2) {
    if (s1 === "upsert") {
      if (method !== "POST") throw badMethod();
      requireModuleScope(at, store, "CREATE", "UPDATE");
      headers = charge(sim);
      return withCredits(write(sim, store, "upsert", ctx));
    }
    if (s1 === "search") {
      if (method !== "GET") throw badMethod();
      requireModuleScope(at, store, "READ");
      requireScope(at, ["ZohoSearch.securesearch.READ", "ZohoSearch.securesearch.ALL"]);
      headers = charge(sim);
      return withCredits(search(visibleStore(sim, store), ctx.query));
    }
    if (s1 === "deleted") {
      if (method !== "GET") throw badMethod();
      requireModuleScope(at, store, "READ");
      headers = charge(sim);
      return withCredits(deletedList(sim, store, ctx));
    }
    if (s1 === "actions") throw notFound;
    switch (method) {
      case "GET":
        requireModuleScope(at, store, "READ");
        headers = charge(sim);
        return withCredits(getOne(visibleStore(sim, store), s1, ctx.query));
      case "PUT":
        requireModuleScope(at, store, "UPDATE");
        headers = charge(sim);
        return withCredits(write(sim, store, "update", ctx, s1));
      case "DELETE":
        requireModuleScope(at, store, "DELETE");
        headers = charge(sim);
        return withCredits(deleteRecords(sim, store, s1, ctx.query));
      default:
        throw badMethod();
    }
  }
  if (segs.length === 3 && s1 === "actions" && s2 === "count") {
    if (method !== "GET") throw badMethod();
    requireModuleScope(at, store, "READ");
    headers = charge(sim);
    return withCredits(countRecords(visibleStore(sim, store), ctx.query));
  }
  if (segs.length >= 3 && /^\d+$/.test(s1)) {
    const route = recordRoute(sim, ctx, store, s1, segs.slice(2));
    route.authorize(at);
    headers = charge(sim);
    return withCredits(route.run());
  }
  throw notFound;
}
