/**
 * The JobStore contract, written once and run for every store implementation:
 * `suite("MemoryJobStore", MemoryJobStore.layer)`. Jobs use task references, JSON arguments and
 * compiled trigger specs, so persistent stores can run it unchanged. Each test starts with
 * `removeAll`, so a shared (costly) store layer works too.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import { JobStore } from "../../src/stores/JobStore.js"
import { unsafeCompile } from "../../src/triggers/compile.js"

const T0 = Date.UTC(2024, 0, 1)

const interval = unsafeCompile({ type: "interval", seconds: 10, timezone: "UTC", startDate: "2024-01-01T00:00:00Z" })
const cron = unsafeCompile({ type: "cron", minute: "*/5", timezone: "UTC" })

/** A job for the contract tests. */
export const makeJob = (id: string, nextRunTime: number | null, extra: Partial<Job.Job> = {}): Job.Job =>
  Job.make({
    id,
    task: TaskRef.make("tasks:noop"),
    args: [1, "two"],
    kwargs: { three: 3 },
    trigger: id.charCodeAt(id.length - 1) % 2 === 0 ? interval : cron,
    nextRunTime,
    ...extra
  })

const ids = (jobs: ReadonlyArray<Job.Job>) => jobs.map((j) => j.id)

/** Compares what a store gives back with what was put in (ignores trigger identity). */
const same = (a: Job.Job, b: Job.Job) => {
  expect({ ...a, trigger: a.trigger.spec, task: String(a.task) }).toEqual({
    ...b,
    trigger: b.trigger.spec,
    task: String(b.task)
  })
}

/**
 * Runs the JobStore contract against a store layer.
 */
