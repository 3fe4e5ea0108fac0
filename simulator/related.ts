/**
 * Related records (§4): a record's related lists, the records in them, and notes added under a record.
 *
 *   GET  /crm/v8/settings/related_lists?module={module}
 *        {"related_lists":[{id, sequence_number, api_name, display_label, name, module:{api_name,id},
 *        href:"{module}/{ENTITYID}/{api_name}", type:"default", action:null, connectedmodule:null, linkingmodule:null,
 *        visible:true}]}. No module -> 400 REQUIRED_PARAM_MISSING {param_name:"module"}; unknown -> 400 INVALID_MODULE.
 *        Scope ZohoCRM.settings.ALL / .READ / .related_lists.ALL / .related_lists.READ.
 *   GET  /crm/v8/{module}/{record_id}/{related_list_api_name}
 *        the related records, paged exactly as Get Records (records.ts list, the same code): fields required (at most 50),
 *        page, per_page (<= 200), page_token past 2,000, ids, sort_by, sort_order, converted, If-Modified-Since; 204 when
 *        none. Its page_token is bound to the parent record and the list as well. Scope: the module's READ and the
 *        related module's READ (Attachments: ZohoCRM.modules.attachments.READ, or modules.ALL / modules.READ).
 *   POST /crm/v8/{module}/{record_id}/Notes
 *        notes under the record, body {"data":[{"Note_Title":…,"Note_Content":…}]}: each note gets Parent_Id = the record
 *        ($se_module = the module) and goes through the insert of POST /crm/v8/Notes (writes.ts), so the checks and the
 *        answer are an insert's (201 "record added", 207, 400). Scope: Notes CREATE (ZohoCRM.modules.notes.*,
 *        modules.ALL / CREATE / WRITE) and the module's READ.
 *   POST /crm/v8/Notes works as any insert: Parent_Id {"module":{"api_name":"Leads"},"id":"…"}, or an id with
 *        "$se_module" (data.ts, any-module lookups).
 *   Attachments (upload, download, delete) and the record photo: files.ts.
 *
 * A module's related lists: those of its definition (ModuleInput.related_lists; the demo's Accounts -> Contacts and
 * Deals by their Account_Name, Contacts -> Deals by Contact_Name), then Notes (when a Notes module exists) and
 * Attachments, for every module but Notes.
 *
 * Choices where the doc is silent or unsure:
 *   - An unknown related list -> 400 INVALID_DATA {"resource_path_index":2} "the related list name given seems to be
 *     invalid" (not 404: the URL pattern is right, its value is not). Names are case-sensitive, as api_names are.
 *   - An unknown parent record -> 400 INVALID_DATA {"resource_path_index":1} "the id given seems to be invalid", checked
 *     after the scopes. resource_path_index counts the path segments after /crm/v8/ from 0, as INVALID_MODULE's does.
 *   - A verb a related list does not take (POST to Contacts, PUT, DELETE) -> 400 INVALID_REQUEST_METHOD.
 *   - related_lists gives `module` as v8's object {api_name, id} (older versions gave the api name as a string), and
 *     `href` keeps Zoho's {ENTITYID} placeholder.
 *   - cvid is not a related-records parameter: ignored.
 */
import { ModuleStore } from "./store";
import { ApiError, isPlainObject, requestMethodError, urlPatternError } from "./util";
import { requireModuleScope } from "./accounts";
import { list } from "./records";
import { write } from "./writes";
import { lookupId } from "./criteria";
import { visibleStore } from "./ui";
import { moduleParam } from "./metadata-api";
import { RecordRoute, attachmentRoute, attachmentStore, mustHaveParent, photoRoute } from "./files";
import { Ctx, Result, SimState, jsonBody } from "./state";

/** One related list of a module: the records of `store` whose lookup `field` points at the record. */
export interface RelatedList {
  api_name: string;
  display_label: string;
  store: ModuleStore;
  field: string;
}

