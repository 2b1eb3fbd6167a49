/**
 * The job API, bad input, events and listeners, executors, store errors.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { StoreError } from "../../src/errors.js"
import { EventBus } from "../../src/events/EventBus.js"
import * as Ev from "../../src/events/SchedulerEvent.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { iso, MIN, SEC, show, T0, withScheduler } from "./helpers.js"

describe("bad input is refused with a typed error before anything is stored", () => {
  it.effect("invalid trigger options, unknown aliases, duplicate ids, bad grace; other jobs keep running", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "good", trigger: "interval", triggerArgs: { seconds: 10 } })
        const fn = () => 1
        const errors = [
          yield* Effect.flip(scheduler.addJob(fn, { id: "x1", trigger: "interval", triggerArgs: { seconds: "ten" } } as never)),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x2", trigger: "cron", triggerArgs: { hour: "25" } })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x3", trigger: "cron", triggerArgs: { hours: 1 } } as never)),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x4", trigger: "weekly" })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x5", trigger: { type: "date" } } as never)),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x6", executor: "nope" })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x7", jobstore: "nope" })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "good" })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x9", misfireGraceTime: "soon" as never })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x10", misfireGraceTime: 0 })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x11", maxInstances: 0 })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x12", coalesce: "yes" as never })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x13", args: "a" as never })),
          yield* Effect.flip(scheduler.addJob(42 as never, { id: "x14" })),
          yield* Effect.flip(scheduler.addJob(fn, { id: "x15", nextRunTime: "tomorrow" as never }))
        ]
        expect(errors.map((e) => e._tag)).toEqual([
          "TriggerError",
          "TriggerError",
          "TriggerError",
          "PluginLookupError",
          "TriggerError",
          "PluginLookupError",
          "PluginLookupError",
          "ConflictingIdError",
          "InvalidArgumentError",
          "InvalidArgumentError",
          "InvalidArgumentError",
          "InvalidArgumentError",
          "InvalidArgumentError",
          "InvalidArgumentError",
          "InvalidArgumentError"
        ])
        expect(errors[0]).toMatchObject({ field: "seconds" })
        expect(errors[3]).toMatchObject({ kind: "trigger", alias: "weekly" })
        expect(errors[8]).toMatchObject({ field: "misfireGraceTime" })
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["good"])
        expect(TestScheduler.executed(yield* TestScheduler.advance(30 * SEC), "good")).toEqual(
          [10, 20, 30].map((s) => T0 + s * SEC)
        )
        expect(yield* scheduler.state).toBe("running")
      })
    ))

  it.effect("modifyJob validates too and refuses id / jobstore changes", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        expect((yield* Effect.flip(scheduler.modifyJob("a", { maxInstances: -1 })))._tag).toBe("InvalidArgumentError")
        expect((yield* Effect.flip(scheduler.modifyJob("a", { id: "b" } as never)))._tag).toBe("InvalidArgumentError")
        expect((yield* Effect.flip(scheduler.modifyJob("zz", { name: "n" })))._tag).toBe("JobLookupError")
        expect((yield* Effect.flip(scheduler.removeJob("zz")))._tag).toBe("JobLookupError")
        expect((yield* Effect.flip(scheduler.pauseJob("zz")))._tag).toBe("JobLookupError")
        expect((yield* Effect.flip(scheduler.rescheduleJob("a", "cron", { minute: "61" })))._tag).toBe("TriggerError")
      })
    ))
})

describe("job API", () => {
  it.effect("no trigger = run once at now to the millisecond (also between whole seconds)", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* TestClock.adjust(840)
        const job = yield* scheduler.addJob(() => "now", { id: "ms" })
        expect(job.nextRunTime).toBe(T0 + 840)
        expect(TestScheduler.executed(yield* TestScheduler.advance(0), "ms")).toEqual([T0 + 840])
      })
    ))

  it.effect("no trigger = run once now; replaceExisting; explicit nextRunTime; null = added paused", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const now = yield* scheduler.addJob(() => "now", { id: "now" })
        expect(now.nextRunTime).toBe(T0)
        const paused = yield* scheduler.addJob(() => 1, { id: "p", trigger: "interval", triggerArgs: { seconds: 5 }, nextRunTime: null })
        expect(paused.nextRunTime).toBeNull()
        const explicit = yield* scheduler.addJob(() => 1, {
          id: "e",
          trigger: "interval",
          triggerArgs: { seconds: 5 },
          nextRunTime: new Date(T0 + 2 * SEC)
        })
        expect(explicit.nextRunTime).toBe(T0 + 2 * SEC)
        const events = yield* TestScheduler.advance(2 * SEC)
        expect(TestScheduler.executed(events, "now")).toEqual([T0])
        expect(TestScheduler.executed(events, "e")).toEqual([T0 + 2 * SEC])
        expect(TestScheduler.executed(events, "p")).toEqual([])
        const replaced = yield* scheduler.addJob(() => 2, { id: "e", name: "E2", replaceExisting: true, trigger: "interval", triggerArgs: { minutes: 1 } })
        expect(Option.getOrThrow(yield* scheduler.getJob("e")).name).toBe("E2")
        expect(replaced.nextRunTime).toBe(T0 + 2 * SEC + MIN)
      })
    ))

  it.effect("modifyJob, rescheduleJob publish JobModified; removeAllJobs publishes AllJobsRemoved", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const bus = yield* EventBus
        const events = yield* bus.subscribe
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        const modified = yield* scheduler.modifyJob("a", { name: "renamed", maxInstances: 3, args: [1, 2] })
        expect(modified).toMatchObject({ name: "renamed", maxInstances: 3, args: [1, 2], nextRunTime: T0 + 10 * SEC })
        const rescheduled = yield* scheduler.rescheduleJob("a", "cron", { minute: "*/5" })
        expect(rescheduled.nextRunTime).toBe(T0) // 00:00 matches */5
        expect(rescheduled.trigger.spec).toMatchObject({ type: "cron", minute: "*/5", timezone: "UTC" })
        yield* scheduler.addJob(() => 1, { id: "b", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.removeAllJobs()
        expect(yield* scheduler.getJobs()).toEqual([])
        expect(show(yield* TestScheduler.drain(events))).toEqual([
          "JobAdded a",
          "JobModified a",
          "JobModified a",
          "JobAdded b",
          "AllJobsRemoved"
        ])
      })
    ))

  it.effect("scheduledJob(options)(fn) adds the job; getJobs orders by next run time, paused last", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.scheduledJob({ id: "late", trigger: "interval", triggerArgs: { minutes: 5 } })(() => 1)
        yield* scheduler.scheduledJob({ id: "early", trigger: "interval", triggerArgs: { minutes: 1 } })(() => 1)
        yield* scheduler.scheduledJob({ id: "off", trigger: "interval", triggerArgs: { minutes: 1 }, nextRunTime: null })(() => 1)
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["early", "late", "off"])
      })
    ))

  it.effect("printJobs prints a readable table per job store", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(function report() {}, { id: "r1", trigger: "cron", triggerArgs: { hour: 9 } })
        yield* scheduler.addJob(() => 1, { id: "p", name: "paused one", trigger: "interval", triggerArgs: { hours: 1 }, nextRunTime: null })
        const text = yield* scheduler.printJobs()
        const lines = text.trimEnd().split("\n")
        expect(lines[0]).toBe("Jobstore default:")
        expect(lines[1]).toMatch(/^\s+id\s+name\s+trigger\s+next run at$/)
        expect(lines[3]).toMatch(/^\s+r1\s+report\s+cron\[.*\]\s+2024-01-01 09:00:00 UTC$/)
        expect(lines[4]).toMatch(/^\s+p\s+paused one\s+interval\[.*\]\s+paused$/)
      })
    ))

  it.effect("task references resolve through the TaskRegistry; an unknown one is refused at add time, nothing stored", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const registry = yield* TaskRegistry
        yield* registry.register("double", (x: number) => x * 2)
        yield* scheduler.addJob(TaskRef.make("double"), { id: "d", args: [21] })
        const refused = yield* Effect.flip(scheduler.addJob("missing", { id: "m" }))
        expect(refused).toMatchObject({ _tag: "TaskLookupError", task: "missing", jobId: "m" })
        expect(refused.message).toContain("of job 'm'")
        // a module reference without allowImports, and one whose export is missing
        const module = yield* Effect.flip(scheduler.addJob("./test/executors/fixtures/tasks.ts:fib", { id: "f" }))
        expect(module).toMatchObject({ _tag: "TaskLookupError", jobId: "f" })
        expect((module as { reason: string }).reason).toContain("allowImports")
        expect(yield* scheduler.getJobs()).toHaveLength(1)
        // modifyJob to an unknown task is refused too, and the job keeps its task
        const changed = yield* Effect.flip(scheduler.modifyJob("d", { task: "nope" }))
        expect(changed).toMatchObject({ _tag: "TaskLookupError", jobId: "d" })
        const events = yield* TestScheduler.advance(0)
        const executed = events.filter((e) => e._tag === "JobExecuted") as Array<Ev.JobExecuted>
        expect(executed.map((e) => [e.jobId, e.retval])).toEqual([["d", 42]])
      })
    ))
})

