import type { Clock } from '../core/clock.ts';
import type { ActionRecord } from './action-record.ts';
import { entry } from './audit-entries.ts';
import type { ActionUpdate } from './ports/actions.ts';
import type { Store } from './ports/store.ts';

export interface CoolingClockDeps {
  store: Store;
  clock: Clock;
  /** How often a running gateway marks the store alive. */
  beatMs: number;
  log: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
}

/** Silences shorter than this are a busy store or a slow beat, not an outage. */
export const OUTAGE_MIN_BEATS = 5;

/**
 * The cooling clock runs only while a gateway runs and reaches its store. A MEDIUM action's cooling period is the time
 * people have to hear of it and veto it, and a veto needs a running gateway: a period that ran out
 * while every gateway was down (a crash, a host restart) gave nobody that time, and the action
 * would be released the moment a gateway came back.
 *
 * So every running gateway marks the store alive every `beatMs` (any replica's mark counts), and a
 * gateway that starts, or whose store answers again after an outage (its first beat after one, or
 * main/build-gateway.ts before it is ready again, whichever comes first), after nothing marked it
 * for `OUTAGE_MIN_BEATS` beats moves each cooling
 * action that was not yet due at the last mark later by the outage (from the last mark to now):
 * each keeps the part of its period it had not had. Each move is logged (`action.cooling_extended`,
 * its new `notBefore`), so the offline verifier holds the release to the new end. The mark is
 * written without a sync; one lost to a power cut makes the outage look longer, never shorter.
 */
export class CoolingClock {
  readonly #d: CoolingClockDeps;
  #timer: NodeJS.Timeout | undefined;
  /** Times the store was seen not answering, and how many of them a resume has answered since. */
  #interruptions = 0;
  #resumed = 0;

  constructor(deps: CoolingClockDeps) {
    this.#d = deps;
  }

  /**
   * At start, before the scheduler runs, and when the store answers again after an outage (the
   * first beat or store check after it, while the gateway is not ready: main/build-gateway.ts;
   * nothing is released meanwhile, and a release is a compare-and-set on the stored end,
   * ActionUpdate.dueBy): marks the store alive and, if it finds the mark an outage old, moves the
   * cooling periods the outage interrupted, in the same transaction. The mark stays locked until
   * that transaction ends, so of gateways starting together one moves them and the others find its
   * fresh mark (and their schedulers find the periods already moved). Returns the outage (0 if
   * none) and how many actions were moved.
   */
  async resume(): Promise<{ outageMs: number; moved: number }> {
    const d = this.#d;
    const seen = this.#interruptions;
    const now = d.clock.now();
    const outageSince = (last: number | undefined): number => (last === undefined || now - last < OUTAGE_MIN_BEATS * d.beatMs ? 0 : now - last);
    // Read before the transaction (a callback may await only its store's methods): what was cooling
    // when the outage began is all that can need moving, since no gateway accepted anything during it.
    const listed = outageSince(await d.store.lastAlive()) > 0 ? await d.store.actionsInStatus(['cooling']) : [];
    const r = await d.store.tx(async (tx) => {
      const last = await tx.markAlive(now);
      const outageMs = outageSince(last);
      if (outageMs === 0) return { outageMs, moved: 0 };
      const updates: ActionUpdate[] = listed
        .filter((a) => a.dueAt !== null && a.dueAt > last!)
        .map((a) => ({ id: a.id, from: ['cooling'], patch: { dueAt: a.dueAt! + outageMs, updatedAt: now }, held: a }));
      const out = updates.length === 0 ? [] : (await tx.updateActions(updates)).filter((x): x is ActionRecord => x !== undefined);
      if (out.length > 0) await tx.audit(out.map((x) => coolingExtended(now, x, outageMs)));
      return { outageMs, moved: out.length };
    });
    if (r.outageMs > 0) d.log.info(r, 'the store went unmarked for a while (no gateway ran, or none reached it): cooling periods it interrupted are moved later by as long');
    this.#resumed = Math.max(this.#resumed, seen);
    return r;
  }

  /**
   * The store did not answer (a beat failed, or the gateway's store check): the first mark after it
   * must be `resume`'s. A plain beat that came first would mark the store alive and hide the outage
   * from the resume that follows: the periods it interrupted would not be moved.
   */
  interrupted(): void {
    this.#interruptions++;
  }

  /** The store was seen not answering since the last resume. */
  get needsResume(): boolean {
    return this.#interruptions > this.#resumed;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.beat(), this.#d.beatMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One mark, or after the store did not answer a resume; failures are logged (the next beat tries again). */
  async beat(): Promise<void> {
    const d = this.#d;
    try {
      if (this.needsResume) {
        await this.resume();
        return;
      }
      const now = d.clock.now();
      await d.store.tx(async (tx) => void (await tx.markAlive(now)), { durable: false });
    } catch (err) {
      this.interrupted();
      d.log.warn({ err: (err as Error).message }, 'could not mark the store alive; will retry');
    }
  }
}

/** The log entry of a cooling period moved later by an outage: its new end, and by how much. */
export function coolingExtended(now: number, moved: ActionRecord, outageMs: number): Record<string, unknown> {
  return entry('action.cooling_extended', now, moved, { event: 'outage', notBefore: moved.dueAt, outageMs, policyHash: moved.classification.policyHash });
}
