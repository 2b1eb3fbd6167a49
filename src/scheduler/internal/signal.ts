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

  /** Raises the signal (plain code). */
  raise(): void {
    this.#raised = true
    const a = this.#alarm
    if (a !== undefined) {
      this.#alarm = undefined
      Deferred.unsafeDone(a, Exit.void)
    }
  }

  /** Clears the flag: signals raised before this call are served by the work that follows. */
  clear(): void {
    this.#raised = false
  }

  /** Waits for a signal or, with `ms`, until that many ms have passed (capped at `maxMs`). */
  wait(ms: number | undefined, maxMs: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.#raised) return Effect.yieldNow() // raised during the work: served by the next round
      const a = Deferred.unsafeMake<void>(FiberId.none)
      this.#alarm = a
      if (ms === undefined) return Deferred.await(a)
      const ring = Effect.sync(() => {
        if (this.#alarm === a) this.#alarm = undefined
        Deferred.unsafeDone(a, Exit.void)
      })
      return Effect.flatMap(
        Effect.fork(Effect.zipRight(Effect.sleep(Math.min(ms, maxMs)), ring)),
        (sleeper) => Effect.zipRight(Deferred.await(a), Effect.fiberIdWith((id) => sleeper.interruptAsFork(id)))
      )
    })
  }
}
