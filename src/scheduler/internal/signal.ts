import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

/**
 * A wake-up signal (APScheduler's `_event`): `raise` sets a flag and rings the Deferred that a
 * waiting fiber awaits. The waiter clears the flag before its work, so a signal raised during the
 * work is served by the next round. A timed wait forks a sleeper that rings the same Deferred: the
 * waiter resumes one hop after the timer, with no race to settle and no loser to await.
 */
export class Signal {
  #raised = false
  #alarm: Deferred.Deferred<void> | undefined
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
      Deferred.unsafeDone(a, Exit.void)
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
      const a = Deferred.unsafeMake<void>(FiberId.none)
      this.#alarm = a
      if (ms === undefined) {
        this.#deadline = Infinity
        return Deferred.await(a)
      }
      this.#deadline = clock.unsafeCurrentTimeMillis() + Math.min(ms, maxMs)
      const ring = Effect.sync(() => {
        if (this.#alarm === a) {
          this.#alarm = undefined
          this.#deadline = -Infinity
        }
        Deferred.unsafeDone(a, Exit.void)
      })
      return Effect.flatMap(
        Effect.fork(Effect.zipRight(Effect.sleep(Math.min(ms, maxMs)), ring)),
        (sleeper) => Effect.zipRight(Deferred.await(a), Effect.fiberIdWith((id) => sleeper.interruptAsFork(id)))
      )
    })
  }
}
