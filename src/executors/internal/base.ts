import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import { RunInterruptedError } from "../../errors.js"
import { EventBus } from "../../events/EventBus.js"
import { JobError, JobExecuted, JobMissed } from "../../events/SchedulerEvent.js"
import { JobContext, LazyRunContext } from "../../job/JobContext.js"
import type { Job, JobFunction } from "../../job/Job.js"
import type { Completion, Run } from "../../stores/JobStore.js"
import { type CompletionSink, Executor, type Submission } from "../Executor.js"
import { call, describeFailure, isPromiseLike, toEffect } from "./invoke.js"

/** The runs of one submission and how far they have been reported. */
interface Item {
  readonly job: Job
  readonly runs: ReadonlyArray<Run>
  readonly sink: CompletionSink
  /** The index of the first run whose end is not reported yet. */
  next: number
}

/** A run's stop handle for a sink that holds run leases (`CompletionSink.starting`). */
class Stopper {
  reason: string | undefined
  /** The run's fiber once `guard` has forked it. */
  #fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** The run's context: its AbortSignal fires at `stop`, before the run's fiber is interrupted. */
  context: LazyRunContext | undefined
  readonly stop = (reason: string): void => {
    if (this.reason !== undefined) return
    this.reason = reason
    const context = this.context
    if (context !== undefined) {
      context.abort(new RunInterruptedError({ jobId: context.jobId, scheduledTime: context.scheduledTime, reason }))
    }
    if (this.#fiber !== undefined) this.#fiber.unsafeInterruptAsFork(FiberId.none)
  }
  /**
   * The run's Effect in a fiber of its own, which `stop` interrupts (the caller then sees an
   * interruption, and `reason` says why). One fork per run, not a race (two forks and a Deferred).
   */
  guard<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.flatMap(Effect.fork(effect), (fiber) => {
      this.#fiber = fiber
      if (this.reason !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
      return Fiber.join(fiber)
    })
  }
}

/** How many queued items a worker handles before it yields to other fibers. */
const BATCH = 256

/**
 * The machinery shared by executors: a queue served by `maxWorkers` worker fibers, APScheduler's
 * `run_job` (late start → `JOB_MISSED`, else run → `JOB_EXECUTED` / `JOB_ERROR`), the run context,
 * the report of every run's end to the submission's sink, and shutdown.
 *
 * `execute(job, context)` runs one run of one job as an Effect. When `direct(job)` gives a
 * function, it is called in place (inside the run context) and only a `Promise` / `Effect` result
 * goes through the fiber machinery, so synchronous jobs cost no extra fiber operations.
 */
export const makeBase = (options: {
  readonly maxWorkers: number
  readonly execute: (job: Job, context: LazyRunContext) => Effect.Effect<unknown, unknown>
  readonly direct?: (job: Job) => JobFunction | undefined
}): Effect.Effect<Executor["Type"], never, EventBus | Scope.Scope> =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const clock = yield* Effect.clock
    const workers = yield* FiberSet.make<never, never>()
    // FIFO of queued items: an array with a moving head
    let items: Array<Item> = []
    let head = 0
    let pending = 0 // runs queued or running
    let idle: Deferred.Deferred<void> | undefined
    // idle workers, each suspended until its resume is called; one is woken at a time (see notify)
    let waiting: Array<(effect: Effect.Effect<void>) => void> = []
    let wakePending = false // a woken worker has not looked at the queue yet
    let stopReason = "interrupted"

    /** Reports the end of the item's next run (exactly once per run). */
    const report = (item: Item, completion: Completion) => {
      item.next++
      pending--
      item.sink.done(item.job, completion)
      if (pending === 0 && idle !== undefined) {
        const d = idle
        idle = undefined
        Deferred.unsafeDone(d, Exit.void)
      }
    }

    const completion = (
      run: Run,
      state: Completion["state"],
      startedAt: number | null,
      extra?: { readonly result?: unknown; readonly error?: string }
    ): Completion => ({
      jobId: run.jobId,
      scheduledTime: run.scheduledTime,
      fence: run.fence,
      state,
      startedAt,
      finishedAt: clock.unsafeCurrentTimeMillis(),
      ...extra
    })

