/**
 * The JobStore contract, written once and run for every store implementation:
 * `suite("MemoryJobStore", MemoryJobStore.layer)`. Jobs use task references, JSON arguments and
 * compiled trigger specs, so persistent stores can run it unchanged. Each test starts with
 * `removeAll`, so a shared (costly) store layer works too; run history outlives `removeAll`, so the
 * claim tests use job ids of their own. Time is the `TestClock` of `it.effect` (the store's clock
 * when its layer is built inside the test): each claim test sets it first. Run plans are built by
 * hand (plain objects of the `RunPlan` shape), never by the scheduler's code.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import type { RunPlan } from "../../src/planning/planRuns.js"
import type { Completion, ReleaseOutcome, Run } from "../../src/stores/JobStore.js"
import { JobStore, MAX_LISTED_MISSES } from "../../src/stores/JobStore.js"
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

export const A = "owner-a"
export const B = "owner-b"
export const LEASE = 30_000
/** The lease of a run released under `Lock.leased` in the contract tests. */
export const RUN_LEASE = 20_000

/** A run plan built by hand (the shape `planRuns` returns): nothing to do unless given. */
export const plan = (fields: Partial<RunPlan> = {}): RunPlan => ({
  due: true,
  runTimes: [],
  missed: [],
  missedSummary: undefined,
  nextRunTime: undefined,
  jobRemoved: false,
  ...fields
})

/** Acquires with a default limit (100) and lease ({@link LEASE}). */
export const acquire = (
  store: JobStore["Type"],
  claim: { readonly owner: string; readonly limit?: number; readonly leaseMs?: number }
) => store.acquire({ owner: claim.owner, limit: claim.limit ?? 100, leaseMs: claim.leaseMs ?? LEASE })

/** The jobs {@link acquire} leased. */
export const acquired = (
  store: JobStore["Type"],
  claim: { readonly owner: string; readonly limit?: number; readonly leaseMs?: number }
) => Effect.map(acquire(store, claim), (a) => a.jobs.map((l) => l.job))

/** Acquires as `owner`, expecting job `id` among the leased ones, and returns its lease. */
export const lease = (store: JobStore["Type"], owner: string, id: string, leaseMs = LEASE) =>
  Effect.map(acquire(store, { owner, leaseMs }), (a) => {
    const leased = a.jobs.find((l) => l.job.id === id)
    expect(leased, `${owner} acquires ${id}`).toBeDefined()
    return leased!
  })

/** One claim cycle of one job: acquire it as `owner`, release it with `p`; the outcome. */
export const cycle = (store: JobStore["Type"], owner: string, id: string, p: RunPlan) =>
  Effect.flatMap(lease(store, owner, id), (leased) =>
    Effect.map(store.release(owner, [{ leased, plan: p }]), (outcomes) => outcomes[0]!))

/** The runs an outcome started (fails the test when it was refused). */
export const started = (outcome: ReleaseOutcome): ReadonlyArray<Run> => {
  expect(outcome._tag).toBe("Released")
  return outcome._tag === "Released" ? outcome.runs : []
}

