/**
 * The COQL request handler; the parser and engine live in coql.ts.
 *
 *   POST   /crm/v8/coql                     {"select_query":"…"}
 *
 * Choices where the doc is silent or unsure:
 *   - Search and COQL return ascending id order by default; search more_records stays true past 2,000 (the next page fails).
 *   - COQL "!=" / "not in" / "not like" do not match null values (SQL semantics); search "not_equal" does.
 */
import { parseCoql, runCoql } from "./coql";
import { ApiError, isPlainObject } from "./util";
import { requireModuleScope, requireSettingsScope } from "./accounts";
import { visibleStore } from "./ui";
import { AccessRec, Ctx, Result, SimState } from "./state";

export function coql(sim: SimState, ctx: Ctx, at: AccessRec): Result {
  let body: unknown;
  try {
    body = JSON.parse(ctx.raw.toString("utf8") || "null");
  } catch {
    throw new ApiError(400, "INVALID_DATA", {}, "body is not a valid JSON");
  }
  const query = isPlainObject(body) ? body.select_query : undefined;
  if (typeof query !== "string") throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "select_query" }, "One of the expected parameter is missing");
  const parsed = parseCoql(query, (name) => {
    const s = sim.modules.get(name.toLowerCase());
    return s && s.apiSupported ? visibleStore(sim, s) : undefined;
  });
  requireModuleScope(at, parsed.store, "READ");
  requireSettingsScope(at, "fields");
  const { rows, more } = runCoql(parsed);
  if (!rows.length) return { status: 204 };
  return { status: 200, body: { data: rows, info: { count: rows.length, more_records: more } } };
}
