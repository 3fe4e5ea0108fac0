/**
 * zoho-crm-trigger: starts a flow when records of a module are created, updated or deleted.
 * Polls Zoho every interval, or (instant mode) receives Zoho's watch-channel callbacks with a
 * catch-up poll. The change detection lives in zoho/changes.ts and zoho/notifications.ts; this file
 * reads the settings, keeps the position in the chosen context store (saved only after the
 * messages are sent), sends messages and shows the status.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, NodeMessageInFlow } from "node-red";
import {
  CHANGE_KINDS,
  ChangeEvent,
  ChangeKind,
  ChangePosition,
  Notification,
  RENEW_EVERY_MS,
  WatchChannel,
  WatchOperation,
  ZohoClient,
  ZohoError,
  changesByIds,
  disableWatch,
  enableWatch,
  invalidInput,
  listFields,
  listableFieldNames,
  newChannelId,
  newChannelToken,
  parseFieldList,
  pollChanges,
  renewWatch,
  startPosition,
  validPosition,
} from "./zoho";
import { asError, catalogTranslator, connectionClient, connectionNode, errorStatus, moduleName } from "./common/node-helpers";
import { addNotifyTarget, notifyUrl, registerNotifyRoute, removeNotifyTarget } from "./common/notify-route";

interface TriggerDef extends NodeDef {
  connection?: string;
  module?: string;
  events?: unknown;
  mode?: string;
  interval?: string | number;
  fields?: string;
  startFrom?: string;
  output?: string;
  store?: string;
  publicUrl?: string;
}

type Mode = "poll" | "instant";
type Output = "record" | "batch";

/** What the node keeps in its context store. */
interface Stored {
  /** The settings the position was started with: a different start or module starts afresh. */
  startFrom: string;
  position: ChangePosition;
  /** Instant mode: the channel this node made (kept so a restart renews it rather than making another). */
  channel?: { channelId: string; token: string; notifyUrl: string; expiresAt: number };
}

const CONTEXT_KEY = "zohoCrmTrigger";
const MIN_INTERVAL_S = 10;
/** Field list for "all fields": read once, then again after this long. */
const FIELDS_TTL_MS = 24 * 3600_000;

