/**
 * The one HTTP route on RED.httpNode that receives Zoho's watch-channel callbacks for every
 * zoho-crm-trigger node: POST <httpNodeRoot>/zoho-crm/notify/<node id>. It checks the channel id
 * and token in constant time (403 and nothing sent on when they do not match), answers 200 at
 * once, and hands the notification to the node, which fetches the records itself.
 */
import type { NodeAPI } from "node-red";
import type { Request, Response } from "express";
import { Notification, WatchChannel, callbackMatches, parseNotification } from "../zoho";

export const NOTIFY_PATH = "/zoho-crm/notify";
/** Zoho's callbacks are small (ids only); anything larger is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface NotifyTarget {
  /** The channel this node made, or undefined while it has none. */
  channel(): Pick<WatchChannel, "channelId" | "token"> | undefined;
  notify(notification: Notification): void;
}

const targets = new Map<string, NotifyTarget>();
const registeredApps = new WeakSet<object>();

export function addNotifyTarget(nodeId: string, target: NotifyTarget): void {
  targets.set(nodeId, target);
}

export function removeNotifyTarget(nodeId: string, target: NotifyTarget): void {
  if (targets.get(nodeId) === target) targets.delete(nodeId);
}

/** `publicUrl` + httpNodeRoot + /zoho-crm/notify/<id>, or undefined when there is no usable public URL. */
export function notifyUrl(publicUrl: string, httpNodeRoot: unknown, nodeId: string): string | undefined {
  let base: URL;
  try {
    base = new URL(publicUrl.trim());
  } catch {
    return undefined;
  }
  if ((base.protocol !== "https:" && base.protocol !== "http:") || base.username || base.password || base.search || base.hash) return undefined;
  const root = typeof httpNodeRoot === "string" ? httpNodeRoot : "/";
  const path = [base.pathname, root, NOTIFY_PATH, encodeURIComponent(nodeId)]
    .join("/")
    .replace(/\/{2,}/g, "/");
  return `${base.protocol}//${base.host}${path}`;
}

/** Register the route once per HTTP app (the runtime's, or each test helper load's). */
export function registerNotifyRoute(RED: NodeAPI): void {
  const app = RED.httpNode as unknown as { post?: (path: string, handler: (req: Request, res: Response) => void) => void } | undefined;
  if (!app || typeof app.post !== "function" || registeredApps.has(app)) return;
  registeredApps.add(app);
  app.post(`${NOTIFY_PATH}/:id`, (req, res) => {
    readBody(req)
      .then((body) => answer(String(req.params.id ?? ""), body, res))
      .catch(() => {
        if (!res.headersSent) res.status(400).end();
      });
  });
}

/** What the route does with one callback; exported so node-level tests can call it without HTTP. */
export function answer(nodeId: string, body: unknown, res: { status(code: number): { end(): void } }): void {
  const target = targets.get(nodeId);
  const notification = parseNotification(body);
  const channel = target?.channel();
  if (!target || !channel) {
    res.status(404).end();
    return;
  }
  if (!notification || !callbackMatches(channel, notification)) {
    res.status(403).end();
    return;
  }
  res.status(200).end(); // at once: the records are fetched afterwards
  target.notify(notification);
}

/** The JSON body, whether or not a body parser ran before us. */
function readBody(req: Request): Promise<unknown> {
  // A body parser of the user's (httpNodeMiddleware) may have read the stream already.
  if (req.readableEnded && req.body !== undefined) {
    return Promise.resolve(typeof req.body === "string" || Buffer.isBuffer(req.body) ? JSON.parse(String(req.body)) : req.body);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}
