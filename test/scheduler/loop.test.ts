/**
 * The single loop path on the claiming contract: batches, pass-through wrappers, run records,
 * the job context, interruption at shutdown, services shared with executors from context.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { ConfigError } from "../../src/errors.js"
import { EventBus } from "../../src/events/EventBus.js"
import { Executor } from "../../src/executors/Executor.js"
import * as FiberExecutor from "../../src/executors/FiberExecutor.js"
import * as JobContext from "../../src/job/JobContext.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import * as Plugins from "../../src/scheduler/Plugins.js"
import { SKIP_NOTICES } from "../../src/scheduler/internal/loop.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore, type JobStoreService } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { MIN, SEC, show, T0 } from "./helpers.js"

/** A started test scheduler whose default store and executor come from the given layers. */
const schedulerWith = (parts: Layer.Layer<JobStore | Executor, never, EventBus | TaskRegistry>) =>
  SchedulerModule.layer({ timezone: "UTC" }, { start: true, waitOnClose: false }).pipe(
    Layer.provide(parts),
    Layer.provideMerge(SchedulerModule.services())
  )

const plainParts = Layer.merge(MemoryJobStore.layer, FiberExecutor.layer())
const wrappedParts = Layer.merge(
  Layer.effect(JobStore, Effect.map(MemoryJobStore.make, (store) => JobStore.of({ ...store }))),
  Layer.scoped(Executor, Effect.map(FiberExecutor.make(), (executor) => Executor.of({ ...executor })))
)

/** A mixed workload over three minutes: interval, cron, one-shot, a failing job, max instances. */
const workload = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  yield* scheduler.addJob(() => "i", { id: "interval", trigger: "interval", triggerArgs: { seconds: 10 } })
  yield* scheduler.addJob(() => "c", { id: "cron", trigger: "cron", triggerArgs: { second: "*/15" } })
  yield* scheduler.addJob(() => "d", { id: "date", trigger: "date", triggerArgs: { runDate: new Date(T0 + 5 * SEC) } })
  yield* scheduler.addJob(() => {
    throw new Error("boom")
  }, { id: "fails", trigger: "interval", triggerArgs: { seconds: 30 } })
  yield* scheduler.addJob(() => Effect.sleep("25 seconds"), {
    id: "slow",
    trigger: "interval",
    triggerArgs: { seconds: 10 }
  })
  return show(yield* TestScheduler.advance(3 * MIN))
})

