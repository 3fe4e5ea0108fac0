/**
 * multipart/form-data bodies, binary-safe (Node built-ins only): the parts are cut out of the raw Buffer by their
 * boundary, so a file part (the bulk-write upload's ZIP) keeps its bytes. Used by the token endpoint's form bodies
 * (accounts.ts), by the request log (file parts summarised, never stored) and by POST /crm/v8/upload (bulk-write.ts).
 */

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const CRLF2 = Buffer.from("\r\n\r\n");

/** The parts of a multipart body; [] when the Content-Type names no boundary. Parts without a name are skipped. */
export function multipartParts(raw: Buffer, contentType: string): MultipartPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) return [];
  const delimiter = Buffer.from(`--${(m[1] ?? m[2]).trim()}`);
  const parts: MultipartPart[] = [];
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (raw[start] === 0x2d && raw[start + 1] === 0x2d) break; // "--": the closing delimiter
    const next = raw.indexOf(delimiter, start);
    const end = next < 0 ? raw.length : next;
    const headEnd = raw.indexOf(CRLF2, start);
    if (headEnd >= 0 && headEnd < end) {
      const head = raw.subarray(start, headEnd).toString("utf8");
      let body = raw.subarray(headEnd + 4, end);
      if (body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a) body = body.subarray(0, body.length - 2);
      const name = /name="([^"]*)"/i.exec(head.replace(/filename="[^"]*"/i, ""));
      const filename = /filename="([^"]*)"/i.exec(head);
      const type = /^content-type:\s*(.+)$/im.exec(head);
      if (name) parts.push({ name: name[1], filename: filename?.[1], contentType: type?.[1].trim(), data: body });
    }
    at = next;
  }
  return parts;
}

/** The fields of a multipart body as text, by name (the last one wins). */
export function multipartFields(raw: Buffer, contentType: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of multipartParts(raw, contentType)) out[p.name] = p.data.toString("utf8");
  return out;
}

/** The request log's view of a multipart body: text fields as text, files as "<file NAME, N bytes>". */
export function multipartSummary(raw: Buffer, contentType: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of multipartParts(raw, contentType)) {
    out[p.name] = p.filename === undefined ? p.data.toString("utf8") : `<file ${p.filename}, ${p.data.length} bytes>`;
  }
  return out;
}