export function relatedLists(sim: SimState, parent: ModuleStore): RelatedList[] {
  const out: RelatedList[] = [];
  for (const r of parent.def.related_lists ?? []) {
    const store = sim.modules.get(r.module.toLowerCase());
    if (store?.apiSupported && store.fieldMap.get(r.field)?.kind === "lookup") {
      out.push({ api_name: r.api_name, display_label: r.display_label ?? r.api_name, store, field: r.field });
    }
  }
  if (parent.apiName === "Notes") return out;
  const notes = sim.modules.get("notes");
  if (notes?.apiSupported) out.push({ api_name: "Notes", display_label: "Notes", store: notes, field: "Parent_Id" });
  out.push({ api_name: "Attachments", display_label: "Attachments", store: attachmentStore(sim), field: "Parent_Id" });
  return out;
}

export function settingsRelatedLists(sim: SimState, q: Record<string, string>): Result {
  const parent = moduleParam(sim, q);
  const related_lists = relatedLists(sim, parent).map((rl, i) => ({
    id: String(BigInt(parent.id) * 1000n + 900n + BigInt(i + 1)),
    sequence_number: String(i + 1),
    api_name: rl.api_name,
    display_label: rl.display_label,
    name: rl.api_name,
    module: { api_name: rl.store.apiName, id: rl.store.id },
    href: `${parent.apiName}/{ENTITYID}/${rl.api_name}`,
    type: "default",
    action: null,
    connectedmodule: null,
    linkingmodule: null,
    visible: true,
  }));
  return { status: 200, body: { related_lists } };
}

/** The route of /crm/v8/{parent}/{id}/{rest…}; throws at once for a path or verb no route takes. */
export function recordRoute(sim: SimState, ctx: Ctx, parent: ModuleStore, id: string, rest: string[]): RecordRoute {
  const [name, sub] = rest;
  if (name === "photo" ? rest.length !== 1 : rest.length > 2) throw urlPatternError();
  if (name === "photo") return photoRoute(sim, ctx, parent, id);
  const rl = relatedLists(sim, parent).find((l) => l.api_name === name);
  if (!rl) throw new ApiError(400, "INVALID_DATA", { resource_path_index: 2 }, "the related list name given seems to be invalid");
  if (rl.store === sim.attachmentRecords && (sub !== undefined || ctx.method !== "GET")) return attachmentRoute(sim, ctx, parent, id, sub);
  if (sub !== undefined) throw urlPatternError();
  if (ctx.method === "GET") {
    return {
      authorize: (at) => {
        requireModuleScope(at, parent, "READ");
        requireModuleScope(at, rl.store, "READ");
      },
      run: () => relatedRecords(sim, ctx, parent, id, rl),
    };
  }
  if (ctx.method === "POST" && rl.api_name === "Notes") {
    return {
      authorize: (at) => {
        requireModuleScope(at, parent, "READ");
        requireModuleScope(at, rl.store, "CREATE");
      },
      run: () => notesUnder(sim, ctx, parent, id, rl.store),
    };
  }
  throw requestMethodError();
}

function relatedRecords(sim: SimState, ctx: Ctx, parent: ModuleStore, id: string, rl: RelatedList): Result {
  mustHaveParent(sim, parent, id);
  const { cvid: _ignored, ...query } = ctx.query;
  const scope = { key: `${parent.apiName}/${id}/${rl.api_name}`, filter: (r: Record<string, unknown>) => lookupId(r[rl.field]) === id };
  return list(sim, visibleStore(sim, rl.store), { ...ctx, query }, scope);
}

function notesUnder(sim: SimState, ctx: Ctx, parent: ModuleStore, id: string, notes: ModuleStore): Result {
  mustHaveParent(sim, parent, id);
  const body = jsonBody(ctx);
  if (isPlainObject(body) && Array.isArray(body.data)) {
    for (const note of body.data) {
      if (!isPlainObject(note)) continue;
      note.Parent_Id = { module: { api_name: parent.apiName }, id };
      note.$se_module = parent.apiName;
    }
  }
  return write(sim, notes, "insert", { ...ctx, raw: Buffer.from(JSON.stringify(body)) });
}