describe("one loop path", () => {
  it.effect("a store and an executor wrapped in pass-throughs ({ ...service }) behave exactly the same", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const plain = yield* workload.pipe(Effect.provide(schedulerWith(plainParts)))
      yield* TestClock.setTime(T0)
      const wrapped = yield* workload.pipe(Effect.provide(schedulerWith(wrappedParts)))
      expect(plain.filter((e) => e.startsWith("JobExecuted interval")).length).toBe(18)
      expect(plain).toContain("JobMaxInstances slow +20s")
      expect(plain).toContain("JobError fails +30s")
      expect(plain).toContain("JobRemoved date")
      expect(wrapped).toEqual(plain)
    }))

  it.effect("1,000 jobs due at once are claimed in growing batches (32, 64, 128, 256, 256, 256, 8): 7 acquires, releases and submits", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const calls = { acquire: 0, acquired: 0, release: 0, submit: 0, sizes: [] as Array<number> }
      const counting = Layer.merge(
        Layer.effect(
          JobStore,
          Effect.map(MemoryJobStore.make, (store): JobStoreService => ({
            ...store,
            acquire: (claim) =>
              Effect.tap(store.acquire(claim), (a) =>
                Effect.sync(() => {
                  if (a.jobs.length > 0) {
                    calls.acquire++
                    calls.sizes.push(a.jobs.length)
                  }
                  calls.acquired += a.jobs.length
                })),
            release: (owner, decisions, lease) =>
              Effect.zipRight(Effect.sync(() => calls.release++), store.release(owner, decisions, lease))
          }))
        ),
        Layer.scoped(
          Executor,
          Effect.map(FiberExecutor.make(), (executor) =>
            Executor.of({
              ...executor,
              submit: (batch, sink) => Effect.zipRight(Effect.sync(() => calls.submit++), executor.submit(batch, sink))
            }))
        )
      )
      const executed = yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.pause
        for (let i = 0; i < 1000; i++) {
          yield* scheduler.addJob(() => i, { id: `job-${String(i).padStart(4, "0")}`, nextRunTime: T0 + SEC })
        }
        yield* scheduler.resume
        return TestScheduler.executed(yield* TestScheduler.advance(SEC))
      }).pipe(Effect.provide(schedulerWith(counting)))
      expect(executed.length).toBe(1000)
      expect(calls).toEqual({ acquire: 7, acquired: 1000, release: 7, submit: 7, sizes: [32, 64, 128, 256, 256, 256, 8] })
    }))

  it.effect("a loop behind its jobs (a pass that never runs out of due jobs) still stores run ends: no max-instances skips", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      // every acquire takes 200 ms of store time: 1,000 one-second jobs keep every pass busy for good
      const slow = Layer.merge(
        Layer.effect(
          JobStore,
          Effect.map(MemoryJobStore.make, (store): JobStoreService => ({
            ...store,
            acquire: (claim) => Effect.zipRight(Effect.sleep("200 millis"), store.acquire(claim))
          }))
        ),
        FiberExecutor.layer()
      )
      const events = yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.pause
        for (let i = 0; i < 1000; i++) {
          yield* scheduler.addJob(() => i, {
            id: `job-${String(i).padStart(4, "0")}`,
            trigger: "interval",
            triggerArgs: { seconds: 1 },
            misfireGraceTime: null
          })
        }
        yield* scheduler.resume
        const seen = yield* TestScheduler.advance(6 * SEC)
        // let the batch in flight (its acquire sleeps on the TestClock) end before the layer closes
        yield* scheduler.pause
        yield* TestClock.adjust(SEC)
        return seen
      }).pipe(Effect.provide(schedulerWith(slow)))
      expect(events.filter((e) => e._tag === "JobMaxInstances")).toEqual([])
      expect(events.filter((e) => e._tag === "JobExecuted").length).toBeGreaterThan(2000)
    }))

  it.effect("every run is recorded: getRuns shows fences, attempts and outcomes (succeeded, failed)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        let n = 0
        yield* scheduler.addJob(() => {
          if (++n === 2) throw new Error("second run fails")
          return n
        }, { id: "r", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* TestScheduler.advance(30 * SEC)
        const runs = yield* scheduler.getRuns("r")
        expect(runs.map((r) => [r.scheduledTime - T0, r.state, r.fence, r.attempt])).toEqual([
          [10 * SEC, "succeeded", 1, 1],
          [20 * SEC, "failed", 2, 1],
          [30 * SEC, "succeeded", 3, 1]
        ])
        expect(runs[0]!.result).toBe(1)
        expect(runs[1]!.error).toContain("second run fails")
        expect(runs.every((r) => r.acquiredBy === null && r.finishedAt !== null)).toBe(true)
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))

  it.effect("a job that returns Effect.interrupt ends once: one JobError (RunInterruptedError), its run recorded interrupted", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.addJob(() => Effect.interrupt, { id: "i", trigger: "date", triggerArgs: { runDate: new Date(T0 + SEC) } })
        const events = yield* TestScheduler.advance(10 * SEC)
        const ends = events.filter((e) => e._tag === "JobExecuted" || e._tag === "JobError")
        expect(ends.map((e) => e._tag)).toEqual(["JobError"])
        expect((ends[0] as { exception: unknown }).exception).toMatchObject({ _tag: "RunInterruptedError", jobId: "i" })
        expect((yield* scheduler.getRuns("i")).map((r) => r.state)).toEqual(["interrupted"])
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))

  it.effect("a run gets job id, scheduled time, fence, attempt and the idempotency key", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const seen: Array<unknown> = []
        yield* scheduler.addJob(() => {
          const ctx = JobContext.current()!
          seen.push({ jobId: ctx.jobId, t: ctx.scheduledTime, fence: ctx.fence, attempt: ctx.attempt, key: ctx.idempotencyKey })
        }, { id: "report", trigger: "interval", triggerArgs: { minutes: 1 } })
        yield* scheduler.addJob(() => Effect.map(JobContext.JobContext, (ctx) => seen.push(ctx.idempotencyKey)), {
          id: "eff",
          trigger: "date",
          triggerArgs: { runDate: new Date(T0 + 90 * SEC) }
        })
        yield* TestScheduler.advance(2 * MIN)
        expect(seen).toEqual([
          { jobId: "report", t: T0 + MIN, fence: 1, attempt: 1, key: "report@2024-01-01T00:01:00.000Z" },
          "eff@2024-01-01T00:01:30.000Z",
          { jobId: "report", t: T0 + 2 * MIN, fence: 2, attempt: 1, key: "report@2024-01-01T00:02:00.000Z" }
        ])
      }).pipe(Effect.provide(TestScheduler.layer()))
    }))

  it.effect("shutdown({ wait: false }): a running job is interrupted, ends `interrupted` with one JobError, its signal fires", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const events = yield* EventBus.subscribe
        let signal: AbortSignal | undefined
        yield* scheduler.addJob(() => {
          signal = JobContext.current()!.signal
          return new Promise(() => {})
        }, { id: "hang", trigger: "date", triggerArgs: { runDate: new Date(T0 + SEC) } })
        yield* TestScheduler.advance(SEC)
        expect(signal?.aborted).toBe(false)
        yield* scheduler.shutdown({ wait: false })
        expect(signal?.aborted).toBe(true)
        const ends = (yield* TestScheduler.drain(events)).filter((e) =>
          e._tag === "JobExecuted" || e._tag === "JobError"
        )
        expect(ends.map((e) => [e._tag, (e as { exception?: { _tag: string } }).exception?._tag])).toEqual([
          ["JobError", "RunInterruptedError"]
        ])
        const runs = yield* scheduler.getRuns("hang")
        expect(runs.map((r) => r.state)).toEqual(["interrupted"])
      }).pipe(Effect.provide(TestScheduler.layer()), Effect.scoped)
    }))

  it.effect("an executor provided beside the scheduler resolves tasks in the scheduler's own TaskRegistry", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const registry = yield* TaskRegistry
        yield* registry.register("greet", (name: string) => `hello ${name}`)
        yield* scheduler.addJob("greet", { id: "g", args: ["ann"] })
        const events = yield* TestScheduler.advance(0)
        expect(events.find((e) => e._tag === "JobExecuted")).toMatchObject({ jobId: "g", retval: "hello ann" })
      }).pipe(Effect.provide(schedulerWith(plainParts)))
    }))

  it.effect("a ConfigError while starting fails the layer with that error (not a defect)", () =>
    Effect.gen(function*() {
      const failing: Plugins.JobStorePlugin = () => Effect.fail(new ConfigError({ key: "url", reason: "unreachable" }))
      const error = yield* Effect.flip(
        Effect.provide(Scheduler, TestScheduler.layer({}, { plugins: { jobstores: { memory: failing } } }))
      )
      expect(error).toMatchObject({ _tag: "ConfigError", key: "jobstores.default.url" })
    }))
})