/** A completion of a run. */
export const completion = (run: Run, fields: Partial<Completion> = {}): Completion => ({
  jobId: run.jobId,
  scheduledTime: run.scheduledTime,
  fence: run.fence,
  state: "succeeded",
  startedAt: run.scheduledTime,
  finishedAt: run.scheduledTime + 5,
  ...fields
})

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
          expect(ids(yield* store.getAll)).toEqual(["b", "a"])
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 1000))
          yield* store.update(makeJob("a", T0 + 500))
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 500))
          yield* TestClock.setTime(T0 + 1000)
          expect(ids(yield* acquired(store, { owner: A }))).toEqual(["a", "b"])
          yield* store.update(makeJob("a", null))
          yield* store.update(makeJob("b", null))
          yield* TestClock.setTime(T0 + 100_000)
          expect(ids(yield* acquired(store, { owner: A }))).toEqual([])
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
          const times = [...model.values()].filter((t): t is number => t !== null)
          expect(yield* store.getNextRunTime).toEqual(
            times.length === 0 ? Option.none() : Option.some(Math.min(...times))
          )
          yield* TestClock.setTime(now)
          expect(ids(yield* acquired(store, { owner: A, limit: 1000 }))).toEqual(
            [...model].filter(([, t]) => t !== null && t <= now).map(([id, t]) => makeJob(id, t)).sort(byScheduleOrder)
              .map((j) => j.id)
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
          yield* TestClock.setTime(T0)
          same((yield* acquired(store, { owner: A }))[0]!, job)
        })
      ))

    // -- claims: acquire / release / complete / getRuns ----------------------------------------
    // Run history outlives removeAll, so each test below uses job ids of its own.

    it.effect("acquire leases the due jobs in order, never paused or future ones, with the store's now", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("acq-late", T0 + 10_000))
          yield* store.add(makeJob("acq-b", T0))
          yield* store.add(makeJob("acq-a", T0))
          yield* store.add(makeJob("acq-early", T0 - 5_000))
          yield* store.add(makeJob("acq-paused", null))
          const got = yield* acquire(store, { owner: A })
          expect(got.now).toBe(T0)
          expect(ids(got.jobs.map((l) => l.job))).toEqual(["acq-early", "acq-a", "acq-b"])
          for (const l of got.jobs) expect(typeof l.version).toBe("number")
          yield* TestClock.setTime(T0 + 10_000)
          const later = yield* acquire(store, { owner: B })
          expect(later.now).toBe(T0 + 10_000)
          expect(ids(later.jobs.map((l) => l.job))).toEqual(["acq-late"])
        })
      ))

    it.effect("acquire takes at most limit jobs, the earliest first; the others stay due", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0 + 10)
          for (const i of [5, 3, 1, 4, 2]) yield* store.add(makeJob(`lim-${i}`, T0 + i))
          expect(ids(yield* acquired(store, { owner: A, limit: 2 }))).toEqual(["lim-1", "lim-2"])
          expect(ids(yield* acquired(store, { owner: B, limit: 2 }))).toEqual(["lim-3", "lim-4"])
          expect(ids(yield* acquired(store, { owner: "owner-c", limit: 10 }))).toEqual(["lim-5"])
          expect(ids(yield* acquired(store, { owner: "owner-d", limit: 10 }))).toEqual([])
        })
      ))

    it.effect("acquire with horizonMs also takes the jobs due within the horizon, not beyond; a live lease ending inside it is not taken", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("hz-leased", T0 - 100))
          yield* lease(store, B, "hz-leased", 3) // live until T0 + 3, inside the horizon
          yield* store.add(makeJob("hz-now", T0))
          yield* store.add(makeJob("hz-in", T0 + 5))
          yield* store.add(makeJob("hz-out", T0 + 6))
          const got = yield* store.acquire({ owner: A, limit: 100, leaseMs: LEASE, horizonMs: 5 })
          expect(got.now).toBe(T0)
          expect(ids(got.jobs.map((l) => l.job))).toEqual(["hz-now", "hz-in"])
          expect(ids(yield* acquired(store, { owner: A }))).toEqual([])
        })
      ))

    it.effect("a job leased by another owner is not acquired while its lease is live", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("live-x", T0))
          const leased = yield* lease(store, A, "live-x")
          yield* TestClock.adjust(LEASE - 1000)
          expect(yield* acquired(store, { owner: B })).toEqual([])
          const [outcome] = yield* store.release(A, [{ leased, plan: plan({ nextRunTime: T0 + 60_000 }) }])
          expect(outcome!._tag).toBe("Released")
        })
      ))

    it.effect("an expired lease is acquired again; the jobs come ordered by next run time", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("exp-x", T0))
          yield* store.add(makeJob("exp-y", T0 + 1000))
          yield* lease(store, A, "exp-x")
          yield* TestClock.adjust(LEASE + 1)
          expect(ids(yield* acquired(store, { owner: B }))).toEqual(["exp-x", "exp-y"])
        })
      ))

    it.effect("getNextRunTime counts the lease end of a leased job", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("nrt-x", T0))
          yield* store.add(makeJob("nrt-y", T0 + 60_000))
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0))
          const leased = yield* lease(store, A, "nrt-x")
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + LEASE))
          yield* store.release(A, [{ leased, plan: plan({ nextRunTime: T0 + 10_000 }) }])
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 10_000))
        })
      ))

    it.effect("release by a stale owner is refused and records nothing", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("stale-x", T0))
          const byA = yield* lease(store, A, "stale-x")
          yield* TestClock.adjust(LEASE + 1)
          const byB = yield* lease(store, B, "stale-x")
          const p = plan({ runTimes: [T0], nextRunTime: T0 + 60_000 })
          expect(yield* store.release(A, [{ leased: byA, plan: p }])).toEqual([{ _tag: "Refused" }])
          // an owner that never held the lease
          expect(yield* store.release("owner-c", [{ leased: byB, plan: p }])).toEqual([{ _tag: "Refused" }])
          expect(yield* store.getRuns("stale-x")).toEqual([])
          expect(Option.getOrThrow(yield* store.lookup("stale-x")).nextRunTime).toBe(T0)
          const [outcome] = yield* store.release(B, [{ leased: byB, plan: p }])
          expect(started(outcome!).map((r) => [r.scheduledTime, r.acquiredBy])).toEqual([[T0, B]])
          expect(Option.getOrThrow(yield* store.lookup("stale-x")).nextRunTime).toBe(T0 + 60_000)
        })
      ))

    it.effect("release after the lease expired is refused", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("late-x", T0))
          const leased = yield* lease(store, A, "late-x")
          yield* TestClock.adjust(LEASE + 1)
          const p = plan({ runTimes: [T0], nextRunTime: T0 + 60_000 })
          expect(yield* store.release(A, [{ leased, plan: p }])).toEqual([{ _tag: "Refused" }])
          expect(yield* store.getRuns("late-x")).toEqual([])
        })
      ))

    it.effect("release for a changed version is refused and the job is acquired again at once", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("ver-x", T0))
          yield* store.add(makeJob("ver-y", T0))
          const first = (yield* acquire(store, { owner: A })).jobs
          expect(ids(first.map((l) => l.job))).toEqual(["ver-x", "ver-y"])
          yield* store.update(makeJob("ver-x", T0, { name: "renamed" }))
          const p = plan({ runTimes: [T0], nextRunTime: T0 + 60_000 })
          const outcomes = yield* store.release(A, first.map((leased) => ({ leased, plan: p })))
          expect(outcomes.map((o) => o._tag)).toEqual(["Refused", "Released"])
          expect(yield* store.getRuns("ver-x")).toEqual([])
          expect((yield* store.getRuns("ver-y")).length).toBe(1)
          const again = yield* lease(store, A, "ver-x")
          expect(again.job.name).toBe("renamed")
          expect(again.version).toBeGreaterThan(first[0]!.version)
          const [outcome] = yield* store.release(A, [{ leased: again, plan: p }])
          expect(started(outcome!).map((r) => r.scheduledTime)).toEqual([T0])
        })
      ))

    it.effect("add with replaceExisting bumps the version: a leased job's release is refused", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("rep-x", T0))
          const leased = yield* lease(store, A, "rep-x")
          yield* store.add(makeJob("rep-x", T0), true)
          expect(yield* store.release(A, [{ leased, plan: plan({ nextRunTime: T0 + 1 }) }])).toEqual([
            { _tag: "Refused" }
          ])
          expect((yield* lease(store, A, "rep-x")).version).toBeGreaterThan(leased.version)
        })
      ))

    it.effect("release of a removed job is refused", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("gone-x", T0))
          const leased = yield* lease(store, A, "gone-x")
          yield* store.remove("gone-x")
          const p = plan({ runTimes: [T0], nextRunTime: T0 + 60_000 })
          expect(yield* store.release(A, [{ leased, plan: p }])).toEqual([{ _tag: "Refused" }])
          expect(yield* store.getRuns("gone-x")).toEqual([])
          expect(Option.isNone(yield* store.lookup("gone-x"))).toBe(true)
        })
      ))

    it.effect("release records the runs to start, advances the job or removes it, and clears the lease", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("adv-x", T0))
          yield* store.add(makeJob("adv-y", T0))
          const leased = (yield* acquire(store, { owner: A })).jobs
          const [x, y] = yield* store.release(A, [
            { leased: leased[0]!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 }) },
            { leased: leased[1]!, plan: plan({ runTimes: [T0], nextRunTime: undefined, jobRemoved: true }) }
          ])
          const [run] = started(x!)
          expect(run).toMatchObject({
            jobId: "adv-x",
            scheduledTime: T0,
            recordedAt: T0,
            state: "ready",
            attempt: 1,
            acquiredBy: A,
            acquiredUntil: T0 + LEASE,
            startedAt: null,
            finishedAt: null,
            count: 1,
            lastTime: T0
          })
          expect(run!.fence).toBeGreaterThan(0)
          expect(started(y!).map((r) => r.jobId)).toEqual(["adv-y"])
          expect(Option.getOrThrow(yield* store.lookup("adv-x")).nextRunTime).toBe(T0 + 10_000)
          expect(Option.isNone(yield* store.lookup("adv-y"))).toBe(true)
          expect((yield* store.getRuns("adv-y")).map((r) => r.state)).toEqual(["ready"])
          // the lease is cleared: the job's next run time counts again, and it is due then
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 10_000))
          expect(yield* acquired(store, { owner: B })).toEqual([])
          yield* TestClock.setTime(T0 + 10_000)
          expect(ids(yield* acquired(store, { owner: B }))).toEqual(["adv-x"])
        })
      ))

    it.effect("release without runs to start only moves the job", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("idle-x", T0))
          const outcome = yield* cycle(store, A, "idle-x", plan({ due: false, nextRunTime: T0 + 5000 }))
          expect(outcome).toEqual({ _tag: "Released", runs: [], skipped: false })
          expect(yield* store.getRuns("idle-x")).toEqual([])
          expect(Option.getOrThrow(yield* store.lookup("idle-x")).nextRunTime).toBe(T0 + 5000)
          expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 5000))
        })
      ))

    it.effect("one (jobId, scheduledTime) never gets a second run", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("dup-x", T0, { maxInstances: 5 }))
          const p = plan({ runTimes: [T0], nextRunTime: T0 })
          expect(started(yield* cycle(store, A, "dup-x", p)).length).toBe(1)
          // the same plan released again on the next claim: nothing new
          expect(yield* cycle(store, A, "dup-x", p)).toEqual({ _tag: "Released", runs: [], skipped: false })
          const [first] = yield* store.getRuns("dup-x")
          expect(yield* store.complete([completion(first!)])).toEqual([true])
          expect(started(yield* cycle(store, B, "dup-x", p))).toEqual([])
          expect((yield* store.getRuns("dup-x")).map((r) => [r.scheduledTime, r.state])).toEqual([[T0, "succeeded"]])
          // one key twice in one plan: one run
          yield* store.add(makeJob("dup-y", T0, { maxInstances: 5 }))
          const runs = started(
            yield* cycle(store, A, "dup-y", plan({ runTimes: [T0, T0, T0 + 1000], nextRunTime: T0 + 2000 }))
          )
          expect(runs.map((r) => r.scheduledTime)).toEqual([T0, T0 + 1000])
          expect((yield* store.getRuns("dup-y")).map((r) => r.scheduledTime)).toEqual([T0, T0 + 1000])
        })
      ))

    it.effect("fences increase per job, in time order within a release", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("fen-x", T0, { maxInstances: 3 }))
          const [f0, f1] = started(
            yield* cycle(store, A, "fen-x", plan({ runTimes: [T0, T0 + 1000], nextRunTime: T0 + 2000 }))
          ).map((r) => r.fence)
          expect(f0).toBeGreaterThan(0)
          expect(f1).toBeGreaterThan(f0!)
          yield* TestClock.setTime(T0 + 2000)
          const [f2] = started(yield* cycle(store, B, "fen-x", plan({ runTimes: [T0 + 2000], nextRunTime: T0 + 3000 })))
            .map((r) => r.fence)
          expect(f2).toBeGreaterThan(f1!)
        })
      ))

    it.effect("maxInstances: live runs make a release skipped (skipped runs recorded); after complete runs start", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("mi-x", T0, { maxInstances: 1 }))
          const [r0] = started(yield* cycle(store, A, "mi-x", plan({ runTimes: [T0], nextRunTime: T0 + 10_000 })))
          yield* TestClock.setTime(T0 + 10_000)
          expect(yield* cycle(store, A, "mi-x", plan({ runTimes: [T0 + 10_000], nextRunTime: T0 + 20_000 }))).toEqual({
            _tag: "Released",
            runs: [],
            skipped: true
          })
          expect((yield* store.getRuns("mi-x")).map((r) => [r.scheduledTime, r.state, r.fence])).toEqual([
            [T0, "ready", r0!.fence],
            [T0 + 10_000, "skipped", 0]
          ])
          expect(Option.getOrThrow(yield* store.lookup("mi-x")).nextRunTime).toBe(T0 + 20_000)
          expect(yield* store.complete([completion(r0!)])).toEqual([true])
          yield* TestClock.setTime(T0 + 20_000)
          const outcome = yield* cycle(store, A, "mi-x", plan({ runTimes: [T0 + 20_000], nextRunTime: T0 + 30_000 }))
          expect(outcome._tag === "Released" && outcome.skipped).toBe(false)
          expect(started(outcome).map((r) => r.scheduledTime)).toEqual([T0 + 20_000])
        })
      ))

    it.effect("maxInstances counts a run whose lease has expired until it is taken over: the job's new run is skipped", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("mie-x", T0, { maxInstances: 1 }))
          const [first] = started(yield* cycle(store, A, "mie-x", plan({ runTimes: [T0], nextRunTime: T0 + LEASE + 1 })))
          yield* TestClock.setTime(T0 + LEASE + 1)
          // the first run's lease (the job's lease) expired, its holder gone: it keeps the slot
          expect(yield* cycle(store, A, "mie-x", plan({ runTimes: [T0 + LEASE + 1], nextRunTime: T0 + 60_000 }))).toEqual({
            _tag: "Released",
            runs: [],
            skipped: true
          })
          expect((yield* store.getRuns("mie-x")).map((r) => [r.scheduledTime - T0, r.state, r.fence])).toEqual([
            [0, "ready", first!.fence],
            [LEASE + 1, "skipped", 0]
          ])
        })
      ))

    it.effect("a stale fence cannot complete a run; neither can a completion for an unknown run", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("sf-x", T0))
          const [r] = started(yield* cycle(store, A, "sf-x", plan({ runTimes: [T0], nextRunTime: T0 + 10_000 })))
          expect(
            yield* store.complete([
              completion(r!, { fence: r!.fence + 1 }),
              completion(r!, { fence: r!.fence - 1 }),
              completion(r!, { scheduledTime: T0 + 1 }),
              completion(r!, { jobId: "sf-unknown" })
            ])
          ).toEqual([false, false, false, false])
          expect((yield* store.getRuns("sf-x")).map((x) => x.state)).toEqual(["ready"])
          expect(yield* store.complete([completion(r!)])).toEqual([true])
          expect((yield* store.getRuns("sf-x")).map((x) => x.state)).toEqual(["succeeded"])
        })
      ))

    it.effect("completing a run twice is refused the second time", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("twice-x", T0))
          const [r] = started(yield* cycle(store, A, "twice-x", plan({ runTimes: [T0], nextRunTime: T0 + 10_000 })))
          expect(yield* store.complete([completion(r!), completion(r!, { state: "failed", error: "late" })])).toEqual([
            true,
            false
          ])
          expect(yield* store.complete([completion(r!, { state: "failed", error: "again" })])).toEqual([false])
          const [kept] = yield* store.getRuns("twice-x")
          expect([kept!.state, kept!.error]).toEqual(["succeeded", null])
        })
      ))

    it.effect(`missed times are recorded one by one up to ${MAX_LISTED_MISSES}, above as one summary run`, () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("ms-x", T0 - MAX_LISTED_MISSES * 1000))
          const missed = Array.from({ length: MAX_LISTED_MISSES }, (_, i) => T0 - (MAX_LISTED_MISSES - i) * 1000)
          const outcome = yield* cycle(
            store,
            A,
            "ms-x",
            plan({
              missed,
              missedSummary: { first: missed[0]!, last: missed[missed.length - 1]!, count: missed.length },
              runTimes: [T0],
              nextRunTime: T0 + 1000
            })
          )
          expect(started(outcome).map((r) => r.scheduledTime)).toEqual([T0])
          const runs = yield* store.getRuns("ms-x")
          expect(runs.length).toBe(MAX_LISTED_MISSES + 1)
          expect(runs.slice(0, -1).map((r) => [r.scheduledTime, r.state, r.fence, r.count, r.lastTime])).toEqual(
            missed.map((t) => [t, "missed", 0, 1, t])
          )
          expect(runs[MAX_LISTED_MISSES]!.state).toBe("ready")

          const first = T0 - 500_000
          yield* store.add(makeJob("ms-y", first))
          yield* cycle(
            store,
            A,
            "ms-y",
            plan({ missedSummary: { first, last: T0 - 1000, count: 250 }, nextRunTime: T0 + 1000 })
          )
          expect((yield* store.getRuns("ms-y")).map((r) => [r.scheduledTime, r.state, r.fence, r.count, r.lastTime]))
            .toEqual([[first, "missed", 0, 250, T0 - 1000]])
        })
      ))

    it.effect("getRuns returns a job's runs ordered by scheduled time, with their states and outcomes", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("gr-x", T0, { maxInstances: 5 }))
          const [a] = started(yield* cycle(store, A, "gr-x", plan({ runTimes: [T0], nextRunTime: T0 + 1000 })))
          yield* TestClock.setTime(T0 + 1000)
          // a hand-built plan that records an earlier time later
          const [b] = started(
            yield* cycle(
              store,
              A,
              "gr-x",
              plan({
                missed: [T0 - 2000],
                missedSummary: { first: T0 - 2000, last: T0 - 2000, count: 1 },
                runTimes: [T0 + 1000],
                nextRunTime: T0 + 2000
              })
            )
          )
          expect(
            yield* store.complete([
              completion(a!, { startedAt: T0 + 1, finishedAt: T0 + 2, result: { ok: 1 } }),
              completion(b!, { state: "failed", startedAt: T0 + 1001, finishedAt: T0 + 1002, error: "boom" })
            ])
          ).toEqual([true, true])
          const runs = yield* store.getRuns("gr-x")
          expect(runs.map((r) => [r.scheduledTime, r.state])).toEqual([
            [T0 - 2000, "missed"],
            [T0, "succeeded"],
            [T0 + 1000, "failed"]
          ])
          expect(runs[0]).toMatchObject({ recordedAt: T0 + 1000, fence: 0, startedAt: null, finishedAt: null })
          expect(runs[1]).toMatchObject({
            recordedAt: T0,
            fence: a!.fence,
            attempt: 1,
            acquiredBy: null,
            acquiredUntil: null,
            startedAt: T0 + 1,
            finishedAt: T0 + 2,
            result: { ok: 1 },
            error: null
          })
          expect(runs[2]).toMatchObject({
            recordedAt: T0 + 1000,
            fence: b!.fence,
            startedAt: T0 + 1001,
            finishedAt: T0 + 1002,
            error: "boom"
          })
          expect(yield* store.getRuns("gr-unknown")).toEqual([])
        })
      ))

    it.effect("a removed job's runs can still be completed and read", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* store.add(makeJob("rm-x", T0))
          yield* store.add(makeJob("rm-y", T0))
          const leased = (yield* acquire(store, { owner: A })).jobs
          expect(ids(leased.map((l) => l.job))).toEqual(["rm-x", "rm-y"])
          const [ox, oy] = yield* store.release(A, [
            { leased: leased[0]!, plan: plan({ runTimes: [T0], nextRunTime: undefined, jobRemoved: true }) },
            { leased: leased[1]!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 }) }
          ])
          const [x] = started(ox!)
          const [y] = started(oy!)
          yield* store.remove("rm-y")
          expect(Option.isNone(yield* store.lookup("rm-x"))).toBe(true)
          expect(yield* store.complete([completion(x!), completion(y!, { state: "interrupted" })])).toEqual([
            true,
            true
          ])
          expect((yield* store.getRuns("rm-x")).map((r) => r.state)).toEqual(["succeeded"])
          expect((yield* store.getRuns("rm-y")).map((r) => r.state)).toEqual(["interrupted"])
        })
      ))

    // -- run leases: renewal, recovery, stale completions (Lock.leased) -----------------------------

    /** Starts one run of `id` at T0 held by `owner` for `RUN_LEASE` ms (as `Lock.leased` releases). */
    const startLeased = (store: JobStore["Type"], owner: string, id: string, extra: Partial<Job.Job> = {}) =>
      Effect.gen(function*() {
        yield* store.add(makeJob(id, T0, extra))
        const leased = yield* lease(store, owner, id)
        const [outcome] = yield* store.release(owner, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 3_600_000 }) }], RUN_LEASE)
        const [r] = started(outcome!)
        expect([r!.acquiredBy, r!.acquiredUntil, r!.attempt]).toEqual([owner, T0 + RUN_LEASE, 1])
        return r!
      })

    /** Takes over, for good, the expired runs other tests left behind (run history outlives `removeAll`). */
    const drain = (store: JobStore["Type"]) => store.recover({ owner: "drain", limit: 100_000, leaseMs: 1e12 })

    const mine = (prefix: string, runs: ReadonlyArray<Run>) => runs.filter((r) => r.jobId.startsWith(prefix))

    it.effect("renewRuns extends only the owner's live, unexpired runs with this fence", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const r = yield* startLeased(store, A, "rn-x")
          const done = yield* startLeased(store, A, "rn-done")
          expect(yield* store.complete([completion(done)])).toEqual([true])
          yield* TestClock.setTime(T0 + 1000)
          expect(
            yield* store.renewRuns(A, [
              r,
              { jobId: r.jobId, scheduledTime: r.scheduledTime, fence: r.fence + 1 },
              { jobId: "rn-unknown", scheduledTime: T0, fence: 1 },
              done
            ], RUN_LEASE)
          ).toEqual([true, false, false, false])
          expect(yield* store.renewRuns(B, [r], RUN_LEASE)).toEqual([false])
          const [held] = yield* store.getRuns("rn-x")
          expect([held!.acquiredBy, held!.acquiredUntil, held!.state]).toEqual([A, T0 + 1000 + RUN_LEASE, "ready"])
          // past its lease end the run is not the owner's any more: never renewed back to life
          yield* TestClock.setTime(T0 + 1000 + RUN_LEASE)
          expect(yield* store.renewRuns(A, [r], RUN_LEASE)).toEqual([false])
        })
      ))

    it.effect("renewRuns renews 300 runs in one call, and recover takes them over in batches of limit", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* drain(store)
          yield* store.add(makeJob("rnb-x", T0, { maxInstances: 1000 }))
          const leased = yield* lease(store, A, "rnb-x")
          const times = Array.from({ length: 300 }, (_, i) => T0 - 300_000 + i * 1000)
          const [outcome] = yield* store.release(A, [{ leased, plan: plan({ runTimes: times, nextRunTime: T0 + 3_600_000 }) }], RUN_LEASE)
          const runs = started(outcome!)
          expect(runs.length).toBe(300)
          yield* TestClock.setTime(T0 + RUN_LEASE - 1)
          const renewed = yield* store.renewRuns(A, runs, RUN_LEASE)
          expect(renewed.filter((b) => b).length).toBe(300)
          // renewed until T0 + 2 * RUN_LEASE - 1
          yield* TestClock.setTime(T0 + 2 * RUN_LEASE - 2)
          // (the drain takes only what other tests left expired by now)
          expect(mine("rnb-", (yield* drain(store)).runs.map((x) => x.run))).toEqual([])
          yield* TestClock.setTime(T0 + 2 * RUN_LEASE - 1)
          const first = yield* store.recover({ owner: B, limit: 256, leaseMs: RUN_LEASE })
          const second = yield* store.recover({ owner: B, limit: 256, leaseMs: RUN_LEASE })
          expect([first.runs.length, second.runs.length]).toEqual([256, 44])
          const fences = [...first.runs, ...second.runs].map((x) => x.run.fence)
          expect(new Set(fences).size).toBe(300)
          expect(Math.min(...fences)).toBeGreaterThan(Math.max(...runs.map((r) => r.fence)))
        })
      ))

    it.effect("a renewed run keeps counting for maxInstances after its first lease would have ended", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const r = yield* startLeased(store, A, "rnm-x", { maxInstances: 1 })
          yield* TestClock.setTime(T0 + RUN_LEASE - 1)
          expect(yield* store.renewRuns(A, [r], RUN_LEASE)).toEqual([true])
          yield* TestClock.setTime(T0 + RUN_LEASE + 1)
          yield* store.update(Job.modify(makeJob("rnm-x", T0 + RUN_LEASE + 1), { maxInstances: 1 }))
          const outcome = yield* cycle(store, B, "rnm-x", plan({ runTimes: [T0 + RUN_LEASE + 1], nextRunTime: T0 + 3_600_000 }))
          expect(outcome._tag === "Released" && outcome.skipped).toBe(true)
        })
      ))

    it.effect("recover takes over an expired run: attempt 2, a higher fence, the new owner; the old completion is refused", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const old = yield* startLeased(store, A, "rc-x")
          // a live lease is not taken over
          expect(mine("rc-", (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.map((x) => x.run)))
            .toEqual([])
          yield* TestClock.setTime(T0 + RUN_LEASE)
          const got = yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })
          expect(got.now).toBe(T0 + RUN_LEASE)
          const taken = got.runs.filter((x) => x.run.jobId === "rc-x")
          expect(taken.length).toBe(1)
          const { job, run: again } = taken[0]!
          expect(job.id).toBe("rc-x")
          expect([again.scheduledTime, again.state, again.attempt, again.acquiredBy, again.acquiredUntil]).toEqual([
            T0,
            "ready",
            2,
            B,
            T0 + 2 * RUN_LEASE
          ])
          expect(again.fence).toBeGreaterThan(old.fence)
          // the dead holder's late completion (and renewal) is refused; the new holder's is accepted
          expect(yield* store.complete([completion(old)])).toEqual([false])
          expect(yield* store.renewRuns(A, [old], RUN_LEASE)).toEqual([false])
          expect(mine("rc-", (yield* store.recover({ owner: A, limit: 100, leaseMs: RUN_LEASE })).runs.map((x) => x.run)))
            .toEqual([])
          expect(yield* store.complete([completion(again)])).toEqual([true])
          const [kept] = yield* store.getRuns("rc-x")
          expect([kept!.state, kept!.fence, kept!.attempt]).toEqual(["succeeded", again.fence, 2])
          // the job's next run gets a fence above the recovered one
          yield* TestClock.setTime(T0 + 3_600_000)
          const [next] = started(yield* cycle(store, A, "rc-x", plan({ runTimes: [T0 + 3_600_000], nextRunTime: T0 + 7_200_000 })))
          expect(next!.fence).toBeGreaterThan(again.fence)
        })
      ))

    it.effect("recover takes at most limit runs, earliest lease end first", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* drain(store)
          yield* startLeased(store, A, "rcl-1")
          yield* TestClock.setTime(T0 + 10)
          yield* store.add(makeJob("rcl-2", T0))
          const l2 = yield* lease(store, A, "rcl-2")
          yield* store.release(A, [{ leased: l2, plan: plan({ runTimes: [T0], nextRunTime: T0 + 3_600_000 }) }], RUN_LEASE)
          yield* TestClock.setTime(T0 + 10 + RUN_LEASE)
          const first = yield* store.recover({ owner: B, limit: 1, leaseMs: RUN_LEASE })
          expect(first.runs.map((x) => x.run.jobId)).toEqual(["rcl-1"])
          const second = yield* store.recover({ owner: B, limit: 1, leaseMs: RUN_LEASE })
          expect(second.runs.map((x) => x.run.jobId)).toEqual(["rcl-2"])
          expect((yield* store.recover({ owner: B, limit: 1, leaseMs: RUN_LEASE })).runs).toEqual([])
        })
      ))

    it.effect("a taken-over run completed as abandoned stays abandoned (at-most-once)", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* startLeased(store, A, "rca-x")
          yield* TestClock.setTime(T0 + RUN_LEASE)
          const taken = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.filter((x) =>
            x.run.jobId === "rca-x"
          )
          expect(taken.length).toBe(1)
          const again = taken[0]!.run
          expect(yield* store.complete([completion(again, { state: "abandoned", startedAt: null })])).toEqual([true])
          const [kept] = yield* store.getRuns("rca-x")
          expect([kept!.state, kept!.attempt, kept!.acquiredBy]).toEqual(["abandoned", 2, null])
          yield* TestClock.setTime(T0 + 3 * RUN_LEASE)
          expect(mine("rca-", (yield* store.recover({ owner: A, limit: 100, leaseMs: RUN_LEASE })).runs.map((x) => x.run)))
            .toEqual([])
        })
      ))

    it.effect("recover records a run abandoned when its job is gone", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const old = yield* startLeased(store, A, "rcg-x")
          yield* store.remove("rcg-x")
          yield* TestClock.setTime(T0 + RUN_LEASE)
          const got = yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })
          expect(mine("rcg-", got.runs.map((x) => x.run))).toEqual([])
          expect(mine("rcg-", got.abandoned).map((r) => [r.scheduledTime, r.state])).toEqual([[T0, "abandoned"]])
          const [kept] = yield* store.getRuns("rcg-x")
          expect([kept!.state, kept!.acquiredBy]).toEqual(["abandoned", null])
          expect(yield* store.complete([completion(old)])).toEqual([false])
        })
      ))

    it.effect("recover re-runs the last run of a one-shot job its release removed, from the job as it was", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const job = makeJob("rco-x", T0, { recovery: "abandon", maxInstances: 2 })
          yield* store.add(job)
          const leased = yield* lease(store, A, "rco-x")
          const [outcome] = yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], jobRemoved: true }) }], RUN_LEASE)
          const [old] = started(outcome!)
          expect(Option.isNone(yield* store.lookup("rco-x"))).toBe(true)
          yield* TestClock.setTime(T0 + RUN_LEASE)
          const taken = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.filter((x) =>
            x.run.jobId === "rco-x"
          )
          expect(taken.map((x) => [x.run.attempt, x.run.acquiredBy])).toEqual([[2, B]])
          expect(taken[0]!.run.fence).toBeGreaterThan(old!.fence)
          same(taken[0]!.job, Job.modify(job, { nextRunTime: null }))
          expect(Option.isNone(yield* store.lookup("rco-x"))).toBe(true)
          expect(yield* store.complete([completion(old!)])).toEqual([false])
          expect(yield* store.complete([completion(taken[0]!.run)])).toEqual([true])
        })
      ))

    /** Leases job `id` to `owner` and releases runs at `times`, held for `RUN_LEASE` ms. */
    const releaseLeased = (store: JobStore["Type"], owner: string, id: string, times: ReadonlyArray<number>) =>
      Effect.gen(function*() {
        const leased = yield* lease(store, owner, id)
        const [outcome] = yield* store.release(owner, [{ leased, plan: plan({ runTimes: times, nextRunTime: T0 + 3_600_000 }) }], RUN_LEASE)
        return outcome!
      })

    it.effect("an expired run keeps its job's slot: the job's next run is skipped and recover takes the expired run over at once", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* drain(store)
          const old = yield* startLeased(store, A, "rce-x", { maxInstances: 1 })
          // A's lease has expired (A is gone): B's release of the job's next run finds the slot
          // held by the run awaiting recovery and records it skipped
          yield* TestClock.setTime(T0 + RUN_LEASE)
          yield* store.update(makeJob("rce-x", T0 + RUN_LEASE, { maxInstances: 1 }))
          expect(yield* releaseLeased(store, B, "rce-x", [T0 + RUN_LEASE])).toEqual({ _tag: "Released", runs: [], skipped: true })
          // no run holds a valid lease: the expired run is taken over now, not starved
          const taken = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.filter((x) => x.run.jobId === "rce-x")
          expect(taken.map((x) => [x.run.scheduledTime, x.run.attempt, x.run.acquiredBy])).toEqual([[T0, 2, B]])
          expect(yield* store.complete([completion(old)])).toEqual([false])
          expect((yield* store.getRuns("rce-x")).map((r) => [r.scheduledTime - T0, r.state])).toEqual([
            [0, "ready"],
            [RUN_LEASE, "skipped"]
          ])
        })
      ))

    it.effect("recover leaves an expired run expired while maxInstances runs of its job hold valid leases, and takes it over once a slot is free", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* drain(store)
          const old = yield* startLeased(store, A, "rcm-x", { maxInstances: 2 })
          // B starts the job's next run while A's still holds its lease (two slots)
          yield* TestClock.setTime(T0 + RUN_LEASE / 2)
          yield* store.update(makeJob("rcm-x", T0 + RUN_LEASE / 2, { maxInstances: 2 }))
          const [live] = started(yield* releaseLeased(store, B, "rcm-x", [T0 + RUN_LEASE / 2]))
          // the job now allows one instance, and A's lease has expired: B's run holds the one slot,
          // so A's expired run is not taken over (nor lost)
          yield* store.update(makeJob("rcm-x", T0 + 3_600_000, { maxInstances: 1 }))
          yield* TestClock.setTime(T0 + RUN_LEASE)
          expect(mine("rcm-", (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.map((x) => x.run)))
            .toEqual([])
          const [waiting] = yield* store.getRuns("rcm-x")
          expect([waiting!.scheduledTime, waiting!.state, waiting!.fence, waiting!.acquiredBy]).toEqual([T0, "ready", old.fence, A])
          // B's run ends: the slot is free, the expired run is taken over
          expect(yield* store.complete([completion(live!)])).toEqual([true])
          const taken = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.filter((x) => x.run.jobId === "rcm-x")
          expect(taken.map((x) => [x.run.scheduledTime, x.run.attempt, x.run.acquiredBy])).toEqual([[T0, 2, B]])
          expect(yield* store.complete([completion(old)])).toEqual([false])
        })
      ))

    it.effect("recover takes over no more runs of a job than its free instance slots: the rest on later calls", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          yield* drain(store)
          yield* store.add(makeJob("rcs-1", T0, { maxInstances: 1 }))
          yield* store.add(makeJob("rcs-2", T0, { maxInstances: 2 }))
          const times = [T0 - 2000, T0 - 1000, T0]
          const { jobs } = yield* acquire(store, { owner: A })
          const outcomes = yield* store.release(
            A,
            jobs.filter((l) => l.job.id.startsWith("rcs-")).map((leased) => ({ leased, plan: plan({ runTimes: times, nextRunTime: T0 + 3_600_000 }) })),
            RUN_LEASE
          )
          expect(outcomes.map((o) => started(o).length)).toEqual([3, 3])
          yield* TestClock.setTime(T0 + RUN_LEASE)
          const byJob = (got: ReadonlyArray<{ readonly run: Run }>) => [
            mine("rcs-1", got.map((x) => x.run)).length,
            mine("rcs-2", got.map((x) => x.run)).length
          ]
          const first = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs
          expect(byJob(first)).toEqual([1, 2])
          // every slot is held by a taken-over run now: nothing more until one ends
          expect(byJob((yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs)).toEqual([0, 0])
          const one = first.find((x) => x.run.jobId === "rcs-1")!.run
          expect(yield* store.complete([completion(one)])).toEqual([true])
          const second = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs
          expect(byJob(second)).toEqual([1, 0])
          // none is lost: each of the three runs of rcs-1 is taken over once, in the end
          expect(yield* store.complete([completion(second[0]!.run)])).toEqual([true])
          const third = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs
          expect(byJob(third)).toEqual([1, 0])
          expect([one, second[0]!.run, third[0]!.run].map((r) => r.scheduledTime).sort((a, b) => a - b)).toEqual(times)
        })
      ))

    it.effect("renewRuns with lease 0 hands runs back: a peer recovers them at once", () =>
      run((store) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(T0)
          const r = yield* startLeased(store, A, "rhb-x")
          yield* TestClock.setTime(T0 + 5)
          expect(mine("rhb-", (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.map((x) => x.run)))
            .toEqual([])
          expect(yield* store.renewRuns(A, [r], 0)).toEqual([true])
          const taken = (yield* store.recover({ owner: B, limit: 100, leaseMs: RUN_LEASE })).runs.filter((x) =>
            x.run.jobId === "rhb-x"
          )
          expect(taken.map((x) => [x.run.attempt, x.run.acquiredBy])).toEqual([[2, B]])
          expect(yield* store.renewRuns(A, [r], RUN_LEASE)).toEqual([false])
        })
      ))

    // last in the suite: it leaves expired runs of a job at its maxInstances behind, in the past
    it.effect("recover reads past the expired runs of a job at its maxInstances to another job's run in the same call, never more than limit", () =>
      run((store) =>
        Effect.gen(function*() {
          // a day before T0: the expired runs other tests leave behind (leases ending after T0)
          // are not due in this test's calls
          const T1 = T0 - 86_400_000
          const later = T1 + 3_600_000
          yield* TestClock.setTime(T1)
          yield* store.add(makeJob("rsl-full", T1 - 5000, { maxInstances: 1 }))
          yield* store.add(makeJob("rsl-a", T1, { maxInstances: 1 }))
          yield* store.add(makeJob("rsl-b", T1, { maxInstances: 1 }))
          const got = yield* acquire(store, { owner: A })
          const byId = new Map(got.jobs.map((l) => [l.job.id, l]))
          // "rsl-full" holds five runs (planned at once, leases ending at T1 + 1 s), "rsl-a" and
          // "rsl-b" one each (released later: leases ending at T1 + 1.5 s, behind them)
          const [full] = yield* store.release(A, [
            { leased: byId.get("rsl-full")!, plan: plan({ runTimes: [-5000, -4000, -3000, -2000, -1000].map((d) => T1 + d), nextRunTime: later }) }
          ], 1000)
          yield* TestClock.setTime(T1 + 500)
          const others = yield* store.release(A, [
            { leased: byId.get("rsl-a")!, plan: plan({ runTimes: [T1], nextRunTime: later }) },
            { leased: byId.get("rsl-b")!, plan: plan({ runTimes: [T1], nextRunTime: later }) }
          ], 1000)
          expect([full!, ...others].map((o) => started(o).length)).toEqual([5, 1, 1])
          yield* TestClock.setTime(T1 + 10_000) // every lease expired; owner A is gone
          const key = (x: { readonly run: Run }) => `${x.run.jobId}@${x.run.scheduledTime - T1}`
          // limit 2: "rsl-full" has one slot for its five expired runs; the four it cannot take
          // do not crowd "rsl-a" out of the call
          const first = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
          expect(first.runs.map(key).sort()).toEqual(["rsl-a@0", "rsl-full@-5000"])
          const second = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
          expect(second.runs.map(key)).toEqual(["rsl-b@0"])
          // "rsl-full"'s slot is held by its taken-over run: the other four wait for it
          const third = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
          expect(third.runs).toEqual([])
          expect([first, second, third].flatMap((r) => r.abandoned)).toEqual([])
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
