/**
 * A mutual-exclusion lock for the job API (APScheduler's `_jobstores_lock`), cheaper than a
 * one-permit `Semaphore` on the path every `addJob` takes: a free lock is taken in one step, in
 * the same uninterruptible region that registers its release. A waiter parks until the lock is
 * released, then tries again (every waiter is woken: one of them takes it; an interrupted waiter
 * leaves nothing behind). Not re-entrant, like the semaphore it replaces.
 */
import * as Effect from "effect/Effect"

/** Makes a lock: `locked(effect)` runs `effect` while holding it. */
export const makeLock = (): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> => {
  let held = false
  let waiters = new Set<() => void>()
  const release = (): void => {
    held = false
    if (waiters.size === 0) return
    const woken = waiters
    waiters = new Set()
    for (const wake of woken) wake()
  }
  /** Resumes once the lock has been released (it may be taken again by then). */
  const released = Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    waiters.add(wake)
    return Effect.sync(() => void waiters.delete(wake))
  })
  return <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.uninterruptibleMask((restore) => {
      // run when the mask's body is evaluated, so a free lock is taken without a step of its own
      const take = (): Effect.Effect<A, E, R> => {
        if (held) return Effect.zipRight(restore(released), Effect.suspend(take))
        held = true
        // released in the same uninterruptible region, whatever the section's end
        return Effect.matchCauseEffect(restore(effect), {
          onFailure: (cause) => {
            release()
            return Effect.failCause(cause)
          },
          onSuccess: (a) => {
            release()
            return Effect.succeed(a)
          }
        })
      }
      return take()
    })
}