describe("events", () => {
  it.effect("are published in APScheduler's order", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const bus = yield* EventBus
        const events = yield* bus.subscribe
        yield* scheduler.addJob(() => "done", { id: "once", trigger: { type: "date", runDate: iso(T0 + 5 * SEC) } })
        yield* scheduler.start()
        yield* TestScheduler.advance(5 * SEC)
        yield* scheduler.shutdown()
        expect(show(yield* TestScheduler.drain(events))).toEqual([
          "ExecutorAdded default",
          "JobstoreAdded default",
          "JobAdded once",
          "SchedulerStarted",
          "JobRemoved once", // APScheduler: removed at once, JOB_SUBMITTED dispatched after the pass
          "JobSubmitted once +5s",
          "JobExecuted once +5s",
          "SchedulerShutdown"
        ])
      }), {}, { start: false }))

  it.effect("codes and masks are APScheduler's", () =>
    Effect.sync(() => {
      expect([
        Ev.SCHEDULER_STARTED,
        Ev.SCHEDULER_SHUTDOWN,
        Ev.SCHEDULER_PAUSED,
        Ev.SCHEDULER_RESUMED,
        Ev.EXECUTOR_ADDED,
        Ev.EXECUTOR_REMOVED,
        Ev.JOBSTORE_ADDED,
        Ev.JOBSTORE_REMOVED,
        Ev.ALL_JOBS_REMOVED,
        Ev.JOB_ADDED,
        Ev.JOB_REMOVED,
        Ev.JOB_MODIFIED,
        Ev.JOB_EXECUTED,
        Ev.JOB_ERROR,
        Ev.JOB_MISSED,
        Ev.JOB_SUBMITTED,
        Ev.JOB_MAX_INSTANCES
      ]).toEqual(Array.from({ length: 17 }, (_, i) => 2 ** i))
      // APScheduler's 17 codes, and ours for a quarantined job row
      expect(Ev.JOB_QUARANTINED).toBe(2 ** 17)
      expect(Ev.EVENT_ALL).toBe(2 ** 18 - 1)
      expect(new Ev.JobError({ jobId: "a", jobstore: "default", scheduledRunTime: 0, exception: 1, traceback: "" }).code)
        .toBe(8192)
      expect(Ev.matches(new Ev.JobMissed({ jobId: "a", jobstore: "d", scheduledRunTime: 0 }), Ev.JOB_MISSED | Ev.JOB_ERROR))
        .toBe(true)
      expect(Ev.codeName(4096)).toBe("JOB_EXECUTED")
    }))

  it.effect("a throwing job reports JobError (error + traceback) and keeps its schedule; other jobs run", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => {
          throw new Error("boom")
        }, { id: "sync", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob(() => Promise.reject(new Error("rejected")), {
          id: "promise",
          trigger: "interval",
          triggerArgs: { seconds: 10 }
        })
        yield* scheduler.addJob(() => Effect.fail("typed"), { id: "effect", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob(() => Effect.die("defect"), { id: "die", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob(() => Promise.resolve("ok"), { id: "fine", trigger: "interval", triggerArgs: { seconds: 10 } })
        const events = yield* TestScheduler.advance(20 * SEC)
        const errors = events.filter((e): e is Ev.JobError => e._tag === "JobError")
        expect(errors.map((e) => e.jobId).sort()).toEqual(
          ["die", "die", "effect", "effect", "promise", "promise", "sync", "sync"]
        )
        const sync = errors.find((e) => e.jobId === "sync")!
        expect((sync.exception as Error).message).toBe("boom")
        expect(sync.traceback).toContain("boom")
        expect(errors.find((e) => e.jobId === "effect")!.exception).toBe("typed")
        expect(TestScheduler.executed(events, "fine")).toEqual([T0 + 10 * SEC, T0 + 20 * SEC])
        expect(events.find((e) => e._tag === "JobExecuted")).toMatchObject({ retval: "ok" })
      })
    ))

  it.effect("a throwing listener is logged and never stops the loop or other listeners", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const seen: Array<string> = []
        yield* scheduler.addListener(() => {
          throw new Error("listener boom")
        })
        yield* scheduler.addListener(() => Effect.fail("listener failure"), Ev.JOB_EXECUTED)
        yield* scheduler.addListener(() => Promise.reject(new Error("async listener")), Ev.JOB_EXECUTED)
        const id = yield* scheduler.addListener((e) => {
          seen.push(e._tag)
        }, Ev.JOB_EXECUTED | Ev.JOB_ERROR)
        yield* scheduler.addJob(() => 1, { id: "a", trigger: "interval", triggerArgs: { seconds: 10 } })
        const events = yield* TestScheduler.advance(30 * SEC)
        expect(TestScheduler.executed(events)).toHaveLength(3)
        expect(seen).toEqual(["JobExecuted", "JobExecuted", "JobExecuted"])
        yield* scheduler.removeListener(id)
        yield* TestScheduler.advance(10 * SEC)
        expect(seen).toHaveLength(3)
        expect(yield* scheduler.state).toBe("running")
      })
    ))
})

