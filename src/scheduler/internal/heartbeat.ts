/**
 * The run leases of a scheduler under `Lock.leased` (ARCHITECTURE §2 `Lock`): which runs this
 * process holds, the heartbeat that renews their leases, the stop of a run whose lease is lost,
 * the recovery of runs whose holder died, the hand-back of leases at shutdown, and the figures of
 * `Scheduler.health`. Under `Lock.single` every part is a no-op (runs are held until completed).
 *
 * - Held runs: each run released (or recovered) by this process, from its submission to the end
 *   the executor reports. Each has a local deadline on this process's clock: the local time
 *   before the `release` that leased it plus the lease, then the send time of the last renewal
 *   that came back before the deadline plus the lease. A renewal measured from its send time
 *   never outlives the store's lease (clock rates agree; offsets do not matter).
 * - The heartbeat renews every held run in one `renewRuns` per store once the oldest lease is
 *   `leaseMs / 3` old, so every `leaseMs / 3` while runs are held (or sooner, at the earliest
 *   deadline); runs leased just now wait for the next renewal with the rest. A run the store did not renew (taken over, expired) or
 *   whose deadline passed (the store did not answer in time) is lost: it is stopped at once (its
 *   `AbortSignal` fires; an Effect job is interrupted), or never started if still queued.
 * - A lost run's `interrupted` end is not stored: its lease is handed back (`renewRuns` with
 *   lease 0), so a peer takes it over at once; any other end of a lost run goes to `complete`,
 *   which refuses it when the run was taken over (a stale fence). The same hand-back serves a
 *   shutdown: runs interrupted by it are handed back, never recorded `interrupted`.
 * - Recovery, at the start of each pass over a store: `recover` takes over runs whose holder's
 *   lease expired; each is started again (attempt + 1, a new fence) or, for a job with
 *   `recovery: "abandon"`, completed `abandoned`.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { StoreError } from "../../errors.js"
import { JobSubmitted } from "../../events/SchedulerEvent.js"
import type { CompletionSink, Submission } from "../../executors/Executor.js"
import type * as Job from "../../job/Job.js"
import type { Completion, JobStoreService, Run, RunKey } from "../../stores/JobStore.js"
import type { Instant } from "../../triggers/Trigger.js"
import type { Core } from "./core.js"
import { formatTime } from "./formatting.js"
import { Signal } from "./signal.js"

/** The most runs `recover` takes over per call. */
export const RECOVER_BATCH = 256

/** A run this process holds. */
interface Held {
  readonly run: Run
  /** Local time after which the lease may have ended in the store. */
  deadline: number
  stop: ((reason: string) => void) | undefined
  lost: boolean
}

/** The runs held in one store and the leases to hand back there. */
interface StoreLeases {
  readonly alias: string
  readonly store: JobStoreService
  readonly held: Map<string, Held>
  handBack: Array<RunKey>
  /** The sink wrapping the loop's completion buffer (cached per buffer). */
  sink: CompletionSink | undefined
  inner: CompletionSink | undefined
}

/** Whether a store answered when last asked. */
export interface StoreContact {
  readonly reachable: boolean
  readonly at: Instant
  readonly error: string | undefined
}

const keyOf = (run: { readonly jobId: string; readonly scheduledTime: number }) => `${run.scheduledTime}\u0000${run.jobId}`

const describeError = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e)

/** The heartbeat's period for a lease of `leaseMs`: a third of it (at least 1 ms). */
const periodOf = (leaseMs: number): number => Math.max(1, Math.floor(leaseMs / 3))

/**
 * Builds the run-lease machinery of a scheduler's core; `clock` is the scheduler's, `scope` holds
 * the heartbeat's timer.
 */
