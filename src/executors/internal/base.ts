import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberSet from "effect/FiberSet"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { EventBus } from "../../events/EventBus.js"
import { JobError, JobExecuted, JobMaxInstances, JobMissed, JobSubmitted } from "../../events/SchedulerEvent.js"
import type { Job } from "../../job/Job.js"
import type { Instant } from "../../triggers/Trigger.js"
import { Executor } from "../Executor.js"
import { describeFailure } from "./invoke.js"

interface Item {
  readonly job: Job
  readonly runTimes: ReadonlyArray<Instant>
}

/**
 * The machinery shared by executors: a queue served by `maxWorkers` worker fibers, instance
 * counting, APScheduler's `run_job` (late start → `JOB_MISSED`, else run → `JOB_EXECUTED` /
 * `JOB_ERROR`) and shutdown. `execute` runs one run of one job.
 */
export const makeBase = (options: {
  readonly maxWorkers: number
  readonly execute: (job: Job, runTime: Instant) => Effect.Effect<unknown, unknown>
}): Effect.Effect<Executor["Type"], never, EventBus | Scope.Scope> =>
  Effect.gen(function*() {
    const bus = yield* EventBus
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Item>(), Queue.shutdown)
    const workers = yield* FiberSet.make<never, never>()
    const instances = new Map<string, number>()
    let pending = 0
    let idle: Deferred.Deferred<void> | undefined

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

    const runOne = (job: Job, runTime: Instant): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (job.misfireGraceTime !== null && now - runTime > job.misfireGraceTime * 1000) {
          return Effect.zipRight(
            Effect.logWarning(`Run time of job "${job.name}" was missed by ${(now - runTime) / 1000} s`),
            bus.publish(new JobMissed({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime }))
          )
        }
        return options.execute(job, runTime).pipe(
          Effect.matchCauseEffect({
            onSuccess: (retval) =>
              bus.publish(new JobExecuted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime, retval })),
            onFailure: (cause) => {
              if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
              const { exception, traceback } = describeFailure(cause)
              return Effect.zipRight(
                Effect.logError(`Job "${job.name}" raised an exception`, cause),
                bus.publish(
                  new JobError({ jobId: job.id, jobstore: job.jobstore, scheduledRunTime: runTime, exception, traceback })
                )
              )
            }
          })
        )
      })

    const runItem = (item: Item): Effect.Effect<void> =>
      Effect.forEach(item.runTimes, (t) => runOne(item.job, t), { discard: true }).pipe(
        Effect.ensuring(Effect.sync(() => release(item.job)))
      )

    const worker = Effect.forever(
      Effect.flatMap(Queue.take(queue), (item) => Effect.catchAllCause(runItem(item), () => Effect.void))
    ) as Effect.Effect<never>
    const spawn = Effect.forEach(
      Array.from({ length: options.maxWorkers }),
      () => FiberSet.run(workers, Effect.interruptible(worker)),
      { discard: true }
    )
    yield* spawn

    const submit = (job: Job, runTimes: ReadonlyArray<Instant>) =>
      Effect.suspend(() => {
        const n = instances.get(job.id) ?? 0
        if (n >= job.maxInstances) {
          return Effect.as(
            Effect.zipRight(
              Effect.logWarning(
                `Execution of job "${job.name}" skipped: maximum number of running instances reached (${job.maxInstances})`
              ),
              bus.publish(new JobMaxInstances({ jobId: job.id, jobstore: job.jobstore, scheduledRunTimes: runTimes }))
            ),
            "maxInstances" as const
          )
        }
        instances.set(job.id, n + 1)
        pending++
        return bus.publish(new JobSubmitted({ jobId: job.id, jobstore: job.jobstore, scheduledRunTimes: runTimes }))
          .pipe(
            Effect.zipRight(Queue.offer(queue, { job, runTimes })),
            Effect.as("submitted" as const)
          )
      })

    const shutdown = (wait: boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (wait) {
          if (pending === 0) return Effect.void
          if (idle === undefined) idle = Deferred.unsafeMake<void>(undefined as never)
          return Deferred.await(idle)
        }
        return Effect.gen(function*() {
          const dropped = yield* Queue.takeAll(queue)
          for (const item of dropped) release(item.job)
          yield* FiberSet.clear(workers)
          yield* spawn
        })
      })

    return Executor.of({
      submit,
      instances: (jobId) => instances.get(jobId) ?? 0,
      shutdown
    })
  })
