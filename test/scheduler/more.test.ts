/**
 * Long backlogs, the Lock, flat configuration into the layer, the events Stream.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type * as Ev from "../../src/events/SchedulerEvent.js"
import { JOB_EXECUTED } from "../../src/events/SchedulerEvent.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as SchedulerConfig from "../../src/scheduler/SchedulerConfig.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { HOUR, SEC, T0, withScheduler } from "./helpers.js"

describe("long backlogs", () => {
  it.effect("a 1-hour stall of a 1 s job without coalescing: 100 listed misses and one backlog summary", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "fast", trigger: "interval", triggerArgs: { seconds: 1 }, coalesce: false })
        yield* TestScheduler.advance(SEC)
        yield* scheduler.pause
        yield* TestScheduler.advance(HOUR)
        yield* scheduler.resume
        const events = yield* TestScheduler.advance(0)
        const missed = events.filter((e): e is Ev.JobMissed => e._tag === "JobMissed")
        const backlog = events.filter((e): e is Ev.JobMissedBacklog => e._tag === "JobMissedBacklog")
        // run times T0+2s … T0+3601s; the last one (0 s late) runs, T0+3600s (1 s late) runs too
        expect(TestScheduler.executed(events)).toEqual([T0 + 3600 * SEC, T0 + 3601 * SEC])
        expect(backlog).toHaveLength(1)
        expect(backlog[0]).toMatchObject({ first: T0 + 2 * SEC, last: T0 + 3599 * SEC, count: 3598 })
        expect(missed.length).toBeLessThanOrEqual(100)
        expect(missed.every((e) => e.scheduledRunTime >= T0 + 2 * SEC && e.scheduledRunTime <= T0 + 3599 * SEC)).toBe(true)
      })
    ))
})

describe("Lock", () => {
  it.effect("a job leased by another owner runs only after that lease ends; runs carry this scheduler's owner", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* MemoryJobStore.make
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        expect(scheduler.lock.owner).toBe("me")
        yield* scheduler.addJob(() => 1, {
          id: "a",
          trigger: "interval",
          triggerArgs: { seconds: 10 },
          misfireGraceTime: null
        })
        yield* scheduler.pause
        yield* TestScheduler.advance(10 * SEC)
        const peer = yield* store.acquire({ owner: "peer", limit: 10, leaseMs: 25 * SEC })
        expect(peer.jobs.map((l) => l.job.id)).toEqual(["a"])
        yield* scheduler.resume
        expect(TestScheduler.executed(yield* TestScheduler.advance(24 * SEC))).toEqual([])
        // the lease ends at +35 s: the scheduler takes the job over and runs the coalesced time
        expect(TestScheduler.executed(yield* TestScheduler.advance(1 * SEC))).toEqual([T0 + 30 * SEC])
        expect(TestScheduler.executed(yield* TestScheduler.advance(5 * SEC))).toEqual([T0 + 40 * SEC])
      }).pipe(
        Effect.provide(
          TestScheduler.layer().pipe(
            Layer.provide(Layer.mergeAll(Layer.succeed(JobStore, store), Lock.single({ owner: "me" })))
          )
        )
      )
    }))
})

describe("Scheduler.layer", () => {
  it.effect("accepts APScheduler's flat dictionary", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const config = yield* scheduler.config
        expect(config.timezone).toBe("Europe/Berlin")
        expect(config.jobDefaults.maxInstances).toBe(3)
        const job = yield* scheduler.addJob("./test/executors/fixtures/tasks.ts:fib", { id: "a", executor: "processpool", args: [1] })
        expect(job).toMatchObject({ maxInstances: 3, coalesce: false })
      }).pipe(
        Effect.provide(SchedulerModule.layerDefault(SchedulerConfig.flat({
          "apscheduler.timezone": "Europe/Berlin",
          "apscheduler.job_defaults.coalesce": "false",
          "apscheduler.job_defaults.max_instances": "3",
          "apscheduler.executors.processpool": { type: "processpool", max_workers: "2" }
        }), { allowImports: true }))
      )
    }))

  it.effect("events(mask) is a Stream of the matching events", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(scheduler.events(JOB_EXECUTED), 3)))
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* TestScheduler.advance(30 * SEC)
        const got = Chunk.toArray(yield* Fiber.join(fiber))
        expect(got.map((e) => e._tag)).toEqual(["JobExecuted", "JobExecuted", "JobExecuted"])
      })
    ))
})

describe("wake-ups", () => {
  it.effect("rescheduling to an earlier time wakes the sleeping loop", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { hours: 1 } })
        yield* TestScheduler.advance(5 * SEC)
        yield* scheduler.rescheduleJob("a", "interval", { seconds: 10 })
        expect(TestScheduler.executed(yield* TestScheduler.advance(10 * SEC))).toEqual([T0 + 15 * SEC])
      })
    ))

  it.effect("modifying nextRunTime wakes the loop; removing a job stops it", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { hours: 1 } })
        yield* scheduler.modifyJob("a", { nextRunTime: T0 + 3 * SEC })
        expect(TestScheduler.executed(yield* TestScheduler.advance(3 * SEC))).toEqual([T0 + 3 * SEC])
        yield* scheduler.removeJob("a")
        expect(TestScheduler.executed(yield* TestScheduler.advance(2 * HOUR))).toEqual([])
      })
    ))
})
