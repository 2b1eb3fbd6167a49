import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Alarm, forkIn } from "./alarm.js"

/** Resumes a waiting fiber (the callback of `Effect.async`). */
type Resume = (effect: Effect.Effect<void>) => void

/** The resumption of a waiter: `Effect.void`, shared. */
const RESUMED: Effect.Effect<void> = Effect.void

/**
 * A wake-up signal (APScheduler's `_event`): `raise` sets a flag and resumes the fiber waiting on
 * it. The waiter clears the flag before its work, so a signal raised during the work is served by
 * the next round. A timed wait sets the signal's `Alarm` (one long-lived sleeper fiber in `scope`,
 * not a fiber per wait), whose ring resumes the waiter once its time has come. The waiter
 * suspends with `Effect.async` (a plain callback, not a Deferred: a Deferred's await allocates
 * about three times as much, and the loop waits once per pass). Times are read from `clock`.
 */
export class Signal {
  #raised = false
  #waiter: Resume | undefined
  #deadline = -Infinity
  readonly #alarm: Alarm

  constructor(readonly clock: Clock.Clock, scope: Scope.Scope) {
    this.#alarm = new Alarm(clock, forkIn(scope), (now) =>
      Effect.sync(() => {
        if (this.#deadline <= now) this.#resume()
      }))
  }

  /**
   * When a timed wait under way ends by itself (`Infinity` for an untimed one); `-Infinity` while
   * no wait is under way (the waiter is at work, or about to be). A change that only matters from
   * this instant on need not raise the signal: the waiter looks again by then.
   */
  get deadline(): number {
    return this.#deadline
  }

  /** Raises the signal (plain code). */
  raise(): void {
    this.#raised = true
    this.#alarm.clear()
    this.#resume()
  }

  /** Clears the flag: signals raised before this call are served by the work that follows. */
  clear(): void {
    this.#raised = false
    this.#deadline = -Infinity
  }

  /** Waits for a signal or, with `ms`, until that many ms have passed (capped at `maxMs`). */
  wait(ms: number | undefined, maxMs: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.#raised) return Effect.yieldNow() // raised during the work: served by the next round
      if (ms === undefined) {
        this.#deadline = Infinity
        this.#alarm.clear()
        return this.#suspend
      }
      const delay = Math.min(ms, maxMs)
      if (delay <= 0) return Effect.yieldNow()
      this.#deadline = this.clock.unsafeCurrentTimeMillis() + delay
      const fork = this.#alarm.set(this.#deadline)
      return fork === undefined ? this.#suspend : Effect.zipRight(fork, this.#suspend)
    })
  }

  /** Resumes the waiter, if any; no wait is under way after it. */
  #resume(): void {
    this.#deadline = -Infinity
    const w = this.#waiter
    if (w !== undefined) {
      this.#waiter = undefined
      w(RESUMED)
    }
  }

  /**
   * Suspends the calling fiber until `raise` or the alarm resumes it (at once if either came
   * first: the fiber may have yielded between `wait`'s checks and here).
   */
  readonly #suspend: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.#raised || this.#deadline <= this.clock.unsafeCurrentTimeMillis()) {
      this.#deadline = -Infinity
      return resume(RESUMED)
    }
    this.#waiter = resume
    return Effect.sync(() => {
      if (this.#waiter === resume) {
        this.#waiter = undefined
        this.#deadline = -Infinity
      }
    })
  })
}
