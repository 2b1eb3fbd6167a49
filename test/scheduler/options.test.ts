/**
 * The job API's option objects: unknown keys refused with the key named and a hint, camelCase and
 * snake_case alike, a key in two spellings refused, instants within the range of a Date; nothing is
 * stored by a refused call (issue: tried as a new user would).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { EVENT_ALL, JOB_ERROR, JOB_EXECUTED } from "../../src/events/SchedulerEvent.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import type { CompiledTrigger } from "../../src/triggers/Trigger.js"
import * as Layer from "effect/Layer"
import * as Job from "../../src/job/Job.js"
import { table } from "../../src/scheduler/internal/formatting.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { T0, withScheduler } from "./helpers.js"

const fn = () => 1

describe("job options", () => {
  it.effect("a trigger field among the job's options (APScheduler keyword style) is refused with a triggerArgs hint", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(scheduler.addJob(fn, { id: "h", trigger: "interval", seconds: 3600 } as never))
        expect(e).toMatchObject({ _tag: "InvalidArgumentError", field: "seconds" })
        expect(e.message).toContain("did you mean `triggerArgs.seconds`")
        const cron = yield* Effect.flip(scheduler.addJob(fn, { trigger: "cron", day_of_week: "mon" } as never))
        expect(cron.message).toContain("`triggerArgs.dayOfWeek`")
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("a misspelt option is refused with the closest name", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const typo = yield* Effect.flip(
          scheduler.addJob(fn, { trigger: "interval", trigerArgs: { seconds: 5 } } as never)
        )
        expect(typo).toMatchObject({ _tag: "InvalidArgumentError", field: "trigerArgs" })
        expect(typo.message).toContain("did you mean `triggerArgs`")
        const max = yield* Effect.flip(scheduler.addJob(fn, { maxInstance: 2 } as never))
        expect(max.message).toContain("did you mean `maxInstances`")
        const odd = yield* Effect.flip(scheduler.addJob(fn, { colour: "red" } as never))
        expect(odd).toMatchObject({ field: "colour", reason: "is not an option" })
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("a misspelt trigger field is refused with the closest field of that trigger, nested specs too", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const interval = yield* Effect.flip(scheduler.addJob(fn, { trigger: "interval", triggerArgs: { secnds: 3 } } as never))
        expect(interval).toMatchObject({ _tag: "TriggerError", field: "secnds" })
        expect(interval.message).toContain("did you mean `seconds`?")
        const cron = yield* Effect.flip(scheduler.addJob(fn, { trigger: "cron", triggerArgs: { day_of_wek: "mon" } } as never))
        expect(cron.message).toContain("did you mean `dayOfWeek`?")
        const nested = yield* Effect.flip(scheduler.addJob(fn, {
          trigger: { type: "and", triggers: [{ type: "cron", minite: 1 }, { type: "interval", hours: 1 }] }
        } as never))
        expect(nested).toMatchObject({ _tag: "TriggerError", field: "triggers.0.minite" })
        expect(nested.message).toContain("did you mean `minute`?")
        // (the types refuse these too: a JavaScript caller meets the runtime check)
        // no close field: the allowed ones are listed, no guess
        const far = yield* Effect.flip(scheduler.addJob(fn, { trigger: "date", triggerArgs: { zzz: 1 } } as never))
        expect(far.message).toContain('expected: "type" | "runDate" | "timezone"')
        expect(far.message).not.toContain("did you mean")
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("snake_case names work like camelCase ones, and their values are checked (misfire_grace_time: -5 is refused)", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const job = yield* scheduler.addJob(fn, {
          id: "s",
          trigger: "interval",
          trigger_args: { seconds: 10 },
          misfire_grace_time: 30,
          max_instances: 2,
          next_run_time: null
        } as never)
        expect(job).toMatchObject({ misfireGraceTime: 30, maxInstances: 2, nextRunTime: null })
        const grace = yield* Effect.flip(scheduler.addJob(fn, { id: "g", misfire_grace_time: -5 } as never))
        expect(grace).toMatchObject({ _tag: "InvalidArgumentError", field: "misfireGraceTime" })
        const modified = yield* scheduler.modifyJob("s", { max_instances: 3 } as never)
        expect(modified.maxInstances).toBe(3)
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["s"])
      })
    ))

  it.effect("an option in two spellings is refused, in job options and in trigger options", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const twice = yield* Effect.flip(scheduler.addJob(fn, { maxInstances: 1, max_instances: 2 } as never))
        expect(twice).toMatchObject({ field: "max_instances", reason: "given twice (as `maxInstances` and `max_instances`)" })
        const day = yield* Effect.flip(
          scheduler.addJob(fn, { trigger: "cron", triggerArgs: { dayOfWeek: "mon", day_of_week: "tue" } })
        )
        expect(day).toMatchObject({ _tag: "InvalidArgumentError", field: "triggerArgs.day_of_week" })
        const spec = yield* Effect.flip(
          scheduler.addJob(fn, { trigger: { type: "cron", hour: 1 }, triggerArgs: { hour: 2 } })
        )
        expect(spec).toMatchObject({ field: "triggerArgs.hour", reason: "is given in the trigger spec too" })
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("modifyJob refuses unknown keys and triggerArgs without a trigger; the job is unchanged", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(fn, { id: "m", trigger: "interval", triggerArgs: { seconds: 10 } })
        const before = (yield* scheduler.getJob("m"))
        const foo = yield* Effect.flip(scheduler.modifyJob("m", { foo: 1 } as never))
        expect(foo).toMatchObject({ _tag: "InvalidArgumentError", field: "foo" })
        const args = yield* Effect.flip(scheduler.modifyJob("m", { triggerArgs: { minutes: 1 } }))
        expect(args).toMatchObject({ _tag: "InvalidArgumentError", field: "triggerArgs" })
        expect(args.message).toContain("rescheduleJob")
        expect(yield* scheduler.getJob("m")).toEqual(before)
        // with the trigger, the change is made
        const changed = yield* scheduler.modifyJob("m", { trigger: "interval", triggerArgs: { minutes: 1 } })
        expect(String(changed.trigger)).toContain("0:01:00")
      })
    ))

  it.effect("snake_case and camelCase alike in nested and/or specs; a nested key in two spellings is refused with its path", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const job = yield* scheduler.addJob(fn, {
          id: "n",
          trigger: "or",
          trigger_args: {
            triggers: [
              { type: "cron", day_of_week: "tue", hour: 9 },
              { type: "interval", hours: 1, start_date: "2024-01-01 00:30:00", end_date: "2024-01-01 02:00:00" }
            ]
          }
        })
        // 2024-01-01 is a Monday: the interval fires first, at 00:30
        expect(new Date(job.nextRunTime!).toISOString()).toBe("2024-01-01T00:30:00.000Z")
        const nested = job.trigger.spec as unknown as { triggers: ReadonlyArray<Record<string, unknown>> }
        expect(nested.triggers[0]).toMatchObject({ dayOfWeek: "tue" })
        expect(nested.triggers[1]).toMatchObject({ startDate: "2024-01-01 00:30:00" })
        const twice = yield* Effect.flip(scheduler.addJob(fn, {
          trigger: "and",
          triggerArgs: { triggers: [{ type: "cron", hour: 9 }, { type: "cron", dayOfWeek: "mon", day_of_week: "tue" } as never] }
        }))
        expect(twice).toMatchObject({ _tag: "TriggerError", field: "triggers.1.day_of_week" })
        expect(twice.message).toContain("given twice")
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["n"])
      })
    ))

  it.effect("jitter and misfire grace time are range-checked (jitter: 1e15, grace: 1e15 are refused)", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        for (const trigger of ["interval", "cron"] as const) {
          const e = yield* Effect.flip(scheduler.addJob(fn, { trigger, triggerArgs: { jitter: 1e15 } }))
          expect(e).toMatchObject({ _tag: "TriggerError", field: "jitter" })
        }
        const nested = yield* Effect.flip(scheduler.addJob(fn, {
          trigger: "or",
          triggerArgs: { triggers: [{ type: "cron", hour: 1 }], jitter: 1e15 }
        }))
        expect(nested).toMatchObject({ _tag: "TriggerError", field: "jitter" })
        const grace = yield* Effect.flip(scheduler.addJob(fn, { misfireGraceTime: 1e15 }))
        expect(grace).toMatchObject({ _tag: "InvalidArgumentError", field: "misfireGraceTime" })
        const ok = yield* scheduler.addJob(fn, { id: "ok", trigger: "interval", triggerArgs: { jitter: 3600 }, misfireGraceTime: 86_400 })
        expect(ok.misfireGraceTime).toBe(86_400)
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["ok"])
      })
    ))

  it.effect("triggerArgs without a trigger is refused (it would be dropped and the job run once now)", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(scheduler.addJob(fn, { triggerArgs: { seconds: 5 } }))
        expect(e).toMatchObject({ _tag: "InvalidArgumentError", field: "triggerArgs" })
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("a first run time outside the range of a Date is refused", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        for (const nextRunTime of [1e20, -1e20, 8.64e15 + 1]) {
          const e = yield* Effect.flip(scheduler.addJob(fn, { nextRunTime }))
          expect(e).toMatchObject({ _tag: "InvalidArgumentError", field: "nextRunTime" })
          expect(e.message).toContain("outside the range of a Date")
        }
        const ok = yield* scheduler.addJob(fn, { id: "ok", nextRunTime: 8.64e15 })
        expect(ok.nextRunTime).toBe(8.64e15)
      })
    ))
})

describe("custom triggers and listeners", () => {
  /** A trigger of our own making: fires every 10 s, then returns `bad` once it has fired `after` times. */
  const flaky = (bad: (previous: number) => number, after: number): CompiledTrigger => {
    let first: number | undefined
    return {
      spec: { type: "flaky" },
      timezone: "UTC",
      jitter: undefined,
      next: (previous, now) => {
        if (previous === undefined) return (first = Math.ceil(now / 10_000) * 10_000 + 10_000)
        return previous >= first! + (after - 1) * 10_000 ? bad(previous) : previous + 10_000
      },
      fastForward: (previous, target) => ({ count: 0, last: undefined, next: previous + 10_000 >= target ? previous + 10_000 : target }),
      toString: () => "flaky"
    }
  }

  it.effect("a custom trigger whose first fire time is NaN or out of range is refused at add time", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        for (const bad of [NaN, 1e20, Infinity]) {
          const e = yield* Effect.flip(scheduler.addJob(fn, { trigger: { ...flaky(() => bad, 0), next: () => bad } }))
          expect(e).toMatchObject({ _tag: "InvalidArgumentError", field: "trigger" })
          expect(e.message).toContain(`returned ${bad}`)
        }
        expect(yield* scheduler.getJobs()).toEqual([])
      })
    ))

  it.effect("a custom trigger that later returns NaN, or a time not after the last fire, pauses its job at that pass (its run there is not started); time still moves and the others run", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        yield* scheduler.addJob(fn, { id: "nan", trigger: flaky(() => NaN, 2) })
        yield* scheduler.addJob(fn, { id: "stuck", trigger: flaky((previous) => previous, 2) })
        yield* scheduler.addJob(fn, { id: "fine", trigger: "interval", triggerArgs: { seconds: 10 } })
        const events = yield* TestScheduler.advance("60 seconds")
        const ran = (id: string) => events.filter((e) => e._tag === "JobExecuted" && e.jobId === id).length
        expect(ran("fine")).toBe(6)
        // the second pass plans the run at +20 s and fails on the fire after it: nothing is started there
        expect(ran("nan")).toBe(1)
        expect(ran("stuck")).toBe(1)
        for (const id of ["nan", "stuck"]) {
          expect(Option.getOrThrow(yield* scheduler.getJob(id)).nextRunTime).toBe(null) // paused, kept
        }
      })
    ))

  it.effect("addListener refuses a listener that is not a function and a mask that is not event codes", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const notFn = yield* Effect.flip(scheduler.addListener(42 as never))
        expect(notFn).toMatchObject({ _tag: "InvalidArgumentError", field: "listener" })
        for (const mask of ["abc", 0, -1, 1.5, EVENT_ALL + 1]) {
          const e = yield* Effect.flip(scheduler.addListener(() => {}, mask as never))
          expect(e).toMatchObject({ _tag: "InvalidArgumentError", field: "mask" })
        }
        expect(typeof (yield* scheduler.addListener(() => {}, JOB_EXECUTED | JOB_ERROR))).toBe("number")
      })
    ))
})