describe("executors", () => {
  it.effect("sync, promise and Effect jobs; args and kwargs", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob((a: number, b: number) => a + b, { id: "sync", args: [1, 2] })
        yield* scheduler.addJob((a: number, kw: { x: number }) => Promise.resolve(a * kw.x), {
          id: "promise",
          args: [3],
          kwargs: { x: 5 }
        })
        yield* scheduler.addJob(() => Effect.as(Effect.sleep("1 second"), "slept"), { id: "effect" })
        const events = yield* TestScheduler.advance(SEC)
        const retvals = Object.fromEntries(
          events.filter((e): e is Ev.JobExecuted => e._tag === "JobExecuted").map((e) => [e.jobId, e.retval])
        )
        expect(retvals).toEqual({ sync: 3, promise: 15, effect: "slept" })
      })
    ))

  it.effect("maxWorkers bounds concurrent runs", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        let running = 0
        let peak = 0
        const job = () =>
          Effect.acquireUseRelease(
            Effect.sync(() => peak = Math.max(peak, ++running)),
            () => Effect.sleep("10 seconds"),
            () => Effect.sync(() => running--)
          )
        for (let i = 0; i < 5; i++) yield* scheduler.addJob(job, { id: `j${i}`, misfireGraceTime: null })
        const events = yield* TestScheduler.advance(30 * SEC)
        expect(peak).toBe(2)
        expect(TestScheduler.executed(events)).toHaveLength(5)
      }), { executors: { default: { type: "threadpool", maxWorkers: 2 } } }))

  it.effect("a run that starts later than its grace time (queued behind busy workers) is missed", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(() => Effect.sleep("5 seconds"), { id: "busy" })
        yield* scheduler.addJob(() => 1, { id: "queued", misfireGraceTime: 2 })
        const events = yield* TestScheduler.advance(10 * SEC)
        expect(show(events).filter((e) => e.includes("queued"))).toEqual([
          "JobRemoved queued",
          "JobSubmitted queued +0s",
          "JobMissed queued +0s" // started 5 s late: grace 2 s
        ])
      }), { executors: { default: { type: "default", maxWorkers: 1 } } }))

  it.effect("a job whose executor was removed is removed from its store", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addExecutor("extra", { type: "asyncio" })
        yield* scheduler.addJob(() => 1, { id: "a", executor: "extra", trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.removeExecutor("extra")
        const events = yield* TestScheduler.advance(10 * SEC)
        expect(show(events)).toEqual(["JobRemoved a"])
        expect(Option.isNone(yield* scheduler.getJob("a"))).toBe(true)
      })
    ))
})

