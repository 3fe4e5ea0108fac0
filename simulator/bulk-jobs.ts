/**
 * Bulk jobs over time, and `sim.bulk`, the test-control object of Bulk Read and Bulk Write (bulk-read.ts,
 * bulk-write.ts). This file knows nothing of records: a job's work runs in the `finish` callback its creator gives.
 *
 *   sim.bulk.stepMs = 50              real milliseconds between two states of a job (default 50). A job moves
 *                                     ADDED -> QUEUED -> IN PROGRESS -> COMPLETED (Bulk Read) or ADDED -> IN PROGRESS
 *                                     -> COMPLETED (Bulk Write), one state per step; its work (the read's snapshot,
 *                                     the write's rows) is done at the step into COMPLETED.
 *   sim.bulk.pageSize = 200000        records per Bulk Read job (Zoho's 200,000); e.g. 500 to test paging
 *   sim.bulk.downloadWindowMs = 60000 the rolling window of the Bulk Read download limit (10 per window per org;
 *                                     0 lifts the limit)
 *   sim.bulk.pause() / resume()       while paused, jobs do not move on their own (a job created while paused stays
 *                                     ADDED); resume() starts their clocks again (stepMs from then on)
 *   sim.bulk.paused                   true while paused
 *   sim.bulk.advance(jobId?, steps=1) moves one job (or every unfinished job) on by `steps` states at once, paused or not
 *   sim.bulk.complete(jobId?)         moves it (or every unfinished job) to its end state at once
 *   sim.bulk.failNext({reason, code?, operation?})
 *                                     the next job created (of that operation, "read" or "write"; of either when
 *                                     omitted) ends in state FAILURE instead of COMPLETED: no snapshot, no rows
 *                                     written; its status carries "error": {"code": code ?? "INTERNAL_ERROR",
 *                                     "message": reason} (invented: Zoho documents no failure details)
 *   sim.bulk.jobs                     Map job id -> BulkJob (id, operation, state, module, createdTime, failure, and
 *                                     per operation: read -> result / snapshot size, write -> counts); inspect only
 *   sim.bulk.files                    Map file_id -> uploaded file (bulk-write.ts)
 * sim.reset() clears jobs, files, page tokens and the download log, and puts every setting back to its default;
 * sim.stop() stops the jobs' timers.
 *
 * Job timers run on real time (like token expiry), not on sim.clock: sim.clock only stamps created_time and the
 * records a job writes.
 */
import { Rec } from "./util";

export type BulkOperation = "read" | "write";
export const FAILURE = "FAILURE";

export interface BulkFailure {
  reason: string;
  code?: string;
  /** only jobs of this operation; the next job of either when omitted */
  operation?: BulkOperation;
}

export interface BulkJob {
  id: string;
  operation: BulkOperation;
  /** the states this job goes through, the last one being COMPLETED */
  states: readonly string[];
  state: string;
  /** module API name */
  module: string;
  createdTime: string;
  failure?: { code: string; message: string };
  /** runs once, at the step into COMPLETED (not when the job fails) */
  finish: () => void;
  timer?: NodeJS.Timeout;
  /** read: the records of the job's page (references to the stored, immutable records), set when it completes */
  snapshot?: Rec[];
  /** what the job's operation keeps (bulk-read.ts / bulk-write.ts) */
  detail: unknown;
}

/** A file uploaded to POST /crm/v8/upload (bulk-write.ts): its one CSV, parsed. */
export interface UploadedFile {
  id: string;
  /** the CSV's name inside the ZIP */
  name: string;
  header: string[];
  rows: string[][];
  createdTime: string;
}

/** What a Bulk Read next_page_token stands for: the query of the job that issued it and where its page ended. */
export interface PageTokenRec {
  query: Record<string, unknown>;
  module: string;
  lastId: string;
  page: number;
  /** real ms */
  expiresAt: number;
}

const DEFAULTS = { stepMs: 50, pageSize: 200000, downloadWindowMs: 60000 };

export class BulkJobs {
  stepMs = DEFAULTS.stepMs;
  pageSize = DEFAULTS.pageSize;
  downloadWindowMs = DEFAULTS.downloadWindowMs;
  readonly jobs = new Map<string, BulkJob>();
  readonly files = new Map<string, UploadedFile>();
  /** internal: Bulk Read page tokens (bulk-read.ts) and served downloads (real ms), for the per-minute limit */
  readonly pageTokens = new Map<string, PageTokenRec>();
  downloads: number[] = [];
  private failures: BulkFailure[] = [];
  private isPaused = false;

  get paused(): boolean {
    return this.isPaused;
  }

  pause(): void {
    this.isPaused = true;
    for (const job of this.jobs.values()) this.unschedule(job);
  }

  resume(): void {
    this.isPaused = false;
    for (const job of this.jobs.values()) this.schedule(job);
  }

  failNext(failure: BulkFailure): void {
    if (!failure || typeof failure.reason !== "string") throw new Error("bulk.failNext: give { reason: string }");
    this.failures.push({ ...failure });
  }

  advance(jobId?: string, steps = 1): void {
    for (const job of this.pick(jobId)) {
      for (let i = 0; i < steps && !this.done(job); i++) this.step(job);
      this.schedule(job);
    }
  }

  complete(jobId?: string): void {
    this.advance(jobId, Number.MAX_SAFE_INTEGER);
  }

  /** internal: register a new job (state ADDED) and start its clock */
  add(job: Omit<BulkJob, "state">): BulkJob {
    const i = this.failures.findIndex((f) => f.operation === undefined || f.operation === job.operation);
    const f = i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
    const added: BulkJob = { ...job, state: job.states[0] };
    if (f) added.failure = { code: f.code ?? "INTERNAL_ERROR", message: f.reason };
    this.jobs.set(added.id, added);
    this.schedule(added);
    return added;
  }

  /** internal: stop every timer (sim.stop) */
  stopTimers(): void {
    for (const job of this.jobs.values()) this.unschedule(job);
  }

  /** internal: sim.reset() */
  reset(): void {
    this.stopTimers();
    this.jobs.clear();
    this.files.clear();
    this.pageTokens.clear();
    this.downloads = [];
    this.failures = [];
    this.isPaused = false;
    Object.assign(this, DEFAULTS);
  }

  done(job: BulkJob): boolean {
    return job.state === FAILURE || job.state === job.states[job.states.length - 1];
  }

  private pick(jobId?: string): BulkJob[] {
    if (jobId === undefined) return [...this.jobs.values()].filter((j) => !this.done(j));
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`bulk: no job ${jobId}`);
    return [job];
  }

  private step(job: BulkJob): void {
    const next = job.states[job.states.indexOf(job.state) + 1];
    const last = next === job.states[job.states.length - 1];
    if (last && !job.failure) {
      try {
        job.finish();
      } catch (e) {
        job.failure = { code: "INTERNAL_ERROR", message: String((e as Error)?.message ?? e) };
      }
    }
    job.state = last && job.failure ? FAILURE : next;
  }

  private schedule(job: BulkJob): void {
    this.unschedule(job);
    if (this.isPaused || this.done(job)) return;
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.step(job);
      this.schedule(job);
    }, Math.max(0, this.stepMs));
  }

  private unschedule(job: BulkJob): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
  }
}