describe("pending jobs", () => {
  it.effect("a job added before start is pending, not paused; one added with nextRunTime: null is paused; start clears pending", () =>
    withScheduler((scheduler) =>
      Effect.gen(function*() {
        const waiting = yield* scheduler.addJob(fn, { id: "w", trigger: "interval", triggerArgs: { seconds: 10 } })
        const paused = yield* scheduler.addJob(fn, { id: "p", trigger: "interval", triggerArgs: { seconds: 10 }, nextRunTime: null })
        expect(waiting).toMatchObject({ nextRunTime: null, pending: true })
        expect(Job.isPaused(waiting)).toBe(false)
        expect(paused.pending).toBeUndefined()
        expect(Job.isPaused(paused)).toBe(true)
        expect(Option.getOrThrow(yield* scheduler.getJob("w")).pending).toBe(true)
        // pausing a pending job makes it paused; resuming makes it pending again
        expect(Job.isPaused(yield* scheduler.pauseJob("w"))).toBe(true)
        expect(Option.getOrThrow(yield* scheduler.resumeJob("w")).pending).toBe(true)
        const text = yield* scheduler.printJobs()
        expect(text).toMatch(/w\s+fn\s+interval\[0:00:10\]\s+pending/)
        expect(text).toMatch(/p\s+fn\s+interval\[0:00:10\]\s+paused/)
        yield* scheduler.start()
        const started = Option.getOrThrow(yield* scheduler.getJob("w"))
        expect("pending" in started).toBe(false)
        expect(started.nextRunTime).toBe(T0 + 10_000)
        expect(Job.isPaused(Option.getOrThrow(yield* scheduler.getJob("p")))).toBe(true)
      }), {}, { start: false }))
})

describe("many jobs", () => {
  it.effect("getJobs returns 300,000 jobs and the job table formats them (no argument spreading that overflows the stack)", () =>
    Effect.gen(function*() {
      const store = yield* MemoryJobStore.make
      const trigger = unsafeCompile({ type: "interval", seconds: 60, startDate: "2024-01-01T00:00:00Z" })
      const N = 300_000
      for (let i = 0; i < N; i++) {
        yield* store.add(Job.make({ id: `j${i}`, task: fn, trigger, nextRunTime: T0 + i * 1000 }), false)
      }
      const jobs = yield* Effect.flatMap(Scheduler, (s) => s.getJobs()).pipe(
        Effect.provide(TestScheduler.layer().pipe(Layer.provide(Layer.succeed(JobStore, store))))
      )
      expect(jobs.length).toBe(N)
      const rows = table("UTC", jobs, new Set())
      expect(rows.length).toBe(N + 2)
      expect(rows[2]).toMatch(/^ {4}j0 +fn +interval\[0:01:00\] +2024-01-01 00:00:00 UTC$/)
    }).pipe(Effect.scoped))
})
