/** Small async primitives: an abortable sleep, abortable waiting, linked signals and a FIFO semaphore. */
import { setMaxListeners } from "events";
import { ZohoError } from "./errors";

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Wait for `promise`, but stop waiting (ABORTED) when `signal` aborts; the promise itself runs on. */
export function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A signal that aborts when any of `signals` does. `dispose()` removes the listeners again, so
 * long-lived signals (a node's, a connection's) do not collect one listener per request.
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): { signal: AbortSignal; dispose: () => void } {
  const present = signals.filter((s): s is AbortSignal => !!s);
  const controller = new AbortController();
  if (present.some((s) => s.aborted)) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const onAbort = () => {
    dispose();
    controller.abort();
  };
  const dispose = () => {
    for (const s of present) s.removeEventListener("abort", onAbort);
  };
  for (const s of present) s.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, dispose };
}

/** A long-lived signal that many requests listen to at once: no "possible memory leak" warning. */
export function sharedSignal(controller: AbortController): AbortSignal {
  setMaxListeners(0, controller.signal);
  return controller.signal;
}

export function abortError(): ZohoError {
  return new ZohoError({ code: "ABORTED", key: "cancelled" });
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
  owner: object;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Limits how many requests run at once, and shares the slots fairly: waiters are grouped by owner
 * (one read, one write message) and served round-robin between owners, first come first served
 * within one. So a 10,000-record write cannot hold a small read behind all of its batches.
 * A waiter without an owner is a group of its own.
 */
export class Semaphore {
  private active = 0;
  private readonly queues = new Map<object, Waiter[]>();
  /** Owners with waiters, in the order they are served next. */
  private readonly ring: object[] = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit));
    this.drain();
  }

  get currentLimit(): number {
    return this.limit;
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  async acquire(signal?: AbortSignal, owner?: object): Promise<() => void> {
    if (signal?.aborted) throw abortError();
    if (this.active < this.limit && this.ring.length === 0) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, owner: owner ?? {} };
      if (signal) {
        waiter.onAbort = () => {
          this.remove(waiter);
          reject(abortError());
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      const queue = this.queues.get(waiter.owner);
      if (queue) queue.push(waiter);
      else {
        this.queues.set(waiter.owner, [waiter]);
        this.ring.push(waiter.owner);
      }
    });
    return this.releaser();
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal, owner?: object): Promise<T> {
    const release = await this.acquire(signal, owner);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private remove(waiter: Waiter): void {
    const queue = this.queues.get(waiter.owner);
    if (!queue) return;
    const i = queue.indexOf(waiter);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.dropOwner(waiter.owner);
  }

  private dropOwner(owner: object): void {
    this.queues.delete(owner);
    const i = this.ring.indexOf(owner);
    if (i >= 0) this.ring.splice(i, 1);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.limit && this.ring.length > 0) {
      const owner = this.ring.shift()!;
      const queue = this.queues.get(owner)!;
      const next = queue.shift()!;
      if (queue.length > 0) this.ring.push(owner); // its next waiter goes behind the other owners
      else this.queues.delete(owner);
      if (next.signal && next.onAbort) next.signal.removeEventListener("abort", next.onAbort);
      this.active++;
      next.resolve();
    }
  }
}
