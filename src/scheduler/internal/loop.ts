/**
 * The scheduler loop: APScheduler's `_process_jobs` on the claiming store contract, one path for
 * every store and executor. Per store and pass: `acquire` a batch (leased to this scheduler),
 * plan it with the pure `planRuns` in plain code, `release` it (the store records the runs and
 * hands out the ones to start), publish the events, hand the runs to the executors in one call
 * per executor, and go on while batches come back full — the first batch starts before the rest
 * are planned. Then sleep until the earliest next run time (or lease end) or a wake-up.
 *
 * The loop claims a little ahead (`CLAIM_AHEAD_MS`, see `ahead.ts`; further on a store whose
 * passes take longer, see `storeTime.ts`): a job due within that horizon is claimed and planned at
 * its own time, and its run is handed to the executor when that time comes, so claiming costs no
 * lateness. A store's due times are its own clock's; the loop's waits are reckoned on it
 * (`storeTime.ts`).
 *
 * The number of fiber operations per batch is constant however many jobs are due. A batch
 * (acquire → release → submit) is uninterruptible, so a released run is always handed to an
 * executor and a lease is never left behind by a shutdown.
 *
 * Runs' ends come back from the executors through a completion sink per store; they are stored
 * with `complete` in batches, at the start of every pass and by a flusher fiber between passes.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { StoreError } from "../../errors.js"
import { JobMaxInstances, JobMissed, JobMissedBacklog, JobRemoved, JobSubmitted } from "../../events/SchedulerEvent.js"
import type { CompletionSink, Submission } from "../../executors/Executor.js"
import type * as Job from "../../job/Job.js"
import { planRuns, type RunPlan } from "../../planning/planRuns.js"
import type { Acquired, Claim, Completion, Decision, JobStoreService, ReleaseOutcome } from "../../stores/JobStore.js"
import type { Instant } from "../../triggers/Trigger.js"
import type { Core } from "./core.js"
import { formatTime } from "./formatting.js"
import type { Leases } from "./heartbeat.js"
import { CLAIM_AHEAD_MS, OPEN_AHEAD_MS } from "./ahead.js"
import { Signal } from "./signal.js"
import { type StoreTime, storeTimeOf } from "./storeTime.js"

/**
 * The longest single sleep of the loop: one day (the live clock never wakes from sleeps over
 * 2^31−1 ms; longer waits are several sleeps).
 */
export const MAX_SLEEP_MS = 86_400_000

/** The most jobs the loop claims per `acquire`. */
export const BATCH_SIZE = 256

/**
 * The first `acquire` of a pass claims this many jobs; each full batch doubles the next, up to
 * `BATCH_SIZE` (a slow start: the first runs of a burst start after 32 jobs are planned, not 256).
 */
export const FIRST_BATCH_SIZE = 32

/** At most how many times the flusher yields to let a burst of completions gather. */
const GATHER_YIELDS = 16

/** The plan of a job whose trigger failed: no runs, no next run time (the store pauses it). */
const PAUSED: RunPlan = {
  due: true,
  runTimes: [],
  missed: [],
  missedSummary: undefined,
  nextRunTime: undefined,
  jobRemoved: false
}

/** A job released unchanged: no runs, its next run time kept (set per job). */
const NOT_YET: RunPlan = {
  due: false,
  runTimes: [],
  missed: [],
  missedSummary: undefined,
  nextRunTime: undefined,
  jobRemoved: false
}

/** Skips reported one warning each, per batch; more than this are summed up in one more. */
export const SKIP_NOTICES = 10

/**
 * The warnings for the jobs of one batch skipped for `maxInstances`: APScheduler's one per job,
 * up to `SKIP_NOTICES`, then one for the rest (a loop far behind 10,000 jobs would otherwise log
 * 10,000 lines a second; every skip still publishes its `JOB_MAX_INSTANCES` event).
 */
const skipNotices = (jobs: ReadonlyArray<Job.Job>): Array<string> => {
  const notices = jobs.slice(0, SKIP_NOTICES).map((job) =>
    `Execution of job "${job.name}" skipped: maximum number of running instances reached (${job.maxInstances})`
  )
  if (jobs.length > SKIP_NOTICES) {
    notices.push(
      `Execution of ${jobs.length - SKIP_NOTICES} more job(s) skipped: maximum number of running instances reached`
    )
  }
  return notices
}