export = function register(RED: NodeAPI): void {
  function ZohoCrmTrigger(this: Node, def: TriggerDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = readSettings(def);
    const translator = catalogTranslator(RED);
    /** An error for Catch nodes and the log, in the runtime's language (its code kept). */
    const translate = (err: unknown) => asError(err, translator);
    const abort = new AbortController();
    let closing = false;
    let timer: NodeJS.Timeout | undefined;
    let renewTimer: NodeJS.Timeout | undefined;
    /** Everything that reads or moves the position runs one after the other. */
    let queue: Promise<void> = Promise.resolve();
    let stored: Stored | undefined;
    let allFields: { names: string[]; at: number } | undefined;
    let channelReady = false;
    let fallbackReason: string | undefined;
    const store = contextStore(RED, settings.store);

    const context = node.context();
    const load = () =>
      new Promise<unknown>((resolve, reject) => context.get(CONTEXT_KEY, store.name, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value))));
    const save = (value: Stored) =>
      new Promise<void>((resolve, reject) => context.set(CONTEXT_KEY, value, store.name, (err?: Error) => (err ? reject(err) : resolve())));

    const status = (fill: "green" | "yellow" | "red" | "blue" | "grey", shape: "dot" | "ring", key: string, params: Record<string, string | number> = {}) =>
      node.status({ fill, shape, text: RED._(`zoho-crm-trigger.status.${key}`, params) });

    /** Run `work` after everything queued before it; the queue never stops on an error. */
    const serially = (work: () => Promise<void>): Promise<void> => {
      const run = queue.then(work);
      queue = run.catch(() => undefined);
      return run;
    };

    const client = (): ZohoClient => connectionClient(RED, def.connection).client;

    /** The stored position, or a fresh one for this node's start setting. */
    async function position(): Promise<Stored> {
      if (stored) return stored;
      const saved = (await load()) as Stored | undefined;
      const valid = saved && saved.startFrom === settings.startFrom && validPosition(saved.position, settings.module);
      stored = valid ? saved : { startFrom: settings.startFrom, position: startPosition(settings.module, startMs(settings.startFrom)) };
      if (!valid) await save(stored);
      return stored;
    }

    async function fields(c: ZohoClient): Promise<string[]> {
      if (settings.fields.length) return settings.fields;
      if (!allFields || Date.now() - allFields.at > FIELDS_TTL_MS) {
        allFields = { names: listableFieldNames(await listFields(c, settings.module, { signal: abort.signal })), at: Date.now() };
      }
      return allFields.names;
    }

    function send(events: ChangeEvent[], source: "poll" | "notification"): void {
      if (events.length === 0) return;
      if (settings.output === "batch") {
        node.send({
          topic: settings.module,
          payload: events.map((e) => e.payload),
          zoho: { module: settings.module, source, count: events.length, events: events.map((e) => ({ event: e.kind, id: e.id, modifiedTime: e.time })) },
        } as NodeMessage);
        return;
      }
      for (const e of events) {
        node.send({ topic: `${e.module}.${e.kind}`, payload: e.payload, zoho: { module: e.module, event: e.kind, id: e.id, modifiedTime: e.time, source } } as NodeMessage);
      }
    }

    function showDone(count: number, source: "poll" | "notification"): void {
      const time = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
      const params = { count, time };
      if (settings.mode === "instant" && !channelReady) return status("yellow", "ring", "fallback", { ...params, reason: fallbackReason ?? "" });
      const key = source === "notification" ? "notified" : settings.mode === "instant" ? "instantPolled" : "polled";
      if (!store.persistent) return status("yellow", "dot", `${key}Memory`, params);
      status("green", "dot", key, params);
    }

    function fail(err: unknown, msg?: NodeMessageInFlow): void {
      if (closing && err instanceof ZohoError && err.code === "ABORTED") return;
      node.status(errorStatus(err));
      node.error(translate(err), msg ?? {});
    }

    /** One poll: send what changed, then save the position. */
    const poll = () =>
      serially(async () => {
        if (closing) return;
        const c = client();
        const current = await position();
        status("blue", "ring", "polling");
        const result = await pollChanges(c, current.position, { module: settings.module, kinds: settings.events, fields: await fields(c), signal: abort.signal });
        send(result.events, "poll");
        stored = { ...current, position: result.position };
        await save(stored);
        showDone(result.events.length, "poll");
      });

    function schedule(): void {
      if (closing) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        poll()
          .catch((err) => fail(err))
          .finally(schedule);
      }, settings.interval * 1000);
    }

    const onNotification = (notification: Notification) =>
      serially(async () => {
        if (closing || notification.module !== settings.module) return;
        const c = client();
        const current = await position();
        if (notification.operation === "delete") {
          if (!settings.events.includes("delete")) return;
          // A callback names only ids: the deleted-records list has the entries (and catches others too).
          const result = await pollChanges(c, current.position, { module: settings.module, kinds: ["delete"], fields: ["id"], signal: abort.signal });
          send(result.events, "notification");
          stored = { ...current, position: { ...current.position, deletes: result.position.deletes } };
          await save(stored);
          showDone(result.events.length, "notification");
          return;
        }
        const result = await changesByIds(c, current.position, notification.ids, {
          module: settings.module,
          fields: await fields(c),
          kinds: settings.events,
          operation: notification.operation,
          signal: abort.signal,
        });
        send(result.events, "notification");
        stored = { ...current, position: result.position };
        await save(stored);
        showDone(result.events.length, "notification");
      }).catch((err) => fail(err));

    /** Instant mode: make (or renew) the channel; on failure say why and keep polling. */
    async function openChannel(): Promise<void> {
      const url = settings.publicUrl ? notifyUrl(settings.publicUrl, RED.settings.httpNodeRoot, node.id) : undefined;
      const reason = !settings.publicUrl
        ? RED._("zoho-crm-trigger.fallback.noUrl")
        : !url
          ? RED._("zoho-crm-trigger.fallback.badUrl")
          : RED.settings.httpNodeRoot === false
            ? RED._("zoho-crm-trigger.fallback.noHttpNode")
            : undefined;
      if (reason || !url) {
        fallbackReason = reason;
        status("yellow", "ring", "fallbackIdle", { reason: reason ?? "" });
        return;
      }
      if ((RED.settings as unknown as { httpNodeAuth?: unknown }).httpNodeAuth) node.warn(RED._("zoho-crm-trigger.warn.httpNodeAuth"));
      await serially(async () => {
        const current = await position();
        const previous = current.channel;
        const channel: WatchChannel = {
          channelId: previous?.channelId ?? newChannelId(),
          token: previous?.token ?? newChannelToken(),
          module: settings.module,
          operations: watchOperations(settings.events),
          notifyUrl: url,
        };
        const c = client();
        const expiresAt = previous && previous.notifyUrl === url ? await renewWatch(c, channel, { signal: abort.signal }) : await enableWatch(c, channel, { signal: abort.signal });
        stored = { ...current, channel: { channelId: channel.channelId, token: channel.token, notifyUrl: url, expiresAt } };
        await save(stored);
        channelReady = true;
        fallbackReason = undefined;
        status("green", "ring", "listening");
      }).catch((err) => {
        channelReady = false;
        fallbackReason = err instanceof ZohoError ? err.code : RED._("zoho-crm-trigger.fallback.unknown");
        status("yellow", "ring", "fallbackIdle", { reason: fallbackReason });
        node.warn(RED._("zoho-crm-trigger.warn.noChannel", { reason: translate(err).message }));
      });
      clearTimeout(renewTimer);
      if (!closing) renewTimer = setTimeout(() => void openChannel(), RENEW_EVERY_MS);
    }

    const target = {
      // The stored channel is ours whether or not its renewal has answered yet: callbacks that arrive
      // while a restarted node renews it are taken, not lost.
      channel: () => (stored?.channel ? { channelId: stored.channel.channelId, token: stored.channel.token } : undefined),
      notify: (n: Notification) => void onNotification(n),
    };

    // ---- start ---------------------------------------------------------------------------
    if (settings.error) {
      node.status({ fill: "red", shape: "ring", text: settings.error.code });
      node.error(translate(settings.error));
    } else if (!connectionNode(RED, def.connection)) {
      node.status({ fill: "red", shape: "ring", text: "NO_CONNECTION" });
      node.error(translate(new ZohoError({ code: "NO_CONNECTION", key: "noConnection" })));
    } else {
      if (!store.persistent) node.debug(RED._("zoho-crm-trigger.warn.memoryStore"));
      if (settings.mode === "instant") {
        registerNotifyRoute(RED);
        addNotifyTarget(node.id, target);
        void openChannel();
      }
      // First poll right away (the catch-up poll in instant mode), then every interval.
      poll()
        .catch((err) => fail(err))
        .finally(schedule);
    }

    node.on("input", (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      if (settings.error) return done(translate(settings.error));
      poll().then(
        () => done(),
        (err: unknown) => {
          if (closing) return done();
          node.status(errorStatus(err));
          done(translate(err));
        },
      );
    });

    node.on("close", (removed: boolean, closed: () => void) => {
      closing = true;
      clearTimeout(timer);
      clearTimeout(renewTimer);
      removeNotifyTarget(node.id, target);
      abort.abort();
      const channel = stored?.channel;
      const finish = () => {
        node.status({});
        closed();
      };
      // The channel goes only when the node is removed; a redeploy or restart renews it.
      if (!removed || !channel) return void queue.then(finish, finish);
      // The connection may be closing in the same deploy: the call gets a client of its own.
      let c: ZohoClient | undefined;
      try {
        c = connectionNode(RED, def.connection)?.standaloneClient();
      } catch {
        c = undefined;
      }
      if (!c) return finish();
      const own = c;
      disableWatch(own, channel.channelId, { signal: AbortSignal.timeout(5000) })
        .catch((err) => node.warn(RED._("zoho-crm-trigger.warn.channelNotDeleted", { reason: translate(err).message })))
        .finally(() => {
          own.close();
          finish();
        });
    });
  }

  RED.nodes.registerType("zoho-crm-trigger", ZohoCrmTrigger as unknown as (this: Node, def: NodeDef) => void, {
    settings: {
      // Zoho's callbacks carry no credentials: with httpNodeAuth set they would be refused (401).
      zohoCrmTriggerHttpNodeAuth: { value: !!(RED.settings as unknown as { httpNodeAuth?: unknown }).httpNodeAuth, exportable: true },
    },
  } as Parameters<NodeAPI["nodes"]["registerType"]>[2]);
};

