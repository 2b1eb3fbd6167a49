import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import { EventBus } from "../../events/EventBus.js"
import { JobError, JobExecuted, JobMaxInstances, JobMissed, JobSubmitted } from "../../events/SchedulerEvent.js"
import type { Job, JobFunction } from "../../job/Job.js"
import type { Instant } from "../../triggers/Trigger.js"
import { Executor, type SubmitResult } from "../Executor.js"
import { describeFailure, isPromiseLike, toEffect } from "./invoke.js"

/**
 * A synchronous `submit`: `"submitted"`, or the Effect that finishes a refused submission (its
 * warning; `JOB_MAX_INSTANCES` is already published). The scheduler's loop calls it in place of
 * `submit` for the executors built by {@link makeBase}.
 */
export type UnsafeSubmit = (job: Job, runTimes: ReadonlyArray<Instant>) => "submitted" | Effect.Effect<SubmitResult>

// the synchronous submit of each executor built here (keyed by the very object: a wrapper has none)
const unsafeSubmits = new WeakMap<Executor["Type"], UnsafeSubmit>()

/** The synchronous submit of an executor built by {@link makeBase} (that very object), if any. */
export const unsafeSubmitOf = (executor: Executor["Type"]): UnsafeSubmit | undefined => unsafeSubmits.get(executor)

interface Item {
  readonly job: Job
  readonly runTimes: ReadonlyArray<Instant>
}

/** How many queued runs a worker handles before it yields to other fibers. */
const BATCH = 256

const hasKeys = (o: object): boolean => {
  for (const _ in o) return true
  return false
}

/**
 * The machinery shared by executors: a queue served by `maxWorkers` worker fibers, instance
 * counting, APScheduler's `run_job` (late start → `JOB_MISSED`, else run → `JOB_EXECUTED` /
 * `JOB_ERROR`) and shutdown. `execute` runs one run of one job. When `direct(job)` gives a
 * function, it is called in place and only a `Promise` / `Effect` result goes through the
 * fiber machinery (synchronous jobs cost no extra fiber operations).
 */