describe("job stores", () => {
  it.effect("a failing store is logged and retried after jobstoreRetryInterval; other stores keep running", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const inner = yield* MemoryJobStore.make
        const flaky = JobStore.of({
          ...inner,
          acquire: (claim) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              now < T0 + 5 * SEC
                ? Effect.fail(new StoreError({ store: "flaky", operation: "acquire", reason: "connection lost" }))
                : inner.acquire(claim))
        })
        yield* scheduler.addJobstore("flaky", flaky)
        yield* scheduler.addJob(() => Clock.currentTimeMillis, {
          id: "f",
          jobstore: "flaky",
          trigger: { type: "date", runDate: iso(T0 + SEC) },
          misfireGraceTime: null
        })
        yield* scheduler.addJob(() => 1, { id: "m", trigger: "interval", triggerArgs: { seconds: 20 } })
        const events = yield* TestScheduler.advance(30 * SEC)
        // the store fails when asked at T0; it is asked again 10 s later (jobstoreRetryInterval)
        const f = events.find((e): e is Ev.JobExecuted => e._tag === "JobExecuted" && e.jobId === "f")!
        expect(f.scheduledRunTime).toBe(T0 + SEC)
        expect(f.retval).toBe(T0 + 10 * SEC)
        expect(TestScheduler.executed(events, "m")).toEqual([T0 + 20 * SEC])
      }), { jobstoreRetryInterval: 10 }))

  it.effect("add / remove job stores by alias (JOBSTORE_ADDED / REMOVED); a duplicate alias is refused", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const bus = yield* EventBus
        const events = yield* bus.subscribe
        yield* scheduler.addJobstore("other", { type: "memory" })
        expect((yield* Effect.flip(scheduler.addJobstore("other", { type: "memory" })))._tag).toBe("ConflictingAliasError")
        expect((yield* Effect.flip(scheduler.addJobstore("x", { type: "cassandra" })))).toMatchObject({
          _tag: "PluginLookupError",
          kind: "jobstore"
        })
        yield* scheduler.addJob(() => 1, { id: "o", jobstore: "other" })
        expect((yield* scheduler.getJobs("other")).map((j) => j.id)).toEqual(["o"])
        expect(yield* scheduler.getJobs("default")).toEqual([])
        yield* scheduler.removeJobstore("other")
        expect(show(yield* TestScheduler.drain(events)).filter((e) => e.startsWith("Jobstore"))).toEqual([
          "JobstoreAdded other",
          "JobstoreRemoved other"
        ])
      })
    ))
})
