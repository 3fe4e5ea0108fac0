/**
 * A record's attachments and its photo: uploads (multipart/form-data, field "file"), binary downloads, deletes.
 *
 *   GET    /crm/v8/{module}/{record_id}/Attachments      the list, through related.ts (paged as Get Records; fields
 *          required): {id, File_Name, Size (bytes, as a string), Parent_Id {module{api_name,id}, name, id}, Owner,
 *          Created_By, Modified_By, Created_Time, Modified_Time, $se_module, $type "Attachment", $file_id, $editable,
 *          $link_url} ("$" keys when asked for in fields)
 *   POST   /crm/v8/{module}/{record_id}/Attachments      upload one file -> 200
 *          {"data":[{"code":"SUCCESS","details":{Modified_Time, Modified_By, Created_Time, id, Created_By},
 *          "message":"attachment uploaded successfully","status":"success"}]}
 *   GET    /crm/v8/{module}/{record_id}/Attachments/{id} the file's bytes as uploaded (binary safe), Content-Type from the
 *          file name's extension (else the uploaded part's Content-Type, else application/octet-stream) and
 *          Content-Disposition: attachment; filename="…"
 *   DELETE /crm/v8/{module}/{record_id}/Attachments/{id} -> 200 {"data":[{"code":"SUCCESS","details":{"id"},
 *          "message":"record deleted","status":"success"}]}
 *   POST   /crm/v8/{module}/{record_id}/photo            upload the record's photo (an image) -> 200
 *          {"code":"SUCCESS","details":{},"message":"photo uploaded successfully","status":"success"} (no data wrapper)
 *   GET    /crm/v8/{module}/{record_id}/photo            its bytes (Content-Type by extension); 204 when it has none
 *   DELETE /crm/v8/{module}/{record_id}/photo            -> 200 {"code":"SUCCESS","details":{},"message":"photo deleted",…}
 *
 * Scopes: the module's READ always; attachments ZohoCRM.modules.attachments.{READ|CREATE|DELETE} (or .ALL / .WRITE, or
 * modules.ALL / modules.{op} / modules.WRITE); the photo, the module's READ to get it and UPDATE to change it.
 * The bytes live in memory (sim.attachmentFiles, sim.photos); sim.clearRecords() without a module and sim.reset() drop
 * them.
 *
 * Choices where the doc is silent or unsure:
 *   - Not multipart/form-data -> 415 MEDIA_TYPE_NOT_SUPPORTED; no "file" part with a filename -> 400 MANDATORY_NOT_FOUND
 *     {"param_name":"file"} "required param not found" (as the bulk upload, bulk-write.ts); over 20 MB -> 413
 *     FILE_TOO_LARGE. A link attachment (attachmentUrl) is not simulated.
 *   - An unknown attachment id, or one of another record -> 400 INVALID_DATA {"resource_path_index":3}.
 *   - A photo must be a .jpg, .jpeg, .png, .gif or .bmp file, else 400 INVALID_DATA {"param_name":"file"}.
 *   - The upload answers 200 (not 201) and does not change the parent's Modified_Time.
 */
import { ModuleInput, ModuleStore } from "./store";
import { AUDIT_FIELDS } from "./metadata";
import { MultipartPart, multipartParts } from "./multipart";
import { ApiError, randomHex, requestMethodError } from "./util";
import { requireModuleScope } from "./accounts";
import { buildRecord } from "./data";
import { success } from "./writes";
import { visibleStore } from "./ui";
import { AccessRec, Ctx, Result, SimState, StoredFile, header } from "./state";

const MAX_FILE_BYTES = 20 * 1024 * 1024;
const ATTACHMENTS_MODULE_ID = "5725767000000002099";
const ATTACHMENTS: ModuleInput = {
  api_name: "Attachments",
  singular_label: "Attachment",
  plural_label: "Attachments",
  api_supported: false,
  display_field: "File_Name",
  fields: [
    { api_name: "Owner", data_type: "ownerlookup", field_label: "Attachment Owner" },
    { api_name: "File_Name", data_type: "text", read_only: true },
    { api_name: "Size", data_type: "text", read_only: true },
    { api_name: "Parent_Id", data_type: "lookup", read_only: true },
    ...AUDIT_FIELDS,
  ],
};
const TYPES: Record<string, string> = {
  txt: "text/plain",
  csv: "text/csv",
  html: "text/html",
  json: "application/json",
  xml: "application/xml",
  pdf: "application/pdf",
  zip: "application/zip",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
};
const IMAGES = ["png", "jpg", "jpeg", "gif", "bmp"];

/** A request under /crm/v8/{module}/{record_id}/… (here and related.ts): its scope checks, then its work (crm.ts
 *  charges the credit in between). */
export interface RecordRoute {
  authorize(at: AccessRec): void;
  run(): Result;
}

/** 400 INVALID_DATA unless the API sees record `id` of `parent`. */
export function mustHaveParent(sim: SimState, parent: ModuleStore, id: string): void {
  if (!visibleStore(sim, parent).byId.has(id)) throw new ApiError(400, "INVALID_DATA", { resource_path_index: 1 }, "the id given seems to be invalid");
}

