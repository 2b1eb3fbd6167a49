/**
 * What a running job knows about its run: job id, scheduled time, fencing token, attempt, an
 * idempotency key and an `AbortSignal` that fires when the run must stop (the scheduler shuts
 * down without waiting, or the run's lease is lost under `Lock.leased`). Effect jobs read it from the {@link JobContext}
 * service (and are interrupted instead); plain and promise jobs call {@link current} — at the
 * start of the job, or anywhere in its asynchronous continuation (Node's `AsyncLocalStorage`).
 *
 * A job guards its own side effects with the fence (a fenced write: `… WHERE fence < $fence`) or
 * the idempotency key; exactly-once is impossible for a side effect that can use neither.
 *
 * @example
 * ```ts
 * import { JobContext } from "effect-apscheduler"
 *
 * const report = async () => {
 *   const ctx = JobContext.current()!
 *   await fetch(url, { method: "POST", headers: { "Idempotency-Key": ctx.idempotencyKey }, signal: ctx.signal })
 * }
 * ```
 *
 * @since 0.1.0
 */
import { AsyncLocalStorage } from "node:async_hooks"
import * as Context from "effect/Context"
import { RunInterruptedError } from "../errors.js"
import type { Instant } from "../triggers/Trigger.js"

/**
 * The context of one run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunContext {
  readonly jobId: string
  /** The planned time of the run (before its start). */
  readonly scheduledTime: Instant
  /** The fencing token: larger for every later run of the job (and for a re-run after a crash). */
  readonly fence: number
  /** 1 for the first start of this run; more for a recovery re-run. */
  readonly attempt: number
  /** `${jobId}@${scheduledTime as ISO-8601 UTC with milliseconds}`: the same key everywhere. */
  readonly idempotencyKey: string
  /** Fires when the run must stop. */
  readonly signal: AbortSignal
  /**
   * Whether the run still holds its lease for at least `marginMs` more (default 0), read now and
   * synchronously: `false` once the signal has fired, or (under `Lock.leased`) once the local
   * deadline the heartbeat keeps (send time of the last accepted renewal + lease, never later
   * than the store's lease end) is less than `marginMs` away. Call it right before a side effect:
   * the signal fires only when the heartbeat's fiber gets to run, this check does not wait for
   * it. Without leases (`Lock.single`, a worker thread) only the signal counts.
   */
  isLeaseValid(marginMs?: number): boolean
  /** Throws `RunInterruptedError` (with the reason) when {@link RunContext.isLeaseValid} is `false`. */
  throwIfLeaseLost(marginMs?: number): void
}

/**
 * The run context as an Effect service (provided to Effect jobs).
 *
 * @since 0.1.0
 * @category tags
 */
export class JobContext extends Context.Tag("effect-apscheduler/JobContext")<JobContext, RunContext>() {}

const storage = new AsyncLocalStorage<RunContext>()

/** The context of the synchronous call in progress (`runSync`). */
let syncContext: RunContext | undefined

/**
 * The context of the run in progress, or `undefined` outside a run: in a job function's
 * synchronous part always, and after an `await` in an `async function` job (see `runWith`).
 *
 * @since 0.1.0
 * @category accessors
 */
export const current = (): RunContext | undefined => syncContext ?? storage.getStore()

/**
 * Calls `f` with `context` as the current run context, in `f` and in its asynchronous
 * continuation (Node's `AsyncLocalStorage`). The executors use it for `async function` jobs only:
 * on Node 20, the first `AsyncLocalStorage.run` turns on promise hooks for the whole process,
 * which made every promise and every Effect fiber hop slower (1,000 plain jobs due at once
 * started twice as late).
 *
 * @since 0.1.0
 * @category utils
 */
export const runWith = <A>(context: RunContext, f: () => A): A => storage.run(context, f)

/**
 * Calls `f` with `context` as the current run context for its synchronous part only (a plain
 * variable, no async hooks): how the executors call jobs that are not `async function`s. A plain
 * function that returns a promise sees its context until it returns, not in callbacks it leaves
 * behind.
 *
 * @since 0.1.0
 * @category utils
 */
export const runSync = <A>(context: RunContext, f: () => A): A => {
  const previous = syncContext
  syncContext = context
  try {
    return f()
  } finally {
    syncContext = previous
  }
}

/**
 * The idempotency key of a run: `${jobId}@${scheduled time as ISO-8601 UTC with milliseconds}`
 * (`report@2026-12-01T09:00:00.000Z`).
 *
 * @since 0.1.0
 * @category utils
 */
export const idempotencyKey = (jobId: string, scheduledTime: Instant): string =>
  `${jobId}@${new Date(Math.floor(scheduledTime)).toISOString()}`

/**
 * A run's lease as the scheduler holding it sees it: the local deadline (on the scheduler's
 * `Clock`; `-Infinity` once the lease is known lost) and that clock's current time.
 *
 * @since 0.1.0
 * @category models
 */
export interface LeaseView {
  readonly deadline: () => number
  readonly now: () => number
}

/**
 * A run context whose signal (and the key) are made only when read; `abort` fires the signal if
 * anybody has read it.
 *
 * @since 0.1.0
 * @category constructors
 */
export class LazyRunContext implements RunContext {
  #controller: AbortController | undefined
  #aborted: { readonly reason: unknown } | undefined
  #key: string | undefined
  #lease: LeaseView | undefined
  constructor(
    readonly jobId: string,
    readonly scheduledTime: Instant,
    readonly fence: number,
    readonly attempt: number
  ) {}
  get idempotencyKey(): string {
    return this.#key ??= idempotencyKey(this.jobId, this.scheduledTime)
  }
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#aborted !== undefined) this.#controller.abort(this.#aborted.reason)
    }
    return this.#controller.signal
  }
  /** Binds the run's lease (the executor does it when the run starts under `Lock.leased`). */
  bindLease(lease: LeaseView): void {
    this.#lease = lease
  }
  isLeaseValid(marginMs = 0): boolean {
    if (this.#aborted !== undefined) return false
    const lease = this.#lease
    return lease === undefined || lease.now() + marginMs < lease.deadline()
  }
  throwIfLeaseLost(marginMs = 0): void {
    if (this.isLeaseValid(marginMs)) return
    const aborted = this.#aborted
    if (aborted !== undefined && aborted.reason instanceof RunInterruptedError) throw aborted.reason
    const lease = this.#lease
    const reason = aborted !== undefined
      ? String(aborted.reason)
      : `its lease ends at ${lease === undefined ? "?" : new Date(lease.deadline()).toISOString()}, less than ${marginMs} ms after now (${
        lease === undefined ? "?" : new Date(lease.now()).toISOString()
      })`
    throw new RunInterruptedError({ jobId: this.jobId, scheduledTime: this.scheduledTime, reason })
  }
  /** Fires the signal (at once if it was read, else when it is). */
  abort(reason: unknown): void {
    if (this.#aborted !== undefined) return
    this.#aborted = { reason }
    this.#controller?.abort(reason)
  }
}
