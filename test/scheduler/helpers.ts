import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { EventBus } from "../../src/events/EventBus.js"
import type { SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import type { JobFunction } from "../../src/job/Job.js"
import { JobContext, type RunContext } from "../../src/job/JobContext.js"
import type { TaskRegistry } from "../../src/job/TaskRegistry.js"
import type { Plugins } from "../../src/scheduler/Plugins.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler, type SchedulerLayerOptions } from "../../src/scheduler/Scheduler.js"
import type { SchedulerConfigInput } from "../../src/scheduler/SchedulerConfig.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"

/** 2024-01-01T00:00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1)
export const SEC = 1000
export const MIN = 60 * SEC
export const HOUR = 60 * MIN
export const DAY = 24 * HOUR

export const iso = (t: number) => new Date(t).toISOString()

type Env = Scheduler | EventBus | TaskRegistry | Plugins | Scope.Scope

/** Sets the TestClock to `T0`, then runs `body` with a started TestScheduler. */
export const withScheduler = <A, E>(
  body: (scheduler: Scheduler["Type"]) => Effect.Effect<A, E, Env>,
  config: SchedulerConfigInput = {},
  options: SchedulerLayerOptions = {}
): Effect.Effect<A, unknown> =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    return yield* Effect.flatMap(Scheduler, body).pipe(
      Effect.scoped,
      Effect.provide(TestScheduler.layer(config, options) as Layer.Layer<Scheduler | EventBus | TaskRegistry | Plugins>)
    )
  })

/** A compact view of events: `Tag jobId? time?`. */
export const show = (events: ReadonlyArray<SchedulerEvent>): Array<string> =>
  events.map((e) => {
    const parts: Array<string> = [e._tag]
    if ("jobId" in e) parts.push(e.jobId)
    if ("alias" in e && e.alias !== undefined) parts.push(e.alias)
    if ("scheduledRunTime" in e) parts.push(`+${(e.scheduledRunTime - T0) / 1000}s`)
    if ("scheduledRunTimes" in e) parts.push(e.scheduledRunTimes.map((t) => `+${(t - T0) / 1000}s`).join(","))
    return parts.join(" ")
  })

/**
 * A scheduler under `Lock.leased` (lease `leaseMs`, owner `owner`) on `store`, with its `work` task
 * and its own registry and events, built in the test's scope (not started).
 */
export const leasedScheduler = (owner: string, store: JobStoreService, work: JobFunction, leaseMs: number) =>
  Effect.map(
    Layer.build(
      SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { work }, waitOnClose: false }).pipe(
        Layer.provide(Layer.merge(Layer.succeed(JobStore, store), Lock.leased({ owner, leaseMs })))
      )
    ),
    (ctx) => Context.get(ctx, Scheduler)
  )

/** A scheduler over `store` with the default Lock (the memory store's: one process), built in the test's scope. */
export const schedulerOn = (store: JobStoreService) =>
  Effect.map(
    Layer.build(
      SchedulerModule.layerDefault({ timezone: "UTC" }, { waitOnClose: false }).pipe(
        Layer.provide(Layer.succeed(JobStore, store))
      )
    ),
    (ctx) => Context.get(ctx, Scheduler)
  )

/** A job that records its run context and never ends by itself (an Effect job: interruptible). */
export const hangs = (seen: Array<RunContext>): JobFunction => () =>
  Effect.flatMap(JobContext, (ctx) => Effect.zipRight(Effect.sync(() => seen.push(ctx)), Effect.never))
