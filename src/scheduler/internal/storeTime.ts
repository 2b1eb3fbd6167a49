/**
 * What the loop learns of a job store's timing, per store: how far the store's clock is from the
 * scheduler's (`offset`), and how far ahead to claim (`horizon`).
 *
 * **The store's clock.** A shared store judges due times and leases by its own clock (the
 * database's, Redis `TIME`), and the loop plans a batch at the store's `now`. The loop's own waits
 * run on the scheduler's `Clock`. When the two disagree (a host whose clock is off), a wait
 * reckoned on the scheduler's clock alone comes at the wrong moment: a scheduler 5 s ahead woke
 * before every due time, found nothing due at the store and looked again at once (about 400
 * claims a second, none of them fruitful); one 5 s behind slept past every due time until its
 * poll woke it (runs up to a poll interval late). So the loop reckons each store's due times on
 * the store's clock: `offset` is the store's clock minus the scheduler's, learnt from every
 * `acquire` (the store read its `now` between the call's send and its answer, so the offset lies
 * between `now - answered` and `now - sent`). The estimate moves only when an answer shows it
 * outside those bounds, and then to the nearest bound: clocks that agree (one host) keep it at 0
 * whatever a call's latency, and a clock that is off is followed to within a call's round trip.
 *
 * **The horizon.** The loop wakes `horizon` before a store's next due time and claims what is due
 * within it, so that claiming, planning and recording are done when the time comes and the runs
 * start then (`ahead.ts`). `CLAIM_AHEAD_MS` covers an in-memory store. A store over a network
 * takes longer: a PostgreSQL pass claiming 200 jobs among three schedulers took 100 to 200 ms, and
 * its runs started that late. So the horizon follows the store: twice the longest recent pass that
 * claimed jobs (the longest decays by a tenth per such pass), at least `CLAIM_AHEAD_MS`, at most
 * `MAX_CLAIM_AHEAD_MS`. Under `TestClock` a pass takes no time, so the horizon stays
 * `CLAIM_AHEAD_MS`. The cost: a run claimed ahead is leased to its claimer until it starts, so a
 * claimer killed within the horizon leaves its claimed runs to a peer's `recover` when the lease
 * ends (attempt 2, up to the lease after their time). Such a run keeps its job's `maxInstances`
 * slot until then (the stores' `release`), so the job's later runs never starve its recovery.
 */
import { CLAIM_AHEAD_MS } from "./ahead.js"

/** The longest claim-ahead horizon, in ms (a store whose passes take over half a second). */
export const MAX_CLAIM_AHEAD_MS = 1_000

/** By how much the longest recent pass decays per pass that claimed jobs. */
const PASS_DECAY = 0.9

/** A store's clock offset and claim horizon, as the loop has seen them. */
export class StoreTime {
  /** The store's clock minus the scheduler's, in ms. */
  offset = 0
  /** The longest recent pass that claimed jobs, in ms (decaying). */
  passMs = 0
  /** How far ahead of a due time the loop claims it, in ms. */
  horizon = CLAIM_AHEAD_MS

  /**
   * An `acquire` sent at `sent` and answered at `answered` (the scheduler's clock) read the
   * store's time as `storeNow`.
   */
  sawNow(storeNow: number, sent: number, answered: number): void {
    const low = storeNow - answered
    const high = storeNow - sent
    if (this.offset < low) this.offset = low
    else if (this.offset > high) this.offset = high
  }

  /** A pass that claimed jobs took `ms` from its start to its last release. */
  passed(ms: number): void {
    const decayed = this.passMs * PASS_DECAY
    this.passMs = ms > decayed ? ms : decayed
    const want = Math.ceil(2 * this.passMs)
    this.horizon = want <= CLAIM_AHEAD_MS ? CLAIM_AHEAD_MS : want >= MAX_CLAIM_AHEAD_MS ? MAX_CLAIM_AHEAD_MS : want
  }

  /** The store's time when the scheduler's clock reads `local`. */
  storeNow(local: number): number {
    return local + this.offset
  }

  /** The scheduler's time when the store's clock reads `instant`. */
  local(instant: number): number {
    return instant - this.offset
  }
}

/**
 * When (the scheduler's clock) the loop claims a job of the store with this alias due at `instant`
 * (the store's clock): a store the loop has not passed yet counts as in-memory.
 */
export const claimTime = (times: Map<string, StoreTime>, alias: string, instant: number): number => {
  const time = times.get(alias)
  return time === undefined ? instant - CLAIM_AHEAD_MS : time.local(instant - time.horizon)
}

/** The timing of the store with this alias in `times`, made when first asked for. */
export const storeTimeOf = (times: Map<string, StoreTime>, alias: string): StoreTime => {
  let time = times.get(alias)
  if (time === undefined) {
    time = new StoreTime()
    times.set(alias, time)
  }
  return time
}
