// Realistic demo data for seedRecords(module, n).
import { ModuleStore, FieldMeta } from "./store";
import { pick, isoDate, isoTime } from "./util";
import { LEAD_SOURCES, LEAD_STATUSES, INDUSTRIES, RATINGS, SALUTATIONS, LANGUAGES, STAGES, ACCOUNT_TYPES, PROJECT_STATUSES } from "./metadata";

const FIRST = [
  "Patricia", "Steve", "Kate", "Christopher", "Carissa", "James", "Felix", "Donette", "Simon", "Leota", "Sage", "Kris",
  "Minna", "Abel", "Kiley", "Graciela", "Cammy", "Mattie", "Meaghan", "Gladys", "Yuki", "Fletcher", "Bette", "Veronika",
  "Willard", "Maryann", "Alisha", "Allene", "Chanel", "Ezekiel", "Willow", "Bernardo", "Ammie", "Francine", "Ernie",
  "Albina", "Alishia", "Solange", "Jose", "Rozella", "Priya", "Arjun", "Zoë", "Renée", "Łukasz", "Siobhán",
];
const LAST = [
  "Boyle", "Burns", "Morasca", "Tromblay", "Foller", "Butt", "Darakjy", "Venere", "Paprocki", "Kaufman", "Rim", "Ruta",
  "Albares", "Poquette", "Garufi", "Gaucho", "Rhym", "Whobrey", "Tollner", "Dilliard", "Wieser", "Marrier", "Amigon",
  "Maclead", "Caldarera", "Ruta", "Albares", "Kines", "Tommy", "Sergi", "O'Brien", "O'Reilly", "Smith-Jones", "García",
  "Müller", "Nakamura", "Sharma", "Iyer", "Kowalski", "Dubois",
];
const COMPANY_A = ["Zylker", "Chemel", "Feltz Printing", "Printing Dimensions", "Chapman", "Morlong", "Commercial Press", "Truhlar", "King", "Dorl", "Rangoni", "Feiner Bros", "Buckley Miller", "Rousseaux", "Century Communications", "Ingersoll", "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"];
const COMPANY_B = ["Inc", "LLC", "Ltd", "Corp", "Associates", "Group", "& Sons", "GmbH", "Pvt Ltd", "(UK) Ltd", "Partners, LLP"];
const CITIES: Array<[string, string, string]> = [
  ["New York", "NY", "United States"], ["Chicago", "IL", "United States"], ["Austin", "TX", "United States"],
  ["San Francisco", "CA", "United States"], ["London", "England", "United Kingdom"], ["Berlin", "Berlin", "Germany"],
  ["Chennai", "Tamil Nadu", "India"], ["Pune", "Maharashtra", "India"], ["Tokyo", "Tokyo", "Japan"], ["Sydney", "NSW", "Australia"],
  ["Toronto", "ON", "Canada"], ["Paris", "Île-de-France", "France"],
];
const TITLES = ["CEO", "CTO", "VP Sales", "Sales Manager", "Purchasing Manager", "Head of IT", "Marketing Director", "Office Manager", "Engineer", "Consultant"];
const STREETS = ["Main St", "Oak Ave", "Park Rd", "2nd Street", "Lake View", "Market St", "High Street", "MG Road"];
const PROJECT_WORDS = ["Website Revamp", "CRM Rollout", "Data Migration", "Mobile App", "Onboarding", "Audit", "ERP Integration", "Training", "Support Desk", "Analytics"];

export interface GenContext {
  /** global sequence number for uniqueness */
  seq: number;
  /** pick an existing record id of another module (for lookups), or undefined */
  lookupId: (module: string) => string | undefined;
  now: number;
  /** the org's UTC offset in minutes (datetimes and dates are written in it) */
  utcOffset: number;
}

function phone(rnd: () => number): string {
  const d = () => Math.floor(rnd() * 10);
  return `555-${d()}${d()}${d()}-${d()}${d()}${d()}${d()}`;
}

const slugCache = new Map<string, string>();
function slug(s: string): string {
  let hit = slugCache.get(s);
  if (hit === undefined) {
    hit = slugRaw(s);
    if (slugCache.size < 10000) slugCache.set(s, hit);
  }
  return hit;
}