export const makeLeases = (core: Core, clock: Clock.Clock, scope: Scope.Scope) => {
  const { bus, state } = core
  // read at each use: a scheduler without a given Lock settles its policy at start (Scheduler.start)
  const isLeased = () => core.lock.mode === "leased"
  const stores = new Map<string, StoreLeases>()
  const wake = new Signal(clock, scope)
  const contacts = new Map<string, StoreContact>()
  let stopping = false
  let lastPassAt: Instant | undefined
  let staleRefused = 0
  let lostRuns = 0

  const now = () => clock.unsafeCurrentTimeMillis()

  const leasesOf = (alias: string, store: JobStoreService): StoreLeases => {
    let s = stores.get(alias)
    if (s === undefined || s.store !== store) {
      s = { alias, store, held: new Map(), handBack: [], sink: undefined, inner: undefined }
      stores.set(alias, s)
    }
    return s
  }

  const contact = (alias: string, error: unknown) =>
    contacts.set(alias, {
      reachable: error === undefined,
      at: now(),
      error: error === undefined ? undefined : describeError(error)
    })

  /** Stops a held run whose lease is lost (or never starts it). */
  const lose = (s: StoreLeases, h: Held, reason: string) => {
    if (h.lost) return
    h.lost = true
    lostRuns++
    h.stop?.(reason)
  }

  /** The local time to count a release's lease from (read before the `release`). */
  const since = (): number => (isLeased() ? now() : 0)

  /** Holds the runs a release (or a recovery) handed to this process, from `since`. */
  const track = (alias: string, store: JobStoreService, runs: ReadonlyArray<Run>, from: number): void => {
    if (!isLeased() || runs.length === 0) return
    const leaseMs = core.lock.leaseMs
    const s = leasesOf(alias, store)
    const first = s.held.size === 0
    for (const run of runs) s.held.set(keyOf(run), { run, deadline: from + leaseMs, stop: undefined, lost: false })
    if (first) wake.raise()
  }

  /** The sink for a store's runs: the loop's buffer, behind the lease bookkeeping when leased. */
  const sink = (alias: string, store: JobStoreService, inner: CompletionSink): CompletionSink => {
    if (!isLeased()) return inner
    const s = leasesOf(alias, store)
    if (s.sink !== undefined && s.inner === inner) return s.sink
    s.inner = inner
    s.sink = {
      storeNow: inner.storeNow,
      done: (job: Job.Job, completion: Completion) => {
        const key = keyOf(completion)
        const found = s.held.get(key)
        // the run as this process held it (a later attempt of the same key has another fence)
        const h = found !== undefined && found.run.fence === completion.fence ? found : undefined
        if (h !== undefined) s.held.delete(key)
        if (completion.state === "interrupted" && (stopping || h?.lost === true)) {
          // its lease goes back: a peer runs it again at once (never recorded interrupted)
          s.handBack.push({ jobId: completion.jobId, scheduledTime: completion.scheduledTime, fence: completion.fence })
          wake.raise()
          return
        }
        inner.done(job, completion)
      },
      starting: (run, stop, context) => {
        const h = s.held.get(keyOf(run))
        if (h === undefined || h.run.fence !== run.fence) return true
        if (h.lost) return false
        h.stop = stop
        // the job reads its lease synchronously (isLeaseValid), without waiting for the heartbeat
        context.bindLease({ deadline: () => (h.lost ? -Infinity : h.deadline), now })
        return true
      }
    }
    return s.sink
  }

  /** Hands back the leases queued in one store (best effort: an unreachable store lets them expire). */
  const handBack = (s: StoreLeases): Effect.Effect<void> => {
    if (s.handBack.length === 0) return Effect.void
    const runs = s.handBack
    s.handBack = []
    return s.store.renewRuns(core.lock.owner, runs, 0).pipe(
      Effect.tap((ok) =>
        Effect.sync(() => {
          for (const b of ok) if (!b) staleRefused++
          contact(s.alias, undefined)
        })
      ),
      Effect.catchAll((e) =>
        Effect.zipRight(
          Effect.sync(() => contact(s.alias, e)),
          Effect.logWarning(`Cannot hand back ${runs.length} run lease(s) in job store "${s.alias}"`, e)
        )
      ),
      Effect.asVoid
    )
  }

  /** Stops the held runs whose local deadline has passed (no I/O: checked before any store call). */
  const loseExpired = (s: StoreLeases): Effect.Effect<void> =>
    Effect.suspend(() => {
      const t = now()
      const lost: Array<Held> = []
      for (const h of s.held.values()) if (!h.lost && h.deadline <= t) lost.push(h)
      if (lost.length === 0) return Effect.void
      for (const h of lost) lose(s, h, "its lease could not be renewed in time")
      return Effect.logWarning(
        `Lost the leases of ${lost.length} run(s) in job store "${s.alias}": stopping them`,
        lost.map((h) => `${h.run.jobId}@${new Date(h.run.scheduledTime).toISOString()} fence ${h.run.fence}`)
      )
    })

  /**
   * One heartbeat for one store: stop the runs whose deadline passed (first: a process that was
   * frozen or stalled stops them before two round trips more), hand back, renew, and stop the
   * runs whose lease the store did not renew or whose deadline passed meanwhile.
   */
  const beatStore = (s: StoreLeases): Effect.Effect<void> =>
    Effect.gen(function*() {
      yield* loseExpired(s)
      yield* handBack(s)
      const { leaseMs, owner } = core.lock
      const held: Array<Held> = []
      // renewed (all at once) when the oldest lease is a period old: a wake-up for runs leased
      // just now (the first runs after none) only arms the timer
      const renewBy = now() - periodOf(leaseMs)
      let due = false
      for (const h of s.held.values()) {
        if (h.lost) continue
        held.push(h)
        if (h.deadline - leaseMs <= renewBy) due = true
      }
      if (due) {
        const sent = now()
        const result = yield* Effect.either(
          s.store.renewRuns(owner, held.map((h) => h.run), leaseMs).pipe(
            Effect.timeoutFail({
              duration: Math.max(1, Math.floor(leaseMs / 3)),
              onTimeout: () => new Error(`no answer within ${Math.floor(leaseMs / 3)} ms`)
            })
          )
        )
        const back = now()
        if (result._tag === "Right") {
          contact(s.alias, undefined)
          const renewed = result.right
          for (let i = 0; i < held.length; i++) {
            const h = held[i]!
            if (!renewed[i]) lose(s, h, "its lease was taken over or has expired")
            else if (back < h.deadline) h.deadline = sent + leaseMs
          }
        } else {
          contact(s.alias, result.left)
          yield* Effect.logWarning(`Cannot renew the run leases in job store "${s.alias}"`, result.left)
        }
      }
      yield* loseExpired(s)
    })

  /**
   * The heartbeat: renews every `leaseMs / 3` (sooner at the earliest deadline). Recovery needs no
   * timer of its own: under `Lock.leased` the loop passes at least every `pollMs`.
   */
  const heartbeat: Effect.Effect<never> = Effect.gen(function*() {
    const leaseMs = core.lock.leaseMs
    const period = periodOf(leaseMs)
    while (true) {
      wake.clear()
      // the next beat: at the earliest deadline, or when the oldest lease is a period old
      let next: number | undefined
      for (const s of stores.values()) {
        yield* beatStore(s)
        const t = now()
        for (const h of s.held.values()) {
          if (h.lost) continue
          const renewAt = h.deadline - leaseMs + period
          const at = renewAt > t ? Math.min(renewAt, h.deadline) : h.deadline
          if (next === undefined || at < next) next = at
        }
      }
      yield* wake.wait(next === undefined ? undefined : Math.max(0, Math.min(period, next - now())), period)
    }
  })

  /**
   * Recovery at the start of a pass over a store: takes over the runs whose holder's lease
   * expired; starts them again, or completes them `abandoned` (`recovery: "abandon"`, or no
   * executor for them). `undefined` when there is nothing to recover (not leased).
   */
  const recover = (
    alias: string,
    store: JobStoreService,
    inner: CompletionSink
  ): Effect.Effect<void, StoreError> | undefined =>
    !isLeased() ? undefined : Effect.gen(function*() {
      const from = now()
      const got = yield* store.recover({ owner: core.lock.owner, limit: RECOVER_BATCH, leaseMs: core.lock.leaseMs })
      for (const run of got.abandoned) {
        yield* Effect.logWarning(
          `Run of job "${run.jobId}" at ${formatTime(state.config.timezone, run.scheduledTime)} was abandoned: its scheduler stopped and the job is gone`
        )
      }
      if (got.runs.length === 0) return
      const out = sink(alias, store, inner)
      const byExecutor = new Map<string, Array<Submission>>()
      for (const { job, run } of got.runs) {
        const executor = state.executors.get(job.executor)
        if (job.recovery === "abandon" || executor === undefined) {
          yield* Effect.logWarning(
            `Run of job "${job.name}" at ${formatTime(state.config.timezone, run.scheduledTime)} was abandoned: its scheduler stopped while running it${
              executor === undefined ? ` (no executor "${job.executor}")` : ""
            }`
          )
          inner.done(job, {
            jobId: run.jobId,
            scheduledTime: run.scheduledTime,
            fence: run.fence,
            state: "abandoned",
            startedAt: null,
            finishedAt: got.now,
            error: "its scheduler stopped while running it"
          })
          continue
        }
        yield* Effect.logWarning(
          `Run of job "${job.name}" at ${formatTime(state.config.timezone, run.scheduledTime)} recovered: its scheduler stopped while running it (attempt ${run.attempt}, fence ${run.fence})`
        )
        // this process may still run the expired attempt (a stall longer than the lease): it is
        // stopped before the new attempt is handed out, never left running beside it
        const here = leasesOf(alias, store)
        const mine = here.held.get(keyOf(run))
        if (mine !== undefined && mine.run.fence !== run.fence) {
          lose(here, mine, "its lease expired and the run was recovered as a new attempt")
        }
        track(alias, store, [run], from)
        if (bus.hasSubscribers()) {
          bus.unsafePublish(new JobSubmitted({ jobId: job.id, jobstore: alias, scheduledRunTimes: [run.scheduledTime] }))
        }
        // each recovered run is an instance of its own: the store takes a run over only into a
        // free slot of its job (maxInstances less the runs holding a valid lease), so the runs of
        // one job taken over together start together, as their dead holder may have run them. In
        // one submission they ran one after the other: a ready run waited behind a long one that
        // was recovered with it (a 30 s failover in the chaos run)
        const list = byExecutor.get(job.executor)
        if (list === undefined) byExecutor.set(job.executor, [{ job, runs: [run] }])
        else list.push({ job, runs: [run] })
      }
      for (const [executor, submissions] of byExecutor) {
        submissions.sort((x, y) => x.runs[0]!.scheduledTime - y.runs[0]!.scheduledTime)
        yield* state.executors.get(executor)!.service.submit(submissions, out)
      }
    }).pipe(Effect.uninterruptible)

  /** From now on, runs interrupted (by the shutdown) are handed back instead of stored. */
  const beginShutdown = Effect.sync(() => {
    stopping = true
  })

  /** Hands back what the shutdown interrupted; afterwards runs end as usual again. */
  const endShutdown: Effect.Effect<void> = Effect.suspend(() =>
    Effect.forEach([...stores.values()], handBack, { discard: true }).pipe(
      Effect.ensuring(Effect.sync(() => {
        stopping = false
      }))
    )
  )

  /** The loop's report of a pass over one store (`error` when it failed). */
  const passed = (alias: string, error: unknown): void => {
    contact(alias, error)
  }

  /** The loop's report of a whole pass that went through. */
  const passEnded = (): void => {
    lastPassAt = now()
  }

  /** Counts completions a store refused (stale fences). */
  const refused = (n: number): void => {
    staleRefused += n
  }

  /** How many runs this process holds (not lost). */
  const heldCount = (): number => {
    let n = 0
    for (const s of stores.values()) for (const h of s.held.values()) if (!h.lost) n++
    return n
  }

  return {
    since,
    track,
    sink,
    recover,
    heartbeat,
    beginShutdown,
    endShutdown,
    passed,
    passEnded,
    refused,
    figures: () => ({ lastPassAt, runsHeld: heldCount(), staleRefused, lostRuns, contacts })
  }
}

/** The run-lease machinery of a scheduler. */
export type Leases = ReturnType<typeof makeLeases>
