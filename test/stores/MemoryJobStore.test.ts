import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import fc from "fast-check"
import * as Job from "../../src/job/Job.js"
import { JobStore, type LeasedJob } from "../../src/stores/JobStore.js"
import * as MemoryJobStore from "../../src/stores/MemoryJobStore.js"
import { JobIndex } from "../../src/stores/MemoryJobStore.js"
import { every } from "../testing/testTriggers.js"
import { A, byScheduleOrder, completion, cycle, LEASE, makeJob, plan, started, suite } from "./jobStoreSuite.js"

suite("MemoryJobStore", MemoryJobStore.layer)

const T0 = Date.UTC(2024, 0, 1)
const trigger = every(60, 0)
const noop = () => undefined

/** Runs `body` against a memory store built with `options`, the TestClock at T0. */
const withStore = <A, E>(
  body: (store: JobStore["Type"]) => Effect.Effect<A, E>,
  options: MemoryJobStore.Options = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    return yield* Effect.flatMap(JobStore, body).pipe(Effect.provide(MemoryJobStore.layerWith(options)))
  })

describe("MemoryJobStore", () => {
  it.effect("holds functions directly", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const fn = () => 42
        yield* store.add(Job.make({ id: "f", task: fn, trigger, nextRunTime: T0 }))
        expect(Option.getOrThrow(yield* store.lookup("f")).task).toBe(fn)
        const { jobs } = yield* store.acquire({ owner: A, limit: 1, leaseMs: LEASE })
        expect(jobs[0]!.job.task).toBe(fn)
      })
    ))

  it.effect("the runs release returns are snapshots: completing a run does not change them", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.add(makeJob("snap", T0))
        const [run] = started(yield* cycle(store, A, "snap", plan({ runTimes: [T0], nextRunTime: T0 + 1000 })))
        yield* store.complete([completion(run!)])
        expect(run!.state).toBe("ready")
        expect((yield* store.getRuns("snap"))[0]!.state).toBe("succeeded")
      })
    ))

  it.effect("removeAll removes jobs only: run history stays, fences keep increasing for a re-added id", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.add(makeJob("again", T0))
        const [r0] = started(yield* cycle(store, A, "again", plan({ runTimes: [T0], nextRunTime: T0 + 1000 })))
        yield* store.removeAll
        expect((yield* store.getRuns("again")).map((r) => r.scheduledTime)).toEqual([T0])
        expect(yield* store.complete([completion(r0!)])).toEqual([true])
        yield* TestClock.setTime(T0 + 1000)
        yield* store.add(makeJob("again", T0 + 1000))
        const [r1] = started(
          yield* cycle(store, A, "again", plan({ runTimes: [T0 + 1000], nextRunTime: T0 + 2000 }))
        )
        expect(r1!.fence).toBeGreaterThan(r0!.fence)
      })
    ))

  it.effect("runs older than the retention are purged (by finishedAt, else recordedAt); live runs stay", () =>
    withStore(
      (store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("ret", T0, { maxInstances: 5 }))
          const [r0, r1] = started(
            yield* cycle(
              store,
              A,
              "ret",
              plan({
                missed: [T0 - 1000],
                missedSummary: { first: T0 - 1000, last: T0 - 1000, count: 1 },
                runTimes: [T0, T0 + 1],
                nextRunTime: T0 + 1_000_000
              })
            )
          )
          yield* TestClock.setTime(T0 + 30_000)
          expect(yield* store.complete([completion(r0!, { finishedAt: T0 + 30_000 })])).toEqual([true])
          // the missed run (recorded at T0) is past the retention at T0 + 60_001; the finished one is not
          yield* TestClock.setTime(T0 + 60_001)
          yield* store.complete([])
          expect((yield* store.getRuns("ret")).map((r) => [r.scheduledTime, r.state])).toEqual([
            [T0, "succeeded"],
            [T0 + 1, "ready"]
          ])
          yield* TestClock.setTime(T0 + 90_001)
          yield* store.release(A, [])
          expect((yield* store.getRuns("ret")).map((r) => [r.scheduledTime, r.state])).toEqual([[T0 + 1, "ready"]])
          // the live run is kept however old; once finished, it ages like the others
          yield* TestClock.setTime(T0 + 500_000)
          expect(yield* store.complete([completion(r1!, { finishedAt: T0 + 500_000 })])).toEqual([true])
          yield* TestClock.setTime(T0 + 560_001)
          yield* store.complete([])
          expect(yield* store.getRuns("ret")).toEqual([])
        }),
      { runRetentionMs: 60_000 }
    ))

  it.effect("a job keeps at most maxRunsPerJob runs, the oldest finished dropped first; live runs stay", () =>
    withStore(
      (store) =>
        Effect.gen(function*() {
          yield* store.add(makeJob("cap", T0, { maxInstances: 100 }))
          for (let i = 0; i < 5; i++) {
            yield* TestClock.setTime(T0 + i * 1000)
            const [r] = started(
              yield* cycle(store, A, "cap", plan({ runTimes: [T0 + i * 1000], nextRunTime: T0 + (i + 1) * 1000 }))
            )
            yield* store.complete([completion(r!)])
          }
          expect((yield* store.getRuns("cap")).map((r) => r.scheduledTime)).toEqual([T0 + 2000, T0 + 3000, T0 + 4000])
          // runs still live are not dropped, even beyond the cap
          yield* TestClock.setTime(T0 + 5000)
          yield* cycle(
            store,
            A,
            "cap",
            plan({ runTimes: [T0 + 5000, T0 + 5001, T0 + 5002, T0 + 5003], nextRunTime: T0 + 6000 })
          )
          expect((yield* store.getRuns("cap")).map((r) => [r.scheduledTime, r.state])).toEqual([
            [T0 + 5000, "ready"],
            [T0 + 5001, "ready"],
            [T0 + 5002, "ready"],
            [T0 + 5003, "ready"]
          ])
        }),
      { maxRunsPerJob: 3 }
    ))
})