function slugRaw(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ł/g, "l")
    .replace(/Ł/g, "L")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
}

function company(rnd: () => number): string {
  return `${pick(rnd, COMPANY_A)} ${pick(rnd, COMPANY_B)}`;
}

function someOf(rnd: () => number, values: readonly string[]): string[] {
  const out = values.filter(() => rnd() < 0.35);
  return out.length ? out : [values[0]];
}

/** Value for a field with no specific rule. */
export function genericValue(f: FieldMeta, rnd: () => number, ctx: GenContext): unknown {
  switch (f.data_type) {
    case "email":
      return `${slug(f.api_name)}.${ctx.seq}@example.com`;
    case "phone":
      return phone(rnd);
    case "website":
      return `https://www.example${ctx.seq}.com`;
    case "integer":
    case "bigint":
      return Math.floor(rnd() * 1000);
    case "currency":
    case "double":
    case "decimal":
      return Math.round(rnd() * 1000000) / 100;
    case "percent":
      return Math.floor(rnd() * 100);
    case "boolean":
      return rnd() < 0.5;
    case "date":
      return isoDate(ctx.now - Math.floor(rnd() * 400) * 86400000, ctx.utcOffset);
    case "datetime":
      return isoTime(ctx.now - Math.floor(rnd() * 400 * 86400) * 1000, ctx.utcOffset);
    case "picklist":
      return f.pick_list_values?.length ? pick(rnd, f.pick_list_values) : "Option 1";
    case "multiselectpicklist":
      return f.pick_list_values?.length ? someOf(rnd, f.pick_list_values) : ["Option 1"];
    case "textarea":
      return `Generated note ${ctx.seq}`;
    case "lookup": {
      const id = f.lookup_module ? ctx.lookupId(f.lookup_module) : undefined;
      return id ? { id } : null;
    }
    case "ownerlookup":
    case "userlookup":
      return undefined; // system fills Owner
    default:
      return `${f.field_label} ${ctx.seq}`;
  }
}

