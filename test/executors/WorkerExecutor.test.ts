/**
 * WorkerExecutor: real worker threads (so these tests await events in real time; the scheduler
 * still runs on the TestClock).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Queue from "effect/Queue"
import * as TestClock from "effect/TestClock"
import { EventBus } from "../../src/events/EventBus.js"
import type { SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import { JOB_ERROR, JOB_EXECUTED, JOB_MAX_INSTANCES } from "../../src/events/SchedulerEvent.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"

const T0 = Date.UTC(2024, 0, 1)
const TASKS = "./test/executors/fixtures/tasks.ts"

const run = <A, E>(body: (scheduler: Scheduler["Type"], events: Queue.Dequeue<SchedulerEvent>) => Effect.Effect<A, E, any>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    return yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      const events = yield* EventBus.subscribe
      return yield* body(scheduler, events)
    }).pipe(
      Effect.scoped,
      Effect.provide(
        TestScheduler.layer({ executors: { processpool: { type: "processpool", maxWorkers: 2 } } }, { allowImports: true })
      )
    )
  })

const done = (events: Queue.Dequeue<SchedulerEvent>, n = 1) => TestScheduler.take(events, n, JOB_EXECUTED | JOB_ERROR)

describe("WorkerExecutor", () => {
  it.effect("runs a CPU-bound task reference in a worker thread", () =>
    run((scheduler, events) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(`${TASKS}:fib`, { id: "fib", executor: "processpool", args: [25] })
        yield* scheduler.addJob(`${TASKS}:greet`, { id: "greet", executor: "processpool", args: ["bob"], kwargs: { punctuation: "!" } })
        const results = yield* done(events, 2)
        const byId = Object.fromEntries(results.map((e) => [(e as any).jobId, (e as any).retval]))
        expect(byId).toEqual({ fib: 75025, greet: "hello bob!" })
      })
    ), 30_000)

  it.effect("a throwing task is a JobError; a function or a registered name is refused at add time", () =>
    run((scheduler, events) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(`${TASKS}:boom`, { id: "boom", executor: "processpool" })
        const [e] = yield* done(events)
        expect(e).toMatchObject({ _tag: "JobError", jobId: "boom" })
        expect((e as any).exception).toMatchObject({ name: "TypeError", message: "task failed" })
        const fn = yield* Effect.flip(scheduler.addJob(() => 1, { id: "fn", executor: "processpool" }))
        expect(fn).toMatchObject({ _tag: "TaskLookupError", jobId: "fn" })
        expect(fn.message).toContain("cannot be sent to a worker thread")
        const named = yield* Effect.flip(scheduler.addJob("fib", { id: "named", executor: "processpool" }))
        expect(named.message).toContain("\"module:export\" task references only")
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual([])
      })
    ), 30_000)

  it.effect("a crashing worker is reported as a job error and replaced; the scheduler keeps running", () =>
    run((scheduler, events) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(`${TASKS}:crash`, { id: "crash", executor: "processpool" })
        const [e] = yield* done(events)
        expect(e).toMatchObject({ _tag: "JobError", jobId: "crash" })
        expect((e as any).exception).toMatchObject({ _tag: "WorkerError" })
        yield* scheduler.addJob(`${TASKS}:fib`, { id: "after", executor: "processpool", args: [10] })
        const [ok] = yield* done(events)
        expect(ok).toMatchObject({ _tag: "JobExecuted", jobId: "after", retval: 55 })
        expect(yield* scheduler.state).toBe("running")
      })
    ), 30_000)

  it.effect("a task in a worker thread reads its run context (job id, fence, attempt, idempotency key)", () =>
    run((scheduler, events) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(`${TASKS}:context`, { id: "ctx", executor: "processpool" })
        const [e] = yield* done(events)
        expect(e).toMatchObject({
          _tag: "JobExecuted",
          retval: { jobId: "ctx", fence: 1, attempt: 1, key: `ctx@${new Date(T0).toISOString()}` }
        })
      })
    ), 30_000)

  it.effect("a hanging worker job: later runs are refused (max instances), others run, shutdown terminates it", () =>
    run((scheduler, events) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(`${TASKS}:hang`, {
          id: "hang",
          executor: "processpool",
          trigger: "interval",
          triggerArgs: { seconds: 10 }
        })
        yield* scheduler.addJob(`${TASKS}:fib`, {
          id: "fib",
          executor: "processpool",
          trigger: "interval",
          triggerArgs: { seconds: 10 },
          args: [15]
        })
        yield* TestClock.adjust("10 seconds")
        const [first] = yield* done(events)
        expect(first).toMatchObject({ _tag: "JobExecuted", jobId: "fib", retval: 610 })
        yield* TestClock.adjust("10 seconds")
        const refused = yield* TestScheduler.take(events, 1, JOB_MAX_INSTANCES)
        expect(refused[0]).toMatchObject({ jobId: "hang" })
        const [second] = yield* done(events)
        expect(second).toMatchObject({ _tag: "JobExecuted", jobId: "fib" })
        // returns although "hang" never ends (the test's own timeout fails it otherwise)
        yield* scheduler.shutdown({ wait: false })
        expect(yield* scheduler.state).toBe("stopped")
      })
    ), 30_000)
})