    const succeeded = (item: Item, run: Run, startedAt: number, retval: unknown) => {
      const job = item.job
      if (bus.hasSubscribers()) {
        bus.unsafePublish(new JobExecuted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: run.scheduledTime, retval }))
      }
      report(item, completion(run, "succeeded", startedAt, { result: retval }))
    }

    const failed = (item: Item, run: Run, startedAt: number, cause: Cause.Cause<unknown>) => {
      const job = item.job
      const { exception, traceback } = describeFailure(cause)
      bus.unsafePublish(
        new JobError({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: run.scheduledTime, exception, traceback })
      )
      report(item, completion(run, "failed", startedAt, { error: traceback }))
      return Effect.logError(`Job "${job.name}" raised an exception`, cause)
    }

    const interrupted = (item: Item, run: Run, startedAt: number | null, context?: LazyRunContext, reason?: string) => {
      const job = item.job
      const error = new RunInterruptedError({ jobId: job.id, scheduledTime: run.scheduledTime, reason: reason ?? stopReason })
      context?.abort(error)
      bus.unsafePublish(
        new JobError({
          jobId: job.id,
          jobstore: job.jobstore,
          scheduledRunTime: run.scheduledTime,
          exception: error,
          traceback: error.message
        })
      )
      report(item, completion(run, "interrupted", startedAt, { error: error.message }))
    }

    /** The runs of an item not reported yet end interrupted (shutdown without waiting). */
    const interruptRest = (item: Item) => {
      while (item.next < item.runs.length) interrupted(item, item.runs[item.next]!, null)
    }

    const missed = (item: Item, run: Run, now: number) => {
      const job = item.job
      bus.unsafePublish(new JobMissed({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: run.scheduledTime }))
      report(item, completion(run, "missed", null))
      return Effect.logWarning(`Run time of job "${job.name}" was missed by ${(now - run.scheduledTime) / 1000} s`)
    }

    const late = (job: Job, run: Run, now: number) =>
      job.misfireGraceTime !== null && now - run.scheduledTime > job.misfireGraceTime * 1000

    /** The end of one run whose result is an Effect (a promise is one too), reported on exit. */
    const finish = (
      item: Item,
      run: Run,
      startedAt: number,
      context: LazyRunContext,
      effect: Effect.Effect<unknown, unknown>,
      stopper: Stopper | undefined
    ): Effect.Effect<void> =>
      (stopper === undefined ? effect : stopper.guard(effect)).pipe(
        Effect.provideService(JobContext, context),
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            if (Exit.isSuccess(exit)) {
              succeeded(item, run, startedAt, exit.value)
              return Effect.void
            }
            if (stopper?.reason !== undefined) {
              interrupted(item, run, startedAt, context, stopper.reason)
              return Effect.void
            }
            if (Cause.isInterruptedOnly(exit.cause)) {
              interrupted(item, run, startedAt, context)
              return Effect.void
            }
            return failed(item, run, startedAt, exit.cause)
          })
        ),
        Effect.catchAllCause(() => Effect.void)
      )

    /**
     * Runs the item's runs from `item.next` on; synchronous results are handled in place. Returns
     * `undefined` when the item is done, or the Effect that completes it.
     */
    const runItem = (item: Item): Effect.Effect<void> | undefined => {
      const { job, runs } = item
      const fn = options.direct?.(job)
      while (item.next < runs.length) {
        const run = runs[item.next]!
        const now = clock.unsafeCurrentTimeMillis()
        // a recovered run (attempt 2 or more) is late by design: it runs whatever the grace time;
        // lateness is judged on the store's clock (its scheduled time is the store's)
        const storeNow = item.sink.storeNow === undefined ? now : item.sink.storeNow(now)
        if (run.attempt <= 1 && late(job, run, storeNow)) {
          const log = missed(item, run, storeNow)
          return Effect.zipRight(log, Effect.suspend(() => runItem(item) ?? Effect.void))
        }
        let stopper: Stopper | undefined
        const context = new LazyRunContext(job.id, run.scheduledTime, run.fence, run.attempt)
        if (item.sink.starting !== undefined) {
          stopper = new Stopper()
          if (!item.sink.starting(run, stopper.stop, context)) {
            interrupted(item, run, null, undefined, stopper.reason ?? "its lease was lost")
            continue
          }
          stopper.context = context
        }
        if (fn === undefined) {
          return Effect.zipRight(
            finish(item, run, now, context, options.execute(job, context), stopper),
            Effect.suspend(() => runItem(item) ?? Effect.void)
          )
        }
        let result: unknown
        try {
          result = call(fn, job.args, job.kwargs, context)
        } catch (error) {
          return Effect.zipRight(failed(item, run, now, Cause.fail(error)), Effect.suspend(() => runItem(item) ?? Effect.void))
        }
        if (Effect.isEffect(result) || isPromiseLike(result)) {
          return Effect.zipRight(
            finish(item, run, now, context, toEffect(result), stopper),
            Effect.suspend(() => runItem(item) ?? Effect.void)
          )
        }
        succeeded(item, run, now, result)
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
     * Wakes one idle worker, unless one woken earlier has not reached the queue yet (it will take
     * this item too). A worker that leaves queued items behind (it starts an asynchronous run)
     * notifies again, so queued runs still get up to `maxWorkers` workers.
     */
    const notify = () => {
      if (wakePending || waiting.length === 0) return
      wakePending = true
      waiting.pop()!(Effect.void)
    }

    /**
     * An idle worker's wait for `notify` (a plain resume callback: a Deferred's await costs about
     * three times the allocation, once per wake-up of a worker). No canceler (it would wrap every
     * wait in an interruption mask, about 5 fiber operations per wake-up): workers are only
     * interrupted all together, by a shutdown without waiting, which empties `waiting` at once,
     * or with the executor's scope.
     */
    const idleWait: Effect.Effect<void> = Effect.async<void>((resume) => {
      waiting.push(resume)
    })

    /**
     * A worker: runs queued items (synchronous ones in batches), waits when there are none. Woken
     * by a submit, it goes straight to the queue.
     */
    const worker: Effect.Effect<never> = Effect.suspend(() => {
      wakePending = false
      for (let n = 0; n < BATCH; n++) {
        const item = takeItem()
        if (item === undefined) return idleThenWork
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
            Effect.onExit(() => Effect.sync(() => interruptRest(item))),
            Effect.zipRight(yieldThenWork)
          )
        }
      }
      return yieldThenWork
    })
    const yieldThenWork: Effect.Effect<never> = Effect.flatMap(Effect.yieldNow(), () => worker)
    const idleThenWork: Effect.Effect<never> = Effect.flatMap(idleWait, () => worker)

    const spawn = Effect.forEach(
      Array.from({ length: options.maxWorkers }),
      () => FiberSet.run(workers, Effect.interruptible(Effect.catchAllCause(worker, () => Effect.never))),
      { discard: true }
    )
    yield* spawn

    const submit = (batch: ReadonlyArray<Submission>, sink: CompletionSink): Effect.Effect<void> =>
      Effect.sync(() => {
        for (let i = 0; i < batch.length; i++) {
          const { job, runs } = batch[i]!
          if (runs.length === 0) continue
          pending += runs.length
          items.push({ job, runs, sink, next: 0 })
        }
        notify()
      })

    const shutdown = (wait: boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (wait) {
          if (pending === 0) return Effect.void
          if (idle === undefined) idle = Deferred.unsafeMake<void>(FiberId.none)
          return Deferred.await(idle)
        }
        return Effect.gen(function*() {
          stopReason = "the scheduler shut down without waiting"
          for (let item = takeItem(); item !== undefined; item = takeItem()) interruptRest(item)
          yield* FiberSet.clear(workers)
          stopReason = "interrupted"
          waiting = []
          wakePending = false
          yield* spawn
        })
      })

    return Executor.of({ submit, pending: () => pending, shutdown })
  })