/** The attachments' records (not a module the API lists on its own: only as a related list). */
export function attachmentStore(sim: SimState): ModuleStore {
  return (sim.attachmentRecords ??= new ModuleStore(ATTACHMENTS, ATTACHMENTS_MODULE_ID, BigInt(ATTACHMENTS_MODULE_ID) * 1000n));
}

function extension(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1].toLowerCase() : "";
}

/** The one file of an upload: 415 / 400 / 413 as the header says. */
function uploadedFile(ctx: Ctx): MultipartPart {
  const ct = header(ctx.headers, "content-type") ?? "";
  if (!/^multipart\/form-data/i.test(ct)) throw new ApiError(415, "MEDIA_TYPE_NOT_SUPPORTED", {}, "Media type is not supported");
  const part = multipartParts(ctx.raw, ct).find((p) => p.name === "file" && p.filename !== undefined);
  if (!part) throw new ApiError(400, "MANDATORY_NOT_FOUND", { param_name: "file" }, "required param not found");
  if (part.data.length > MAX_FILE_BYTES) throw new ApiError(413, "FILE_TOO_LARGE", { maximum_size: "20MB" }, "The file size is too large to process.");
  return part;
}

function stored(part: MultipartPart): StoredFile {
  return { name: part.filename || "file", contentType: part.contentType ?? "", data: Buffer.from(part.data) };
}

/** The file as an HTTP answer: its bytes, Content-Type and Content-Disposition. */
function download(file: StoredFile): Result {
  const type = TYPES[extension(file.name)] ?? (file.contentType || "application/octet-stream");
  const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    status: 200,
    body: file.data,
    headers: { "Content-Type": type, "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}` },
  };
}

/** POST /{module}/{id}/Attachments, GET and DELETE /{module}/{id}/Attachments/{attachment_id}. */
export function attachmentRoute(sim: SimState, ctx: Ctx, parent: ModuleStore, id: string, attachmentId: string | undefined): RecordRoute {
  const store = attachmentStore(sim);
  const op = ctx.method === "GET" ? "READ" : ctx.method === "DELETE" ? "DELETE" : "CREATE";
  if (attachmentId === undefined ? ctx.method !== "POST" : op === "CREATE") throw requestMethodError();
  const authorize = (at: AccessRec) => {
    requireModuleScope(at, parent, "READ");
    requireModuleScope(at, store, op);
  };
  const mustHave = (attId: string) => {
    const rec = store.byId.get(attId);
    const file = sim.attachmentFiles.get(attId);
    if (!rec || !file || (rec.Parent_Id as { id?: string } | null)?.id !== id) {
      throw new ApiError(400, "INVALID_DATA", { resource_path_index: 3 }, "the id given seems to be invalid");
    }
    return file;
  };
  if (attachmentId === undefined) {
    return {
      authorize,
      run: () => {
        mustHaveParent(sim, parent, id);
        const part = uploadedFile(ctx);
        const now = sim.clock.now();
        const values = {
          File_Name: part.filename || "file",
          Size: String(part.data.length),
          Parent_Id: { module: { api_name: parent.apiName }, id },
          $type: "Attachment",
          $file_id: randomHex(32),
          $editable: true,
          $link_url: null,
        };
        const rec = buildRecord(sim, store, values, now, now);
        store.insert(rec);
        sim.attachmentFiles.set(rec.id, stored(part));
        return { status: 200, body: { data: [success(sim, rec, "attachment uploaded successfully", false)] } };
      },
    };
  }
  return {
    authorize,
    run: () => {
      mustHaveParent(sim, parent, id);
      const file = mustHave(attachmentId);
      if (op === "READ") return download(file);
      store.remove(attachmentId);
      sim.attachmentFiles.delete(attachmentId);
      return { status: 200, body: { data: [{ code: "SUCCESS", details: { id: attachmentId }, message: "record deleted", status: "success" }] } };
    },
  };
}

/** GET, POST and DELETE /{module}/{id}/photo. */
export function photoRoute(sim: SimState, ctx: Ctx, parent: ModuleStore, id: string): RecordRoute {
  if (!["GET", "POST", "DELETE"].includes(ctx.method)) throw requestMethodError();
  const key = `${parent.apiName}/${id}`;
  return {
    authorize: (at) => requireModuleScope(at, parent, ...(ctx.method === "GET" ? (["READ"] as const) : (["READ", "UPDATE"] as const))),
    run: () => {
      mustHaveParent(sim, parent, id);
      if (ctx.method === "GET") {
        const photo = sim.photos.get(key);
        return photo ? download(photo) : { status: 204 };
      }
      if (ctx.method === "DELETE") {
        sim.photos.delete(key);
        return { status: 200, body: { code: "SUCCESS", details: {}, message: "photo deleted", status: "success" } };
      }
      const part = uploadedFile(ctx);
      if (!IMAGES.includes(extension(part.filename ?? ""))) {
        throw new ApiError(400, "INVALID_DATA", { param_name: "file", supported_values: IMAGES }, "the file type is not supported for a photo");
      }
      sim.photos.set(key, stored(part));
      return { status: 200, body: { code: "SUCCESS", details: {}, message: "photo uploaded successfully", status: "success" } };
    },
  };
}
