/**
 * Metadata, org and users endpoints (the demo modules themselves are defined in metadata.ts).
 *
 *   GET    /crm/v8/settings/modules[/{api_name}], /crm/v8/settings/fields?module=X, /crm/v8/org, /crm/v8/users?type=CurrentUser
 *   (GET /crm/v8/settings/related_lists?module=X: related.ts)
 */
import { ModuleStore, FieldMeta, jsonTypeOf } from "./store";
import { ApiError } from "./util";
import { resolveModule } from "./data";
import { Result, SimState } from "./state";

function moduleBody(m: ModuleStore): Record<string, unknown> {
  const d = m.def;
  return {
    api_name: m.apiName,
    module_name: d.module_name ?? m.apiName,
    singular_label: d.singular_label ?? m.apiName,
    plural_label: d.plural_label ?? m.apiName,
    id: m.id,
    api_supported: m.apiSupported,
    generated_type: d.generated_type ?? "default",
    creatable: m.apiSupported,
    editable: m.apiSupported,
    deletable: m.apiSupported,
    viewable: true,
    status: "visible",
    show_as_tab: true,
    modified_time: null,
    profiles: [{ name: "Administrator", id: "5725767000000026011" }],
  };
}

export function settingsModules(sim: SimState, name?: string): Result {
  if (name) {
    const m = sim.modules.get(name.toLowerCase());
    if (!m) throw new ApiError(400, "INVALID_MODULE", { resource_path_index: 2 }, "the module name given seems to be invalid");
    return { status: 200, body: { modules: [moduleBody(m)] } };
  }
  return { status: 200, body: { modules: [...sim.modules.values()].map((m) => moduleBody(m)) } };
}

function fieldBody(sim: SimState, store: ModuleStore, f: FieldMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {
    api_name: f.api_name,
    field_label: f.field_label,
    display_label: f.field_label,
    data_type: f.data_type,
    json_type: jsonTypeOf(f.kind, f.data_type),
    id: f.id,
    length: f.length,
    system_mandatory: f.system_mandatory,
    read_only: f.read_only,
    field_read_only: f.read_only,
    visible: true,
    // Zoho returns `unique` as an object: {} when not unique, {"casesensitive":"0"} when unique
    unique: f.unique ? { casesensitive: "0" } : {},
    sortable: f.sortable,
    searchable: true,
    filterable: true,
    custom_field: f.custom_field,
    operation_type: { web_update: !f.read_only, api_create: !f.read_only, web_create: !f.read_only, api_update: !f.read_only },
  };
  if (f.pick_list_values) {
    out.pick_list_values = f.pick_list_values.map((v, i) => ({ display_value: v, actual_value: v, id: `${f.id}${i}`, type: "used", colour_code: null }));
  }
  if (f.kind === "lookup" && f.lookup_module) {
    const target = sim.modules.get(f.lookup_module.toLowerCase());
    out.lookup = { module: { api_name: f.lookup_module, id: target?.id ?? null }, display_label: f.field_label, api_name: f.api_name };
  }
  return out;
}

/** The module a settings call names in ?module= (REQUIRED_PARAM_MISSING / INVALID_MODULE). */
export function moduleParam(sim: SimState, q: Record<string, string>): ModuleStore {
  if (!q.module) throw new ApiError(400, "REQUIRED_PARAM_MISSING", { param_name: "module" }, "One of the expected parameter is missing");
  return resolveModule(sim, q.module, true);
}

export function settingsFields(sim: SimState, q: Record<string, string>): Result {
  const store = moduleParam(sim, q);
  return { status: 200, body: { fields: store.fields.map((f) => fieldBody(sim, store, f)) } };
}

function userBody(sim: SimState): Record<string, unknown> {
  return {
    id: sim.user.id,
    full_name: sim.user.full_name,
    first_name: sim.user.first_name,
    last_name: sim.user.last_name,
    email: sim.user.email,
    role: { name: "CEO", id: "5725767000000026005" },
    profile: { name: "Administrator", id: "5725767000000026011" },
    status: "active",
    confirm: true,
    time_zone: sim.timeZone,
    locale: "en_US",
    country: "IN",
    zuid: "60012345001",
  };
}

export function usersList(sim: SimState, id: string | undefined, q: Record<string, string>): Result {
  if (id && id !== sim.user.id) throw new ApiError(400, "INVALID_DATA", { id }, "the id given seems to be invalid");
  const type = q.type ?? "AllUsers";
  if (["DeactiveUsers", "NotConfirmedUsers", "DeletedUsers"].includes(type)) return { status: 204 };
  return { status: 200, body: { users: [userBody(sim)], info: { per_page: 200, count: 1, page: 1, more_records: false } } };
}

export function orgBody(sim: SimState): Record<string, unknown> {
  return {
    id: sim.org.id,
    company_name: "Zylker (simulated)",
    alias: "zylker",
    domain_name: sim.org.domain_name,
    primary_email: sim.user.email,
    primary_zuid: "60012345001",
    zgid: sim.org.zgid,
    time_zone: sim.timeZone,
    currency: "US Dollar - USD",
    iso_code: "USD",
    currency_symbol: "$",
    country_code: "US",
    country: "United States",
    type: "production",
    mc_status: false,
    gapps_enabled: false,
    license_details: {
      paid: true,
      paid_type: "enterprise",
      paid_expiry: "2030-12-31T23:59:59+05:30",
      users_license_purchased: 20,
      trial_type: null,
      trial_expiry: null,
      trial_action: null,
    },
  };
}