export const suite = <E>(name: string, layer: Layer.Layer<JobStore, E>) =>
  describe(`JobStore contract: ${name}`, () => {
    const run = <A, E2>(body: (store: JobStore["Type"]) => Effect.Effect<A, E2>) =>
      Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.removeAll
        return yield* body(store)
      }).pipe(Effect.provide(layer))

    it.effect("adds and looks up a job", () =>
      run((store) =>
        Effect.gen(function*() {
          const job = makeJob("a", T0)
          yield* store.add(job)
          const found = yield* store.lookup("a")
          expect(Option.isSome(found)).toBe(true)
          same(Option.getOrThrow(found), job)
          expect(Option.isNone(yield* store.lookup("missing"))).toBe(true)
        })
      ))

    it.effect("refuses a duplicate id with ConflictingIdError, replaces with replaceExisting", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("a", T0))
          const err = yield* Effect.flip(store.add(makeJob("a", T0 + 1)))
          expect(err._tag).toBe("ConflictingIdError")
          expect(Option.getOrThrow(yield* store.lookup("a")).nextRunTime).toBe(T0)
          yield* store.add(makeJob("a", T0 + 5), true)
          expect(Option.getOrThrow(yield* store.lookup("a")).nextRunTime).toBe(T0 + 5)
          expect((yield* store.getAll).length).toBe(1)
        })
      ))

    it.effect("updates a job and fails with JobLookupError for an unknown one", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("a", T0))
          yield* store.update(makeJob("a", T0 + 1000, { name: "renamed", maxInstances: 3 }))
          const job = Option.getOrThrow(yield* store.lookup("a"))
          expect(job.name).toBe("renamed")
          expect(job.maxInstances).toBe(3)
          expect(job.nextRunTime).toBe(T0 + 1000)
          const err = yield* Effect.flip(store.update(makeJob("nope", T0)))
          expect(err._tag).toBe("JobLookupError")
        })
      ))

    it.effect("removes a job and fails with JobLookupError for an unknown one", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("a", T0))
          yield* store.add(makeJob("b", T0))
          yield* store.remove("a")
          expect(ids(yield* store.getAll)).toEqual(["b"])
          const err = yield* Effect.flip(store.remove("a"))
          expect(err._tag).toBe("JobLookupError")
        })
      ))

    it.effect("removeAll empties the store", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("a", T0))
          yield* store.add(makeJob("b", null))
          yield* store.removeAll
          expect(yield* store.getAll).toEqual([])
          expect(Option.isNone(yield* store.getNextRunTime)).toBe(true)
        })
      ))

    it.effect("getAll orders by next run time then id, paused jobs last", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("p2", null))
          yield* store.add(makeJob("c", T0 + 2000))
          yield* store.add(makeJob("b", T0 + 1000))
          yield* store.add(makeJob("a", T0 + 2000))
          yield* store.add(makeJob("p1", null))
          yield* store.add(makeJob("z", T0))
          expect(ids(yield* store.getAll)).toEqual(["z", "b", "a", "c", "p1", "p2"])
        })
      ))

    it.effect("getDueJobs returns the due jobs in order, never paused ones", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("late", T0 + 10_000))
          yield* store.add(makeJob("b", T0))
          yield* store.add(makeJob("a", T0))
          yield* store.add(makeJob("early", T0 - 5_000))
          yield* store.add(makeJob("paused", null))
          expect(ids(yield* store.getDueJobs(T0 - 10_000))).toEqual([])
          expect(ids(yield* store.getDueJobs(T0))).toEqual(["early", "a", "b"])
          expect(ids(yield* store.getDueJobs(T0 + 10_000))).toEqual(["early", "a", "b", "late"])
        })
      ))

    it.effect("getNextRunTime is the earliest next run time, ignoring paused jobs", () =>
      run((store) =>
        Effect.gen(function*() {
          expect(Option.isNone(yield* store.getNextRunTime)).toBe(true)
          yield* store.add(makeJob("paused", null))
          expect(Option.isNone(yield* store.getNextRunTime)).toBe(true)
          yield* store.add(makeJob("b", T0 + 3000))
          yield* store.add(makeJob("a", T0 + 1000))
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 1000))
          yield* store.remove("a")
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 3000))
        })
      ))

    it.effect("pausing and resuming through update moves a job in and out of the schedule", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("a", T0))
          yield* store.add(makeJob("b", T0 + 1000))
          yield* store.update(makeJob("a", null))
          expect(ids(yield* store.getDueJobs(T0 + 1000))).toEqual(["b"])
          expect(ids(yield* store.getAll)).toEqual(["b", "a"])
          yield* store.update(makeJob("a", T0 + 500))
          expect(ids(yield* store.getDueJobs(T0 + 1000))).toEqual(["a", "b"])
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 500))
        })
      ))

    it.effect("keeps the order under many random changes", () =>
      run((store) =>
        Effect.gen(function*() {
          // deterministic pseudo-random sequence (LCG)
          let seed = 12345
          const rnd = (n: number) => {
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed % n
          }
          const model = new Map<string, number | null>()
          for (let step = 0; step < 400; step++) {
            const id = `j${rnd(60)}`
            const op = rnd(4)
            const t = rnd(5) === 0 ? null : T0 + rnd(50) * 1000
            if (op <= 1) {
              yield* store.add(makeJob(id, t), true)
              model.set(id, t)
            } else if (op === 2 && model.has(id)) {
              yield* store.update(makeJob(id, t))
              model.set(id, t)
            } else if (model.has(id)) {
              yield* store.remove(id)
              model.delete(id)
            }
          }
          const expected = [...model].map(([id, t]) => makeJob(id, t)).sort(byScheduleOrder).map((j) => j.id)
          expect(ids(yield* store.getAll)).toEqual(expected)
          const now = T0 + 25_000
          expect(ids(yield* store.getDueJobs(now))).toEqual(
            [...model].filter(([, t]) => t !== null && t <= now).map(([id, t]) => makeJob(id, t)).sort(byScheduleOrder)
              .map((j) => j.id)
          )
          const times = [...model.values()].filter((t): t is number => t !== null)
          expect(yield* store.getNextRunTime).toEqual(
            times.length === 0 ? Option.none() : Option.some(Math.min(...times))
          )
        })
      ))

    it.effect("keeps the job's fields: args, kwargs, options, trigger spec", () =>
      run((store) =>
        Effect.gen(function*() {
          const job = makeJob("full", T0, {
            name: "Full job",
            executor: "processpool",
            misfireGraceTime: null,
            coalesce: false,
            maxInstances: 4
          })
          yield* store.add(job)
          same(Option.getOrThrow(yield* store.lookup("full")), job)
          same((yield* store.getDueJobs(T0))[0]!, job)
        })
      ))
  })

/**
 * The order every store lists jobs in, written independently of the stores' own comparator (so a
 * bug there is caught): scheduled jobs by next run time then id, paused jobs last, by id.
 */
export const byScheduleOrder = (a: Job.Job, b: Job.Job): number => {
  const key = (j: Job.Job) => [j.nextRunTime === null ? 1 : 0, j.nextRunTime ?? 0] as const
  const [pa, ta] = key(a)
  const [pb, tb] = key(b)
  return pa - pb || ta - tb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}