/** User-visible field values for one generated record (system fields are added by the simulator). */
export function generateRecord(store: ModuleStore, rnd: () => number, ctx: GenContext): Record<string, unknown> {
  const seq = ctx.seq;
  const first = pick(rnd, FIRST);
  const last = pick(rnd, LAST);
  const [city, state, country] = pick(rnd, CITIES);
  const email = `${slug(first)}.${slug(last)}.${seq}@${slug(pick(rnd, COMPANY_A))}.example.com`;
  switch (store.apiName) {
    case "Leads":
      return {
        Salutation: pick(rnd, SALUTATIONS),
        First_Name: first,
        Last_Name: last,
        Designation: pick(rnd, TITLES),
        Company: company(rnd),
        Email: email,
        Phone: phone(rnd),
        Mobile: phone(rnd),
        Website: `https://www.${slug(last)}${seq}.example.com`,
        Lead_Source: pick(rnd, LEAD_SOURCES),
        Lead_Status: pick(rnd, LEAD_STATUSES),
        Industry: pick(rnd, INDUSTRIES),
        No_of_Employees: 1 + Math.floor(rnd() * 5000),
        Annual_Revenue: Math.floor(rnd() * 500) * 10000,
        Rating: pick(rnd, RATINGS),
        Email_Opt_Out: rnd() < 0.1,
        Street: `${1 + Math.floor(rnd() * 999)} ${pick(rnd, STREETS)}`,
        City: city,
        State: state,
        Zip_Code: String(10000 + Math.floor(rnd() * 89999)),
        Country: country,
        Languages_Known: someOf(rnd, LANGUAGES),
        Lead_Score: Math.floor(rnd() * 100),
        Region: country === "United States" || country === "Canada" ? "NA" : country === "India" || country === "Japan" || country === "Australia" ? "APAC" : "EMEA",
        Interest_Level: pick(rnd, ["Low", "Medium", "High"]),
      };
    case "Contacts":
      return {
        Salutation: pick(rnd, SALUTATIONS),
        First_Name: first,
        Last_Name: last,
        Account_Name: (() => {
          const id = ctx.lookupId("Accounts");
          return id ? { id } : null;
        })(),
        Email: email,
        Title: pick(rnd, TITLES),
        Department: pick(rnd, ["Sales", "Marketing", "IT", "Finance", "Operations"]),
        Phone: phone(rnd),
        Mobile: phone(rnd),
        Date_of_Birth: isoDate(Date.UTC(1960 + Math.floor(rnd() * 40), Math.floor(rnd() * 12), 1 + Math.floor(rnd() * 28))),
        Lead_Source: pick(rnd, LEAD_SOURCES),
        Email_Opt_Out: rnd() < 0.1,
        Mailing_Street: `${1 + Math.floor(rnd() * 999)} ${pick(rnd, STREETS)}`,
        Mailing_City: city,
        Mailing_State: state,
        Mailing_Zip: String(10000 + Math.floor(rnd() * 89999)),
        Mailing_Country: country,
        Languages_Known: someOf(rnd, LANGUAGES),
      };
    case "Accounts":
      return {
        Account_Name: `${pick(rnd, COMPANY_A)} ${seq} ${pick(rnd, COMPANY_B)}`,
        Account_Number: String(100000 + seq),
        Account_Type: pick(rnd, ACCOUNT_TYPES),
        Industry: pick(rnd, INDUSTRIES),
        Annual_Revenue: Math.floor(rnd() * 1000) * 10000,
        Employees: 1 + Math.floor(rnd() * 20000),
        Rating: pick(rnd, RATINGS),
        Phone: phone(rnd),
        Website: `https://www.account${seq}.example.com`,
        Billing_Street: `${1 + Math.floor(rnd() * 999)} ${pick(rnd, STREETS)}`,
        Billing_City: city,
        Billing_State: state,
        Billing_Country: country,
      };
    case "Deals": {
      const acc = ctx.lookupId("Accounts");
      const con = ctx.lookupId("Contacts");
      const stage = pick(rnd, STAGES);
      return {
        Deal_Name: `${pick(rnd, PROJECT_WORDS)} deal ${seq}`,
        Amount: Math.floor(rnd() * 10000) * 10,
        Closing_Date: isoDate(ctx.now + Math.floor(rnd() * 180 - 60) * 86400000, ctx.utcOffset),
        Account_Name: acc ? { id: acc } : null,
        Contact_Name: con ? { id: con } : null,
        Stage: stage,
        Type: pick(rnd, ["Existing Business", "New Business"]),
        Probability: stage === "Closed Won" ? 100 : stage === "Closed Lost" ? 0 : 10 + Math.floor(rnd() * 80),
        Lead_Source: pick(rnd, LEAD_SOURCES),
        Pipeline: "Standard (Standard)",
      };
    }
    case "Projects": {
      const acc = ctx.lookupId("Accounts");
      const start = ctx.now - Math.floor(rnd() * 200) * 86400000;
      return {
        Name: `${pick(rnd, PROJECT_WORDS)} #${seq}`,
        Email: `project.${seq}@zylker.example.com`,
        Status: pick(rnd, PROJECT_STATUSES),
        Budget: Math.floor(rnd() * 1000) * 100,
        Start_Date: isoDate(start, ctx.utcOffset),
        Due_Date: isoDate(start + Math.floor(30 + rnd() * 180) * 86400000, ctx.utcOffset),
        Progress: Math.floor(rnd() * 101),
        Account: acc ? { id: acc } : null,
      };
    }
    case "Notes": {
      // the parent: a record of the first of these modules that has any
      const module = ["Accounts", "Contacts", "Deals", "Leads"].find((m) => ctx.lookupId(m) !== undefined);
      return {
        Note_Title: `${pick(rnd, ["Call", "Meeting", "Follow-up", "Demo"])} notes ${seq}`,
        Note_Content: `Talked with ${first} ${last} about the ${pick(rnd, PROJECT_WORDS).toLowerCase()} plan.`,
        Parent_Id: module ? { module: { api_name: module }, id: ctx.lookupId(module) } : null,
      };
    }
    default: {
      const out: Record<string, unknown> = {};
      for (const f of store.fields) {
        if (f.read_only) continue;
        if (!f.system_mandatory && !f.unique && rnd() < 0.3) continue;
        const v = genericValue(f, rnd, ctx);
        if (v !== undefined) out[f.api_name] = v;
      }
      return out;
    }
  }
}
