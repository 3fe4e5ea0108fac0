/**
 * The simulator's clock and the org's UTC offset: every time the simulated org stamps comes from here.
 *
 *   sim.clock.now(): number          ms since the epoch. Follows Date.now() by default.
 *   sim.clock.set(ms | Date | ISO)   freezes the clock at that instant: it stays there until set again or advanced.
 *   sim.clock.advance(ms)            moves the clock forward (or back, with a negative ms): a frozen clock stays frozen
 *                                    at the new instant, a running one keeps running, ms ahead of real time.
 *   sim.clock.real()                 back to following Date.now() (no freeze, no skew).
 *   sim.setUtcOffset(minutes[, tz])  the offset datetimes are written with (default 330 = +05:30); optionally the time
 *                                    zone name /org and /users report (default Asia/Kolkata).
 *
 * Stamped from the clock: Created_Time / Modified_Time of API writes, sim.ui.* changes and seeded records' defaults;
 * deleted_time; channel expiry (set and checked); server_time in notification callbacks; the Date response header;
 * late visibility (sim.ui.* visibleAfterMs). Not org data, so on real time: access/grant token expiry, page_token
 * expiry, the request log's `at`.
 *
 * Daylight saving: a datetime keeps the offset it was written with (as Zoho renders each instant with the offset the
 * zone had then); records stamped after setUtcOffset carry the new offset. Compare instants, never strings.
 */
import { isoTime } from "./util";

export class SimClock {
  private frozenAt: number | null = null;
  private skew = 0;

  now(): number {
    return this.frozenAt ?? Date.now() + this.skew;
  }

  set(at: number | Date | string): void {
    const ms = at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : at;
    if (!Number.isFinite(ms)) throw new Error(`clock.set: not a time: ${String(at)}`);
    this.frozenAt = Math.floor(ms);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`clock.advance: not a number: ${String(ms)}`);
    if (this.frozenAt !== null) this.frozenAt += Math.floor(ms);
    else this.skew += Math.floor(ms);
  }

  real(): void {
    this.frozenAt = null;
    this.skew = 0;
  }

  /** true while set() holds the clock still */
  get frozen(): boolean {
    return this.frozenAt !== null;
  }
}

/** A datetime as the org writes it: the clock's now (or `ms`) with the org's current offset, second precision. */
export function stamp(sim: { clock: SimClock; utcOffsetMinutes: number }, ms: number = sim.clock.now()): string {
  return isoTime(ms, sim.utcOffsetMinutes);
}

export function checkUtcOffset(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < -720 || minutes > 840) throw new Error(`setUtcOffset: minutes must be an integer from -720 to 840, got ${minutes}`);
  return minutes;
}