describe("MemoryJobStore index: acquire does work in proportion to what it takes", () => {
  const fill = (jobs: number, due: number) => {
    const index = new JobIndex()
    for (let i = 0; i < jobs; i++) {
      // `due` jobs at times 0..due-1, the others in the future
      const t = i < due ? i : 1_000_000 + i
      index.add(Job.make({ id: `j${String(i).padStart(6, "0")}`, task: noop, trigger, nextRunTime: t }), false)
    }
    return index
  }
  const log2 = (n: number) => Math.ceil(Math.log2(n + 1))

  it("takes 256 of 10,000 due jobs among 100,000 with O(256 log n) heap steps, the earliest first", () => {
    const index = fill(100_000, 10_000)
    const before = index.steps
    const taken = index.acquire(A, 256, LEASE, 500_000)
    const steps = index.steps - before
    expect(taken.map((l) => l.job.nextRunTime)).toEqual(Array.from({ length: 256 }, (_, i) => i))
    expect(steps).toBeLessThanOrEqual(256 * 2 * log2(100_000))
    // the same with 100 or 50,000 due: the work does not depend on how many are due
    for (const due of [300, 50_000]) {
      const other = fill(100_000, due)
      const b = other.steps
      other.acquire(A, 256, LEASE, 500_000)
      expect(other.steps - b).toBeLessThanOrEqual(256 * 2 * log2(100_000))
    }
    // the next claim goes on where the last stopped
    expect(index.acquire("owner-b", 2, LEASE, 500_000).map((l) => l.job.nextRunTime)).toEqual([256, 257])
  })

  it("takes the 3 due jobs among 100,000 with a few dozen heap steps", () => {
    const index = fill(100_000, 0)
    index.add(Job.make({ id: "d1", task: noop, trigger, nextRunTime: 5 }), false)
    index.add(Job.make({ id: "d2", task: noop, trigger, nextRunTime: 3 }), false)
    index.add(Job.make({ id: "d3", task: noop, trigger, nextRunTime: 5 }), false)
    expect(index.nextRunTime()).toBe(3)
    const before = index.steps
    expect(index.acquire(A, 256, LEASE, 10).map((l) => l.job.id)).toEqual(["d2", "d1", "d3"])
    expect(index.steps - before).toBeLessThanOrEqual(3 * 2 * log2(100_000))
    expect(index.nextRunTime()).toBe(10 + LEASE)
  })
})

