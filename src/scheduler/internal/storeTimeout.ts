/**
 * Client-side timeouts on every call the scheduler makes to a persistent job store (SQL, Redis,
 * MongoDB: `JobStoreService.persistent`), limited to the `Lock`'s `storeTimeoutMs`. A blackholed connection never answers, and a call that never ends would stall
 * the loop, the completion flusher or the job API for ever; past the limit the call fails with
 * `StoreError` (reason `no answer within … ms`) and the usual paths take over: the loop retries
 * after `jobstoreRetryInterval`, the flusher keeps the completions for its next flush, the
 * heartbeat counts a failed renewal (its runs are stopped when their deadline passes).
 *
 * The timer is the scheduler's `Clock` (a `TestClock` drives it). The call and the timer run as
 * fibers of the scheduler's own (`fibers`, closed with it), and the caller waits for the first of
 * them without being made interruptible: it gets its error at the limit even inside an
 * uninterruptible region (the loop's batch), which stays uninterruptible. The call is then
 * interrupted in the background (an SQL transaction rolls back). A call that timed out may still
 * have taken effect in the store (its answer was lost): every primitive is safe for that — a
 * release whose runs never start leaves them to expire and be recovered (`Lock.leased`), a lease
 * taken by a lost acquire ends with the lease, a completion stored twice is refused the second time.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import { StoreError } from "../../errors.js"
import type { JobStoreService } from "../../stores/JobStore.js"

/**
 * `store` with every call limited to `ms` (`null`, or a store that is not `persistent`: `store`
 * itself); `alias` names it in errors,
 * `fibers` holds the calls and timers in flight.
 */
export const withStoreTimeout = (
  store: JobStoreService,
  alias: string,
  ms: number | null,
  fibers: FiberSet.FiberSet<unknown, unknown>
): JobStoreService => {
  // an in-process store (the memory store) answers at once or not at all: no network to lose
  if (ms === null || store.persistent !== true) return store
  const limit = <A, E>(operation: string, call: Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
    Effect.flatMap(
      Effect.zip(FiberSet.run(fibers, Effect.interruptible(call)), FiberSet.run(fibers, Effect.interruptible(Effect.sleep(ms)))),
      ([running, timer]) =>
        Effect.async<A, E | StoreError>((resume) => {
          let settled = false
          ;(running as Fiber.RuntimeFiber<A, E>).addObserver((exit) => {
            if (settled) return
            settled = true
            resume(exit)
          })
          timer.addObserver((exit) => {
            if (settled || !Exit.isSuccess(exit)) return
            settled = true
            resume(Effect.fail(new StoreError({ store: alias, operation, reason: `no answer within ${ms} ms` })))
          })
          return Effect.zipRight(Fiber.interruptFork(running), Fiber.interruptFork(timer))
        }).pipe(Effect.ensuring(Effect.zipRight(Fiber.interruptFork(running), Fiber.interruptFork(timer))))
    )
  return {
    add: (job, replaceExisting) => limit("add", store.add(job, replaceExisting)),
    update: (job) => limit("update", store.update(job)),
    remove: (jobId) => limit("remove", store.remove(jobId)),
    removeAll: limit("removeAll", store.removeAll),
    lookup: (jobId) => limit("lookup", store.lookup(jobId)),
    getNextRunTime: limit("getNextRunTime", store.getNextRunTime),
    getAll: limit("getAll", store.getAll),
    acquire: (claim) => limit("acquire", store.acquire(claim)),
    release: (owner, decisions, runLeaseMs) => limit("release", store.release(owner, decisions, runLeaseMs)),
    complete: (completions) => limit("complete", store.complete(completions)),
    renewRuns: (owner, runs, leaseMs) => limit("renewRuns", store.renewRuns(owner, runs, leaseMs)),
    recover: (claim) => limit("recover", store.recover(claim)),
    getRuns: (jobId) => limit("getRuns", store.getRuns(jobId)),
    changes: store.changes,
    persistent: store.persistent
  }
}