describe("max-instances warnings", () => {
  it.effect("15 jobs skipped in one batch: 10 warnings name a job each, one more counts the other 5; every skip still has its event", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const logged: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") logged.push(String(Array.isArray(message) ? message[0] : message))
      })
      const events = yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        for (let i = 0; i < 15; i++) {
          // each run lasts 90 s: the run due 60 s later finds the first one still running
          yield* scheduler.addJob(() => Effect.sleep("90 seconds"), {
            id: `slow-${i}`,
            name: `slow-${i}`,
            trigger: "interval",
            triggerArgs: { seconds: 60, startDate: new Date(T0 + SEC) }
          })
        }
        return yield* TestScheduler.advance(62 * SEC)
      }).pipe(Effect.provide(TestScheduler.layer()), Logger.withMinimumLogLevel(LogLevel.Warning), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      const skips = logged.filter((m) => m.includes("maximum number of running instances"))
      expect(SKIP_NOTICES).toBe(10)
      expect(skips.length).toBe(SKIP_NOTICES + 1)
      expect(skips.slice(0, SKIP_NOTICES).every((m) => /^Execution of job "slow-\d+" skipped/.test(m))).toBe(true)
      expect(skips[SKIP_NOTICES]).toBe("Execution of 5 more job(s) skipped: maximum number of running instances reached")
      expect(events.filter((e) => e._tag === "JobMaxInstances").length).toBe(15)
    }))
})