describe("MemoryJobStore index: acquire and release against a model of the heap order", () => {
  interface ModelJob {
    nextRunTime: number | null
    version: number
    by: string | null
    until: number | null
  }
  const ids = Array.from({ length: 12 }, (_, i) => `j${String(i).padStart(2, "0")}`)
  const owners = ["A", "B"]
  const time = fc.option(fc.integer({ min: 0, max: 60 }), { nil: null, freq: 6 })
  const op = fc.oneof(
    fc.record({ kind: fc.constant("add" as const), id: fc.constantFrom(...ids), t: time, replace: fc.boolean() }),
    fc.record({ kind: fc.constant("update" as const), id: fc.constantFrom(...ids), t: time }),
    fc.record({ kind: fc.constant("remove" as const), id: fc.constantFrom(...ids) }),
    fc.record({
      kind: fc.constant("acquire" as const),
      owner: fc.constantFrom(...owners),
      limit: fc.integer({ min: 0, max: 5 }),
      lease: fc.integer({ min: 1, max: 20 })
    }),
    fc.record({
      kind: fc.constant("release" as const),
      owner: fc.constantFrom(...owners),
      pick: fc.nat(),
      next: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined, freq: 5 })
    }),
    fc.record({ kind: fc.constant("advance" as const), dt: fc.integer({ min: 0, max: 15 }) })
  )
  const keyOf = (m: ModelJob) => m.until === null ? m.nextRunTime! : Math.max(m.nextRunTime!, m.until)
  const byKey = (model: Map<string, ModelJob>) =>
    [...model].filter(([, m]) => m.nextRunTime !== null).sort(([ia, a], [ib, b]) =>
      keyOf(a) - keyOf(b) || (ia < ib ? -1 : 1)
    )

  it("acquire takes in (effective due time, id) order; release accepts only the live lease of the same version", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const index = new JobIndex()
        const model = new Map<string, ModelJob>()
        const leases: Array<LeasedJob> = []
        let now = 0
        const job = (id: string, t: number | null) => Job.make({ id, task: noop, trigger, nextRunTime: t })
        for (const o of ops) {
          switch (o.kind) {
            case "add": {
              const m = model.get(o.id)
              expect(index.add(job(o.id, o.t), o.replace)).toBe(m === undefined || o.replace)
              if (m === undefined) model.set(o.id, { nextRunTime: o.t, version: 1, by: null, until: null })
              else if (o.replace) Object.assign(m, { nextRunTime: o.t, version: m.version + 1 })
              break
            }
            case "update": {
              const m = model.get(o.id)
              expect(index.update(job(o.id, o.t))).toBe(m !== undefined)
              if (m !== undefined) Object.assign(m, { nextRunTime: o.t, version: m.version + 1 })
              break
            }
            case "remove": {
              expect(index.remove(o.id)).toBe(model.delete(o.id))
              break
            }
            case "acquire": {
              const expected = byKey(model).filter(([, m]) => keyOf(m) <= now).slice(0, o.limit)
              for (const [, m] of expected) Object.assign(m, { by: o.owner, until: now + o.lease })
              const got = index.acquire(o.owner, o.limit, o.lease, now)
              const want = expected.map(([id, m]) => job(id, m.nextRunTime)).sort(byScheduleOrder)
              expect(got.map((l) => [l.job.id, l.version])).toEqual(want.map((j) => [j.id, model.get(j.id)!.version]))
              leases.push(...got)
              break
            }
            case "release": {
              if (leases.length === 0) break
              const leased = leases[o.pick % leases.length]!
              const m = model.get(leased.job.id)
              let tag: "Refused" | "Released"
              if (m === undefined || m.by !== o.owner || m.until === null || m.until < now) tag = "Refused"
              else if (m.version !== leased.version) {
                tag = "Refused"
                Object.assign(m, { by: null, until: null })
              } else {
                tag = "Released"
                if (o.next === undefined) model.delete(leased.job.id)
                else Object.assign(m, { nextRunTime: now + o.next, by: null, until: null })
              }
              const p = plan({
                nextRunTime: o.next === undefined ? undefined : now + o.next,
                jobRemoved: o.next === undefined
              })
              const [outcome] = index.release(o.owner, [{ leased, plan: p }], now)
              expect(outcome!._tag).toBe(tag)
              break
            }
            case "advance":
              now += o.dt
          }
          const order = byKey(model)
          expect(index.nextRunTime()).toBe(order.length === 0 ? undefined : keyOf(order[0]![1]))
        }
        const all = [...model].map(([id, m]) => job(id, m.nextRunTime)).sort(byScheduleOrder)
        expect(index.all().map((j) => [j.id, j.nextRunTime])).toEqual(all.map((j) => [j.id, j.nextRunTime]))
        // what is left to take, taken at once far in the future, comes in the model's order
        const rest = index.acquire("C", 1000, 1, 1_000_000).map((l) => l.job.id)
        expect(rest).toEqual(all.filter((j) => j.nextRunTime !== null).map((j) => j.id))
      }),
      { numRuns: 500 }
    )
  })
})