interface Settings {
  module: string;
  events: ChangeKind[];
  mode: Mode;
  interval: number;
  fields: string[];
  startFrom: string;
  output: Output;
  store: string;
  publicUrl: string;
  /** A setting that cannot work: reported at start, and no polling happens. */
  error?: ZohoError;
}

/** The node's settings, checked once at start. */
function readSettings(def: TriggerDef): Settings {
  const mode: Mode = def.mode === "instant" ? "instant" : "poll";
  const events = (Array.isArray(def.events) ? def.events : ["create", "update"]).filter((e): e is ChangeKind => CHANGE_KINDS.includes(e as ChangeKind));
  const interval = Number(def.interval === undefined || def.interval === "" ? (mode === "instant" ? 900 : 60) : def.interval);
  const out: Settings = {
    module: "",
    events: [...new Set(events)],
    mode,
    interval: Number.isFinite(interval) ? Math.max(MIN_INTERVAL_S, Math.floor(interval)) : 60,
    fields: [],
    startFrom: typeof def.startFrom === "string" && def.startFrom.trim() ? def.startFrom.trim() : "now",
    output: def.output === "batch" ? "batch" : "record",
    store: typeof def.store === "string" ? def.store.trim() : "",
    publicUrl: typeof def.publicUrl === "string" ? def.publicUrl.trim() : "",
  };
  try {
    out.module = moduleName(def.module);
    out.fields = parseFieldList(def.fields ?? "");
    if (out.events.length === 0) throw invalidInput("noEvents", undefined, "tickEvents");
    if (!Number.isFinite(interval) || interval < MIN_INTERVAL_S) throw invalidInput("interval", { seconds: MIN_INTERVAL_S });
    startMs(out.startFrom);
  } catch (err) {
    out.error = err instanceof ZohoError ? err : new ZohoError({ code: "INVALID_INPUT", key: "unexpected", advice: "" });
  }
  return out;
}

