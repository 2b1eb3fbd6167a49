/**
 * What the loop learns of a job store's clock, per store: how far it is from the scheduler's.
 *
 * A shared store judges due times and leases by its own clock (the database's, Redis `TIME`), and
 * the loop plans a batch at the store's `now`. The loop's own waits run on the scheduler's `Clock`. When the two disagree (a host whose clock is off), a wait
 * reckoned on the scheduler's clock alone comes at the wrong moment: a scheduler 5 s ahead woke
 * before every due time, found nothing due at the store and looked again at once (about 400
 * claims a second, none of them fruitful); one 5 s behind slept past every due time until its
 * poll woke it (runs up to a poll interval late). So the loop reckons each store's due times on
 * the store's clock: `offset` is the store's clock minus the scheduler's, learnt from every
 * `acquire` (the store read its `now` between the call's send and its answer, so the offset lies
 * between `now - answered` and `now - sent`). The estimate moves only when an answer shows it
 * outside those bounds, and then to the nearest bound: clocks that agree (one host) keep it at 0
 * whatever a call's latency, and a clock that is off is followed to within a call's round trip.
 * The executor judges a run's lateness (`misfireGraceTime`) on the store's clock too.
 */
import { CLAIM_AHEAD_MS } from "./ahead.js"

/** A store's clock offset, as the loop has seen it. */
export class StoreTime {
  /** The store's clock minus the scheduler's, in ms. */
  offset = 0

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
 * (the store's clock): a store the loop has not claimed from yet counts as agreeing.
 */
export const claimTime = (times: Map<string, StoreTime>, alias: string, instant: number): number => {
  const time = times.get(alias)
  const at = instant - CLAIM_AHEAD_MS
  return time === undefined ? at : time.local(at)
}

/** The clock of the store with this alias in `times`, made when first asked for. */
export const storeTimeOf = (times: Map<string, StoreTime>, alias: string): StoreTime => {
  let time = times.get(alias)
  if (time === undefined) {
    time = new StoreTime()
    times.set(alias, time)
  }
  return time
}
