import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** Resumes a waiting fiber (the callback of `Effect.async`). */
type Resume = (effect: Effect.Effect<void>) => void

/** The resumption of a waiter: `Effect.void`, shared. */
const RESUMED: Effect.Effect<void> = Effect.void

/**
 * A wake-up signal (APScheduler's `_event`): `raise` sets a flag and resumes the fiber waiting on
 * it. The waiter clears the flag before its work, so a signal raised during the work is served by
 * the next round. A timed wait forks a sleeper that resumes the same waiter: the waiter resumes
 * one hop after the timer, with no race to settle and no loser to await. The waiter suspends with
 * `Effect.async` (a plain callback, not a Deferred: a Deferred's await allocates about three times
 * as much, and the loop waits once per pass).
 */
export class Signal {
  #raised = false
  #alarm: Resume | undefined
  #deadline = -Infinity

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
    this.#deadline = -Infinity
    const a = this.#alarm
    if (a !== undefined) {
      this.#alarm = undefined
      a(RESUMED)
    }
  }

  /** Clears the flag: signals raised before this call are served by the work that follows. */
  clear(): void {
    this.#raised = false
    this.#deadline = -Infinity
  }

  /** Waits for a signal or, with `ms`, until that many ms have passed (capped at `maxMs`). */
  wait(ms: number | undefined, maxMs: number): Effect.Effect<void> {
    return Effect.clockWith((clock) => {
      if (this.#raised) return Effect.yieldNow() // raised during the work: served by the next round
      if (ms === undefined) {
        this.#deadline = Infinity
        return this.#suspend(undefined)
      }
      const delay = Math.min(ms, maxMs)
      this.#deadline = clock.unsafeCurrentTimeMillis() + delay
      const timer: Timer = { rung: false, resume: undefined }
      // the sleeper resumes this wait only (a later wait has a resume of its own)
      const ring = Effect.sync(() => {
        timer.rung = true
        const resume = timer.resume
        if (resume !== undefined && this.#alarm === resume) {
          this.#alarm = undefined
          this.#deadline = -Infinity
          resume(RESUMED)
        }
      })
      return Effect.flatMap(
        Effect.fork(Effect.zipRight(clock.sleep(Duration.millis(delay)), ring)),
        (sleeper) =>
          Effect.zipRight(
            this.#suspend(timer),
            Effect.suspend(() => timer.rung ? Effect.void : Effect.fiberIdWith((id) => sleeper.interruptAsFork(id)))
          )
      )
    })
  }

  /** Suspends the calling fiber until `raise` (or the wait's timer, if rung already) resumes it. */
  #suspend(timer: Timer | undefined): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (timer !== undefined) {
        if (timer.rung) return resume(RESUMED)
        timer.resume = resume
      }
      this.#alarm = resume
      return Effect.sync(() => {
        if (this.#alarm === resume) {
          this.#alarm = undefined
          this.#deadline = -Infinity
        }
      })
    })
  }
}

/** A timed wait's timer: whether it has rung, and the wait it resumes. */
interface Timer {
  rung: boolean
  resume: Resume | undefined
}