/** Where a fresh position starts: now, the beginning (every record once), or a date-time. */
function startMs(startFrom: string): number {
  // Zoho's times have second precision: start at the beginning of this second, so a change made in
  // the same second as the start is not taken for an older one.
  if (startFrom === "now") return Math.floor(Date.now() / 1000) * 1000;
  if (startFrom === "all") return 0;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(startFrom) ? Date.parse(startFrom) : NaN;
  if (!Number.isFinite(ms)) {
    throw invalidInput("startFrom", { value: startFrom.slice(0, 40) }, "startFromExample");
  }
  return ms;
}

function watchOperations(events: ChangeKind[]): WatchOperation[] {
  const ops = new Set<WatchOperation>();
  for (const e of events) ops.add(e === "delete" ? "delete" : e === "create" ? "create" : "edit");
  return [...ops];
}

/**
 * The context store to keep the position in, and whether it outlives a restart. Node-RED's
 * default store is the one named "default", or else the first configured; without any
 * configuration it is the in-memory store.
 */
function contextStore(RED: NodeAPI, name: string): { name: string | undefined; persistent: boolean } {
  const stores = ((RED.settings as unknown as { contextStorage?: Record<string, { module?: unknown }> }).contextStorage ?? {}) as Record<string, { module?: unknown }>;
  const names = Object.keys(stores);
  const chosen = name || (names.includes("default") ? "default" : names[0]);
  let entry = chosen ? stores[chosen] : undefined;
  // "default" may name another store: { default: "file", file: { module: "localfilesystem" } }
  if (typeof entry === "string") entry = stores[entry as unknown as string];
  const module = entry && typeof entry === "object" ? entry.module : undefined;
  const persistent = module !== undefined && module !== "memory";
  return { name: name || undefined, persistent };
}