/**
 * The completions of runs from one store, waiting for `complete`. The first one wakes the flusher,
 * unless a pass is under way (`busy`): the pass stores them between its batches and its end wakes
 * the flusher for the rest, so the flusher never competes with a burst.
 */
class CompletionBuffer implements CompletionSink {
  items: Array<Completion> = []
  readonly storeNow: (now: number) => number
  constructor(
    readonly alias: string,
    readonly store: JobStoreService,
    readonly signal: Signal,
    readonly busy: () => boolean,
    time: StoreTime
  ) {
    this.storeNow = (now) => time.storeNow(now)
  }
  done(_job: Job.Job, completion: Completion): void {
    this.items.push(completion)
    if (this.items.length === 1 && !this.busy()) this.signal.raise()
  }
}

/** The loop of a scheduler's core; `scope` (the scheduler's) holds the timers of its waits. */
export const makeLoop = (core: Core, clock: Clock.Clock, scope: Scope.Scope, leases: Leases) => {
  const { state, bus } = core
  // the lease policy as the loop started (a scheduler without a given Lock settles it at start)
  let lock = core.lock
  let runLeaseMs: number | null = null
  let claims: Array<Claim> = []
  const settle = () => {
    lock = core.lock
    runLeaseMs = lock.mode === "single" ? null : lock.leaseMs
    claims = []
    for (let limit = FIRST_BATCH_SIZE; ; limit = Math.min(limit * 2, BATCH_SIZE)) {
      claims.push({ owner: lock.owner, limit, leaseMs: lock.leaseMs, horizonMs: CLAIM_AHEAD_MS })
      if (limit === BATCH_SIZE) break
    }
  }
  settle()
  const completed = new Signal(clock, scope)
  const buffers = new Map<string, CompletionBuffer>()
  /**
   * Per job id, the runs this loop handed out (to an executor, or to `ahead` until their time)
   * whose ends are not stored yet: the store counts them live. A job claimed ahead while one of these is open is not
   * planned then (the store would skip its run for `maxInstances` although the open run may end
   * before the new one's time); it is released unchanged, and the loop looks again
   * `OPEN_AHEAD_MS` before the earliest next run time (at that time when it is nearer).
   */
  const open = new Map<string, number>()
  /**
   * Whether the current pass of a store released a job unchanged for an open run, or handed runs
   * to a job whose next time is already within the horizon (the next pass would release it
   * unchanged): the loop then wakes `OPEN_AHEAD_MS` before the next run time, not at once.
   */
  let deferred = false

  const openRuns = (jobId: string, n: number) => {
    open.set(jobId, (open.get(jobId) ?? 0) + n)
  }
  /** The ends of `items` are stored: their runs are no longer open. */
  const closeRuns = (items: ReadonlyArray<Completion>) => {
    for (let i = 0; i < items.length; i++) {
      const id = items[i]!.jobId
      const n = open.get(id)
      if (n === undefined) continue
      if (n > 1) open.set(id, n - 1)
      else open.delete(id)
    }
  }
  let passing = false
  const busy = () => passing

  const sinkOf = (alias: string, store: JobStoreService): CompletionBuffer => {
    let buffer = buffers.get(alias)
    if (buffer === undefined || buffer.store !== store) {
      buffer = new CompletionBuffer(alias, store, completed, busy, storeTimeOf(core.storeTimes, alias))
      buffers.set(alias, buffer)
    }
    return buffer
  }

  // one flush at a time: a flush that finds another one under way waits for its end, then
  // flushes what came in meanwhile (a shutdown's last flush returns only when every end is
  // stored). A flag and resume callbacks, not a semaphore: a flush runs once or twice per pass,
  // and a semaphore's permit costs several times the allocation.
  let flushBusy = false
  let flushWaiters: Array<(effect: Effect.Effect<void>) => void> = []
  const endFlush = () => {
    flushBusy = false
    const waiters = flushWaiters
    flushWaiters = []
    for (let i = 0; i < waiters.length; i++) waiters[i]!(Effect.void)
  }
  const afterFlush: Effect.Effect<void> = Effect.async<void>((resume) => {
    flushWaiters.push(resume)
  })

  /**
   * Stores the completions buffered so far: one `complete` per store, one after the other; the
   * flush ends (`endFlush`) when the last of them has ended. A store's failure or defect keeps its
   * completions for the next flush, and a flush itself never fails.
   */
  const flushNow = (): Effect.Effect<void> => {
    const work: Array<Effect.Effect<void>> = []
    let left = 0
    const ended = () => {
      if (--left === 0) endFlush()
    }
    for (const buffer of buffers.values()) {
      if (buffer.items.length === 0) continue
      const items = buffer.items
      buffer.items = []
      left++
      work.push(Effect.matchCauseEffect(buffer.store.complete(items), {
        onSuccess: (accepted) => {
          try {
            closeRuns(items)
            const refused = items.filter((_, i) => !accepted[i])
            leases.refused(refused.length)
            return refused.length === 0 ? Effect.void : Effect.logWarning(
              `Job store "${buffer.alias}" refused ${refused.length} stale completion(s)`,
              refused.map((c) => `${c.jobId}@${new Date(c.scheduledTime).toISOString()} fence ${c.fence}`)
            )
          } catch (defect) {
            return Effect.logError(`Cannot account for the run results stored in job store "${buffer.alias}"`, defect)
          } finally {
            ended()
          }
        },
        // a failure or a defect keeps them for the next flush
        onFailure: (cause) => {
          buffer.items = items.concat(buffer.items)
          ended()
          return Effect.logWarning(`Cannot record run results in job store "${buffer.alias}"`, Cause.squash(cause))
        }
      }))
    }
    if (work.length === 0) {
      endFlush()
      return Effect.void
    }
    return work.length === 1 ? work[0]! : Effect.all(work, { discard: true })
  }
  /** Whether any buffer holds completions. */
  const anyBuffered = () => {
    for (const buffer of buffers.values()) if (buffer.items.length > 0) return true
    return false
  }
  /**
   * Stores the completions buffered so far, one flush at a time. Uninterruptible: completions
   * taken from a buffer are stored (or put back) before the caller can stop, so a shutdown never
   * drops one in flight.
   */
  const flushing: Effect.Effect<void> = Effect.uninterruptible(Effect.suspend(() => {
    if (flushBusy) return Effect.zipRight(afterFlush, flushing)
    flushBusy = true
    return flushNow()
  }))
  // nothing buffered and no flush under way: nothing to wait for (the loop flushes once per pass)
  const flush: Effect.Effect<void> = Effect.suspend(() => (flushBusy || anyBuffered() ? flushing : Effect.void))

  /** How many completions the buffers hold. */
  const buffered = () => {
    let n = 0
    for (const buffer of buffers.values()) n += buffer.items.length
    return n
  }
  /**
   * Flushes once the completions stop coming in a burst: yields while the buffers grew since the
   * last look (other fibers, the executor's workers among them, run meanwhile), at most
   * `GATHER_YIELDS` times. A worker yields to the scheduler after a fixed number of Effect
   * operations, so without this a burst of runs was stored a few at a time (about 10 completions
   * per SQLite transaction under `Lock.leased`, whose runs take more operations each, against 35
   * under `Lock.single`). There is no cap on the size: a cap of one claim batch (256) stored the
   * first 256 ends of a burst of 1,000 plain functions while 744 runs still waited to start (the
   * worker yields every 256 runs), and each such flush delayed the rest of the burst.
   */
  const gather = (yields: number, last: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      const n = buffered()
      if (yields < GATHER_YIELDS && n !== last) return Effect.zipRight(Effect.yieldNow(), gather(yields + 1, n))
      return flushBusy || n > 0 ? flushing : Effect.void
    })

  /** Stores completions as they come (between passes); retries after a store error. */
  const flusher: Effect.Effect<never> = Effect.suspend(() => {
    completed.clear()
    return Effect.zipRight(gather(0, -1), flusherWait)
  })
  const flusherWait: Effect.Effect<never> = Effect.suspend(() =>
    Effect.zipRight(
      completed.wait(anyBuffered() ? state.config.jobstoreRetryInterval * 1000 : undefined, MAX_SLEEP_MS),
      flusher
    )
  )

  const zone = () => state.config.timezone

  /** Jobs whose executor is gone are removed (APScheduler logs and removes them). */
  const removeOrphans = (alias: string, store: JobStoreService, orphans: ReadonlyArray<Job.Job>) =>
    Effect.forEach(orphans, (job) =>
      Effect.gen(function*() {
        yield* Effect.logError(
          `Executor lookup ("${job.executor}") failed for job "${job.name}" -- removing it from the job store`
        )
        yield* Effect.catchTag(store.remove(job.id), "JobLookupError", () => Effect.void)
        yield* bus.publish(new JobRemoved({ jobId: job.id, jobstore: alias }))
      }), { discard: true })

  /**
   * Runs `effects` in order, then gives `result` (the pass's steps are plain code between store
   * calls; only what has to be an Effect is one).
   */
  const sequence = <A, E, E2 = never>(
    effects: ReadonlyArray<Effect.Effect<void, E2>>,
    result: Effect.Effect<A, E>
  ): Effect.Effect<A, E | E2> =>
    effects.length === 0
      ? result
      : effects.length === 1
      ? Effect.zipRight(effects[0]!, result)
      : Effect.zipRight(Effect.forEach(effects, (e) => e, { discard: true }), result)

  /**
   * One batch of one store: acquire (up to `claim.limit` jobs), plan, release, publish, submit.
   * Gives how many jobs were acquired (a full batch: more may be due). Uninterruptible (see the
   * module header). Written as a chain of the store calls with plain code between them, not a
   * generator: the loop passes once or twice per run of a periodic job, and each step of a
   * generator costs fiber operations and allocation.
   */
  const batch = (
    alias: string,
    store: JobStoreService,
    time: StoreTime,
    claim: Claim,
    /** When the acquire is sent (the scheduler's clock): the caller runs as the batch starts. */
    sent: number
  ): Effect.Effect<number, StoreError> =>
    Effect.uninterruptible(
      Effect.flatMap(store.acquire(claim), (acquired) => acquiredBatch(alias, store, time, acquired, sent))
    )

  /** An acquired batch: the store's clock noted, jitter drawn, then planned. */
  const acquiredBatch = (
    alias: string,
    store: JobStoreService,
    time: StoreTime,
    acquired: Acquired,
    sent: number
  ): Effect.Effect<number, StoreError> => {
    time.sawNow(acquired.now, sent, clock.unsafeCurrentTimeMillis())
    const jobs = acquired.jobs
    if (jobs.length === 0) return NONE
    // jitter samples come from Random, one draw per jittered job (none for most batches)
    let jittered = 0
    for (let i = 0; i < jobs.length; i++) if (jobs[i]!.job.trigger.jitter) jittered++
    return jittered === 0
      ? plan(alias, store, time, acquired, [])
      : Effect.flatMap(Effect.all(Array.from({ length: jittered }, () => Random.next)), (samples) =>
        plan(alias, store, time, acquired, samples))
  }

  const NONE: Effect.Effect<number> = Effect.succeed(0)

  /** Plans an acquired batch (plain code), then releases it and hands its runs over. */
  const plan = (
    alias: string,
    store: JobStoreService,
    time: StoreTime,
    acquired: Acquired,
    samples: ReadonlyArray<number>
  ): Effect.Effect<number, StoreError> => {
    const jobs = acquired.jobs
    const now = acquired.now
    let sample = 0
    const decisions: Array<Decision> = []
    let orphans: Array<Job.Job> | undefined
    let broken: Array<{ readonly job: Job.Job; readonly error: unknown }> | undefined
    // a job planned now while a run of it is open (a pass at or past its time)
    let planningOpen = false
    for (let i = 0; i < jobs.length; i++) {
      const leased = jobs[i]!
      const job = leased.job
      if (!state.executors.has(job.executor)) {
        ;(orphans ??= []).push(job)
        continue
      }
      let plan: RunPlan
      const nextRunTime = job.nextRunTime!
      if (nextRunTime > now && open.has(job.id)) {
        // claimed ahead while a run of it is open: planned later (see `open`)
        deferred = true
        decisions.push({ leased, plan: { ...NOT_YET, nextRunTime } })
        continue
      }
      if (open.has(job.id)) planningOpen = true
      try {
        plan = planRuns({
          nextRunTime,
          trigger: job.trigger,
          // a job claimed ahead is planned at its own time: its one run, not late
          now: nextRunTime > now ? nextRunTime : now,
          misfireGraceTime: job.misfireGraceTime,
          coalesce: job.coalesce,
          jitterSample: job.trigger.jitter ? samples[sample++] : undefined
        })
      } catch (error) {
        // a trigger that is not ours gave a bad fire time (TriggerOutputError): the job is paused
        plan = PAUSED
        ;(broken ??= []).push({ job, error })
      }
      decisions.push({ leased, plan })
    }
    const before: Array<Effect.Effect<void, StoreError>> = []
    if (orphans !== undefined) before.push(removeOrphans(alias, store, orphans))
    if (broken !== undefined) {
      for (const { error, job } of broken) {
        before.push(Effect.logError(`Cannot plan the runs of job "${job.name}" (${job.id}) -- pausing it`, error))
      }
    }
    const done = Effect.succeed(jobs.length)
    if (decisions.length === 0) return sequence(before, done)
    const release = (): Effect.Effect<number, StoreError> => {
      const from = leases.since()
      return Effect.flatMap(
        store.release(lock.owner, decisions, runLeaseMs),
        (outcomes) => sequence(handOver(alias, store, time, now, decisions, outcomes, from), done)
      )
    }
    // a run that ended after this pass's first flush (while its job was acquired) is stored
    // before the release counts the job's live runs: only a run still going counts for
    // `maxInstances` (APScheduler counts the instances running at the submission)
    if (planningOpen && (flushBusy || anyBuffered())) before.push(flush)
    return before.length === 0 ? release() : sequence(before, Effect.suspend(release))
  }

  /**
   * After a release: publishes the events and gives the Effects that hand the runs over (to the
   * executors, or to `ahead` until their time) and log the notices, in order.
   */
  const handOver = (
    alias: string,
    store: JobStoreService,
    time: StoreTime,
    now: Instant,
    decisions: ReadonlyArray<Decision>,
    outcomes: ReadonlyArray<ReleaseOutcome>,
    from: number
  ): Array<Effect.Effect<void>> => {
    // events in APScheduler's order per job (missed, removed, then submitted / max instances)
    const notices: Array<string> = []
    let skipped: Array<Job.Job> | undefined
    const watched = bus.hasSubscribers()
    let byExecutor: Map<string, Array<Submission>> | undefined
    let firstExecutor: string | undefined
    let firstBatch: Array<Submission> | undefined
    let later: Map<string, { at: Instant; executor: string; submissions: Array<Submission> }> | undefined
    for (let i = 0; i < decisions.length; i++) {
      const outcome = outcomes[i]!
      if (outcome._tag === "Refused") continue
      const { leased: { job }, plan } = decisions[i]!
      const summary = plan.missedSummary
      if (summary !== undefined) {
        notices.push(
          `Run time of job "${job.name}" was missed: ${summary.count} run(s) from ${formatTime(zone(), summary.first)} to ${
            formatTime(zone(), summary.last)
          }`
        )
        for (const t of plan.missed) bus.unsafePublish(new JobMissed({ jobId: job.id, jobstore: alias, scheduledRunTime: t }))
        if (summary.count > plan.missed.length) {
          bus.unsafePublish(
            new JobMissedBacklog({
              jobId: job.id,
              jobstore: alias,
              first: summary.first,
              last: summary.last,
              count: summary.count
            })
          )
        }
      }
      if (plan.jobRemoved && watched) bus.unsafePublish(new JobRemoved({ jobId: job.id, jobstore: alias }))
      if (outcome.skipped) {
        bus.unsafePublish(new JobMaxInstances({ jobId: job.id, jobstore: alias, scheduledRunTimes: plan.runTimes }))
        ;(skipped ??= []).push(job)
        continue
      }
      const runs = outcome.runs
      if (runs.length === 0) continue
      leases.track(alias, store, runs, from)
      openRuns(job.id, runs.length)
      if (plan.nextRunTime !== undefined && plan.nextRunTime - time.horizon <= now) {
        // its next time is within the horizon while these runs are open: the next pass would
        // release it unchanged (see `open`), so this pass counts it as deferred already
        deferred = true
      }
      if (watched) {
        bus.unsafePublish(
          new JobSubmitted({ jobId: job.id, jobstore: alias, scheduledRunTimes: runs.map((r) => r.scheduledTime) })
        )
      }
      const submission: Submission = { job, runs }
      const at = runs[0]!.scheduledTime
      if (at > now) {
        // claimed ahead: handed to the executor at its time
        later ??= new Map()
        const key = `${at}\u0000${job.executor}`
        const group = later.get(key)
        if (group === undefined) later.set(key, { at, executor: job.executor, submissions: [submission] })
        else group.submissions.push(submission)
        continue
      }
      if (firstExecutor === undefined || firstExecutor === job.executor) {
        firstExecutor = job.executor
        ;(firstBatch ??= []).push(submission)
      } else {
        byExecutor ??= new Map()
        const list = byExecutor.get(job.executor)
        if (list === undefined) byExecutor.set(job.executor, [submission])
        else list.push(submission)
      }
    }
    const effects: Array<Effect.Effect<void>> = []
    const sink = leases.sink(alias, store, sinkOf(alias, store))
    const clockNow = clock.unsafeCurrentTimeMillis()
    // runs claimed ahead by earlier batches whose time has come start first
    const due = core.ahead.takeDue(clockNow)
    if (due !== undefined) effects.push(due)
    if (firstBatch !== undefined) effects.push(state.executors.get(firstExecutor!)!.service.submit(firstBatch, sink))
    if (byExecutor !== undefined) {
      for (const [executor, submissions] of byExecutor) {
        effects.push(state.executors.get(executor)!.service.submit(submissions, sink))
      }
    }
    if (later !== undefined) {
      for (const { at, executor, submissions } of later.values()) {
        // `at` is the store's time; the alarm rings on the scheduler's clock
        const local = time.local(at)
        if (local <= clockNow) effects.push(state.executors.get(executor)!.service.submit(submissions, sink))
        else {
          const arm = core.ahead.schedule(local, executor, submissions, sink)
          if (arm !== undefined) effects.push(arm)
        }
      }
    }
    if (skipped !== undefined) notices.push(...skipNotices(skipped))
    for (const n of notices) effects.push(Effect.logWarning(n))
    return effects
  }

  /**
   * Every batch due (or due within the claim-ahead horizon) in one store, then when to wake up for
   * it: the store's horizon before its next run time, or at that time when this pass claimed nothing
   * (what is due then is leased to another scheduler until then: no early wake-up can take it).
   */
  const passStore = (alias: string, store: JobStoreService): Effect.Effect<Instant | undefined, StoreError> => {
    deferred = false
    let round = 0
    let claimed = 0
    const time = storeTimeOf(core.storeTimes, alias)
    const started = clock.unsafeCurrentTimeMillis()
    let lastClaim = started
    // the next due time is the store's: the wake-up is reckoned on the store's clock and given on
    // the scheduler's (`storeTime.ts`)
    const nextWake = Effect.map(store.getNextRunTime, (next): Instant | undefined => {
      if (claimed > 0) time.passed(lastClaim - started)
      if (Option.isNone(next)) return undefined
      const now = time.storeNow(clock.unsafeCurrentTimeMillis())
      const early = next.value - time.horizon
      if (early > now) return time.local(early)
      // within the horizon after a pass: leased to a peer (wake at its time, not in a busy loop),
      // or a job with an open run (see `deferred`): wake OPEN_AHEAD_MS before its time, or at it
      if (claimed === 0) return time.local(next.value)
      if (!deferred) return time.local(early)
      const near = next.value - OPEN_AHEAD_MS
      return time.local(near > now ? near : next.value)
    })
    const step = (): Effect.Effect<Instant | undefined, StoreError> => {
      const base = claims[Math.min(round++, claims.length - 1)]!
      const claim = base.horizonMs === time.horizon ? base : { ...base, horizonMs: time.horizon }
      return Effect.flatMap(batch(alias, store, time, claim, clock.unsafeCurrentTimeMillis()), (n) => {
        if (n > 0) {
          claimed += n
          lastClaim = clock.unsafeCurrentTimeMillis()
        }
        if (n < claim.limit) return nextWake
        if (state.status !== "running") return NO_WAKE
        // let the executors start the batch before the next is planned; the ends that came in
        // meanwhile are stored before more is planned: a pass that never runs out of due jobs (a
        // loop behind its jobs) still keeps the live-run counts true
        return Effect.zipRight(Effect.yieldNow(), Effect.zipRight(flush, Effect.suspend(step)))
      })
    }
    const recover = leases.recover(alias, store, sinkOf(alias, store))
    return recover === undefined ? step() : Effect.zipRight(recover, Effect.suspend(step))
  }

  const NO_WAKE: Effect.Effect<undefined> = Effect.succeed(undefined)

  /**
   * Ends a store's pass: the completions that came in during it go to the flusher (plain code, on
   * every exit of the pass; an interrupted pass leaves `passing` set, and the loop clears it when
   * it starts again).
   */
  const endPass = () => {
    passing = false
    if (anyBuffered()) completed.raise()
  }

  /** One pass over every store; the delay until the next pass (`undefined` = until woken). */
  const processJobs: Effect.Effect<number | undefined> = Effect.suspend(() => {
    if (state.status !== "running") return NO_WAKE
    // the ends stored first (nothing to do, the usual case, costs no fiber operation)
    return flushBusy || anyBuffered() ? Effect.zipRight(flushing, passes) : startPasses()
  })

  /** The passes over the stores, one after the other. */
  const startPasses = (): Effect.Effect<number | undefined> => {
    const start = clock.unsafeCurrentTimeMillis()
    const stores = [...state.stores]
    let i = 0
    let nextWakeup: Instant | undefined
    let failed = false
    const next = (): Effect.Effect<number | undefined> => {
      if (i < stores.length) {
        const [alias, owned] = stores[i++]!
        passing = true
        return Effect.matchCauseEffect(passStore(alias, owned.service), {
          onFailure: (cause) => {
            endPass()
            const failure = Cause.failureOrCause(cause)
            // a defect or an interruption: the loop's handler
            if (failure._tag === "Right") return Effect.failCause(failure.right)
            const error = failure.left
            leases.passed(alias, error)
            failed = true
            const retry = start + state.config.jobstoreRetryInterval * 1000
            if (nextWakeup === undefined || retry < nextWakeup) nextWakeup = retry
            return Effect.zipRight(
              Effect.logWarning(`Error getting due jobs from job store "${alias}"`, error),
              Effect.suspend(next)
            )
          },
          onSuccess: (t) => {
            endPass()
            leases.passed(alias, undefined)
            if (t !== undefined && (nextWakeup === undefined || t < nextWakeup)) nextWakeup = t
            return next()
          }
        })
      }
      if (!failed) leases.passEnded()
      if (state.status !== "running") return NO_WAKE
      // on a shared store a peer may add or change jobs: look again at least every pollMs
      if (nextWakeup === undefined) return Effect.succeed(lock.pollMs ?? undefined)
      const wait = Math.max(nextWakeup - clock.unsafeCurrentTimeMillis(), 0)
      return Effect.succeed(lock.pollMs !== null && wait > lock.pollMs ? lock.pollMs : wait)
    }
    return next()
  }
  const passes: Effect.Effect<number | undefined> = Effect.suspend(startPasses)

  /**
   * One round of the loop: a pass, then the wait for the next due time or a wake-up; after an
   * unexpected failure of a pass (logged), a second.
   */
  const round: Effect.Effect<never> = Effect.suspend(() => {
    core.wake.clear() // signals raised before this pass are served by it
    return Effect.matchCauseEffect(processJobs, {
      onFailure: (cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.zipRight(Effect.logError("Unexpected error in the scheduler loop", cause), afterPass(1000)),
      onSuccess: afterPass
    })
  })
  const afterPass = (wait: number | undefined): Effect.Effect<never> =>
    Effect.zipRight(wait === 0 ? Effect.yieldNow() : core.wake.wait(wait, MAX_SLEEP_MS), round)

  /** The loop: pass, then wait for the next due time or a wake-up. */
  const loop: Effect.Effect<never> = Effect.suspend(() => {
    settle()
    passing = false // a pass interrupted by a shutdown left it set
    // peers' change hints wake the loop (children of the loop's fiber: they stop with it)
    const hints: Array<Effect.Effect<void>> = []
    for (const owned of state.stores.values()) {
      const changes = owned.service.changes
      if (changes !== undefined) {
        hints.push(Effect.asVoid(Effect.fork(Stream.runForEach(changes, () => Effect.sync(() => core.wake.raise())))))
      }
    }
    return sequence(hints, round)
  })

  return { loop, flusher, flush }
}