export const makeBase = (options: {
  readonly maxWorkers: number
  readonly execute: (job: Job, runTime: Instant) => Effect.Effect<unknown, unknown>
  readonly direct?: (job: Job) => JobFunction | undefined
}): Effect.Effect<Executor["Type"], never, EventBus | Scope.Scope> =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const clock = yield* Effect.clock
    const workers = yield* FiberSet.make<never, never>()
    const instances = new Map<string, number>()
    // FIFO of queued runs: an array with a moving head
    let items: Array<Item> = []
    let head = 0
    let pending = 0 // queued + running items
    let idle: Deferred.Deferred<void> | undefined
    // idle workers, each waiting on its own Deferred; one is woken at a time (see notify)
    let waiting: Array<Deferred.Deferred<void>> = []
    let wakePending = false // a woken worker has not looked at the queue yet

    const release = (job: Job) => {
      const n = (instances.get(job.id) ?? 1) - 1
      if (n <= 0) instances.delete(job.id)
      else instances.set(job.id, n)
      pending--
      if (pending === 0 && idle !== undefined) {
        const d = idle
        idle = undefined
        Deferred.unsafeDone(d, Exit.void)
      }
    }

    /**
     * Wakes one idle worker, unless one woken earlier has not reached the queue yet (it will take
     * this item too). A worker that leaves queued items behind (it starts an asynchronous run)
     * notifies again, so queued runs still get up to `maxWorkers` workers; synchronous runs,
     * which one worker runs in batches, no longer wake every idle worker for nothing.
     */
    const notify = () => {
      if (wakePending || waiting.length === 0) return
      wakePending = true
      Deferred.unsafeDone(waiting.pop()!, Exit.void)
    }

    const late = (job: Job, runTime: Instant, now: Instant) =>
      job.misfireGraceTime !== null && now - runTime > job.misfireGraceTime * 1000

    const reportMissed = (job: Job, runTime: Instant, now: Instant) =>
      Effect.zipRight(
        Effect.logWarning(`Run time of job "${job.name}" was missed by ${(now - runTime) / 1000} s`),
        bus.publish(new JobMissed({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime }))
      )

    const reportError = (job: Job, runTime: Instant, cause: Cause.Cause<unknown>) => {
      const { exception, traceback } = describeFailure(cause)
      return Effect.zipRight(
        Effect.logError(`Job "${job.name}" raised an exception`, cause),
        bus.publish(new JobError({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime, exception, traceback }))
      )
    }

    const finish = (job: Job, runTime: Instant, effect: Effect.Effect<unknown, unknown>): Effect.Effect<void> =>
      effect.pipe(
        Effect.matchCauseEffect({
          onSuccess: (retval) =>
            bus.publish(new JobExecuted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime, retval })),
          onFailure: (cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : reportError(job, runTime, cause)
        })
      )

    const runOne = (job: Job, runTime: Instant): Effect.Effect<void> =>
      Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return late(job, runTime, now) ? reportMissed(job, runTime, now) : finish(job, runTime, options.execute(job, runTime))
      })

    /** The runs of `item` from index `from` on, through the fiber machinery. */
    const slowRun = (item: Item, from: number): Effect.Effect<void> =>
      Effect.forEach(item.runTimes.slice(from), (t) => runOne(item.job, t), { discard: true })

    /**
     * Runs one item; synchronous results are handled in place. Returns `undefined` when the item
     * is done, or the Effect that completes it.
     */
    const runItem = (item: Item): Effect.Effect<void> | undefined => {
      const { job, runTimes } = item
      const fn = options.direct?.(job)
      if (fn === undefined) return slowRun(item, 0)
      for (let i = 0; i < runTimes.length; i++) {
        const runTime = runTimes[i]!
        const now = clock.unsafeCurrentTimeMillis()
        if (late(job, runTime, now)) return Effect.zipRight(reportMissed(job, runTime, now), slowRun(item, i + 1))
        let result: unknown
        try {
          result = hasKeys(job.kwargs) ? fn(...job.args, job.kwargs) : fn(...job.args)
        } catch (error) {
          return Effect.zipRight(reportError(job, runTime, Cause.fail(error)), slowRun(item, i + 1))
        }
        if (Effect.isEffect(result) || isPromiseLike(result)) {
          return Effect.zipRight(finish(job, runTime, toEffect(result)), slowRun(item, i + 1))
        }
        if (bus.hasSubscribers()) {
          bus.unsafePublish(
            new JobExecuted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime, retval: result })
          )
        }
      }
      return undefined
    }

    const takeItem = (): Item | undefined => {
      if (head >= items.length) return undefined
      const item = items[head]!
      items[head++] = undefined as never
      if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head)
        head = 0
      }
      return item
    }

    /**
     * A worker: runs queued items (synchronous ones in batches), waits when there are none. Woken
     * by a submit, it goes straight to the queue (no extra yield first, as `Effect.forever` would
     * add: the loop submitting more jobs would run again before the woken worker starts any).
     */
    const worker: Effect.Effect<never> = Effect.suspend(() => {
      wakePending = false
      for (let n = 0; n < BATCH; n++) {
        const item = takeItem()
        if (item === undefined) {
          const d = Deferred.unsafeMake<void>(FiberId.none)
          waiting.push(d)
          return Effect.flatMap(Deferred.await(d), () => worker)
        }
        let rest: Effect.Effect<void> | undefined
        try {
          rest = runItem(item)
        } catch (defect) {
          rest = Effect.die(defect)
        }
        if (rest !== undefined) {
          if (head < items.length) notify()
          return rest.pipe(
            Effect.catchAllCause((cause) =>
              Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError("Executor failure", cause)
            ),
            Effect.ensuring(Effect.sync(() => release(item.job))),
            Effect.zipRight(yieldThenWork)
          )
        }
        release(item.job)
      }
      return yieldThenWork
    })
    const yieldThenWork: Effect.Effect<never> = Effect.flatMap(Effect.yieldNow(), () => worker)

    const spawn = Effect.forEach(
      Array.from({ length: options.maxWorkers }),
      () => FiberSet.run(workers, Effect.interruptible(Effect.catchAllCause(worker, () => Effect.never))),
      { discard: true }
    )
    yield* spawn

    const unsafeSubmit: UnsafeSubmit = (job, runTimes) => {
      const n = instances.get(job.id) ?? 0
      if (n >= job.maxInstances) {
        bus.unsafePublish(new JobMaxInstances({ jobId: job.id, jobstore: job.jobstore, scheduledRunTimes: runTimes }))
        return Effect.as(
          Effect.logWarning(
            `Execution of job "${job.name}" skipped: maximum number of running instances reached (${job.maxInstances})`
          ),
          "maxInstances" as const
        )
      }
      instances.set(job.id, n + 1)
      pending++
      if (bus.hasSubscribers()) {
        bus.unsafePublish(new JobSubmitted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTimes: runTimes }))
      }
      items.push({ job, runTimes })
      notify()
      return "submitted"
    }

    const submit = (job: Job, runTimes: ReadonlyArray<Instant>): Effect.Effect<SubmitResult> =>
      Effect.suspend(() => {
        const result = unsafeSubmit(job, runTimes)
        return typeof result === "string" ? Effect.succeed(result) : result
      })

    const shutdown = (wait: boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (wait) {
          if (pending === 0) return Effect.void
          if (idle === undefined) idle = Deferred.unsafeMake<void>(FiberId.none)
          return Deferred.await(idle)
        }
        return Effect.gen(function*() {
          for (let item = takeItem(); item !== undefined; item = takeItem()) release(item.job)
          yield* FiberSet.clear(workers)
          waiting = []
          wakePending = false
          yield* spawn
        })
      })

    const executor = Executor.of({
      submit,
      instances: (jobId) => instances.get(jobId) ?? 0,
      shutdown
    })
    unsafeSubmits.set(executor, unsafeSubmit)
    return executor
  })
