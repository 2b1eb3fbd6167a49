/**
 * Client-side timeouts on every call the scheduler makes to a persistent job store (SQL, Redis,
 * MongoDB: `JobStoreService.persistent`), limited to the `Lock`'s `storeTimeoutMs`. A blackholed connection never answers, and a call that never ends would stall
 * the loop, the completion flusher or the job API for ever; past the limit the call fails with
 * `StoreError` (reason `no answer within … ms`) and the usual paths take over: the loop retries
 * after `jobstoreRetryInterval`, the flusher keeps the completions for its next flush, the
 * heartbeat counts a failed renewal (its runs are stopped when their deadline passes).
 *
 * The timer is the scheduler's `Clock` (a `TestClock` drives it). The call runs as a fiber of the
 * scheduler's own (`fibers`, closed with it), and the caller waits for it without being made
 * interruptible: it gets its error at the limit even inside an uninterruptible region (the loop's
 * batch), which stays uninterruptible. The call is then interrupted in the background (an SQL
 * transaction rolls back). A call that timed out may still have taken effect in the store (its
 * answer was lost): every primitive is safe for that — a release whose runs never start leaves
 * them to expire and be recovered (`Lock.leased`), a lease taken by a lost acquire ends with the
 * lease, a completion stored twice is refused the second time.
 *
 * One watchdog per scheduler times the calls out, not a timer per call: the calls in flight are
 * kept in a list ordered by deadline, and one `Alarm` rings at the earliest deadline it was set
 * to; its ring fails the overdue calls and sets it to the next deadline (or none: its sleeper
 * parks). A call's end only unlinks it (a ring for a call that ended finds it gone), so a call
 * costs one fork (the call's), and the alarm's sleeper is replaced only when a call's deadline
 * comes before the one it sleeps until (a store with a shorter limit).
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import { StoreError } from "../../errors.js"
import type { JobStoreService } from "../../stores/JobStore.js"
import { Alarm, forkInSet } from "./alarm.js"

/** A store call in flight: its deadline, and its place in the watchdog's list. */
interface Entry {
  readonly deadline: number
  /** Fails the caller with the timeout and interrupts the call (in the background). */
  readonly expire: () => void
  prev: Entry | undefined
  next: Entry | undefined
  /** Whether the entry is in the list (the call has neither ended nor timed out). */
  linked: boolean
}

/**
 * The calls in flight of one scheduler, ordered by deadline, and the `Alarm` that times them out
 * (its sleeper, forked into `fibers`, parks while no call is in flight). Plain code, run on the
 * fibers that call it (one JavaScript thread: no locking). `fibers` (the scheduler's, closed with
 * it) holds the calls in flight and the alarm's sleeper; `clock` (the scheduler's) times them.
 */
export class Watchdog {
  #head: Entry | undefined
  #tail: Entry | undefined
  readonly #alarm: Alarm

  constructor(readonly clock: Clock.Clock, readonly fibers: FiberSet.FiberSet<unknown, unknown>) {
    this.#alarm = new Alarm(clock, forkInSet(fibers), (now) =>
      Effect.suspend(() => {
        let entry = this.#head
        while (entry !== undefined && entry.deadline <= now) {
          this.remove(entry)
          entry.expire()
          entry = this.#head
        }
        return entry === undefined ? Effect.void : (this.#alarm.set(entry.deadline) ?? Effect.void)
      }))
  }

  /**
   * Adds a call ending at `deadline` (after those with an earlier or equal deadline: a constant
   * limit appends), and returns the sleeper to fork when none serves it (else `undefined`).
   */
  add(entry: Entry): Effect.Effect<void> | undefined {
    let after = this.#tail
    while (after !== undefined && after.deadline > entry.deadline) after = after.prev
    entry.prev = after
    entry.next = after === undefined ? this.#head : after.next
    if (entry.next === undefined) this.#tail = entry
    else entry.next.prev = entry
    if (after === undefined) this.#head = entry
    else after.next = entry
    entry.linked = true
    return entry.deadline < this.#alarm.at ? this.#alarm.set(entry.deadline) : undefined
  }

  /** Takes the entry out of the list; `false` when it was out already (ended or timed out). */
  remove(entry: Entry): boolean {
    if (!entry.linked) return false
    entry.linked = false
    if (entry.prev === undefined) this.#head = entry.next
    else entry.prev.next = entry.next
    if (entry.next === undefined) this.#tail = entry.prev
    else entry.next.prev = entry.prev
    entry.prev = entry.next = undefined
    return true
  }
}

/**
 * `store` with every call limited to `ms` (`null`, or a store that is not `persistent`: `store`
 * itself); `alias` names it in errors; `watchdog` (the scheduler's: its stores share it) forks
 * the calls and times them out.
 */
export const withStoreTimeout = (
  store: JobStoreService,
  alias: string,
  ms: number | null,
  watchdog: Watchdog
): JobStoreService => {
  // an in-process store (the memory store) answers at once or not at all: no network to lose
  if (ms === null || store.persistent !== true) return store
  const fibers = watchdog.fibers
  const reason = `no answer within ${ms} ms`
  const limit = <A, E>(operation: string, call: Effect.Effect<A, E>): Effect.Effect<A, E | StoreError> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(FiberSet.run(fibers, Effect.interruptible(call)), (fiber) => {
        const running = fiber as Fiber.RuntimeFiber<A, E>
        const timeout = () => Effect.fail(new StoreError({ store: alias, operation, reason }))
        let resume: ((effect: Effect.Effect<A, E | StoreError>) => void) | undefined
        const entry: Entry = {
          deadline: watchdog.clock.unsafeCurrentTimeMillis() + ms,
          expire: () => {
            running.unsafeInterruptAsFork(FiberId.none)
            resume?.(timeout())
          },
          prev: undefined,
          next: undefined,
          linked: false
        }
        const arm = watchdog.add(entry)
        const wait = restore(Effect.async<A, E | StoreError>((cb) => {
          // timed out already (a limit of 0, a clock moved on while the caller yielded)
          if (!entry.linked) return cb(timeout())
          resume = cb
          running.addObserver((exit) => {
            if (watchdog.remove(entry)) cb(exit)
          })
          // the caller interrupted (an interruptible one): the call is interrupted in the background
          return Effect.sync(() => {
            if (watchdog.remove(entry)) running.unsafeInterruptAsFork(FiberId.none)
          })
        }))
        return arm === undefined ? wait : Effect.zipRight(arm, wait)
      })
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
