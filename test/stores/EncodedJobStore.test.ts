import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { ConflictingIdError } from "../../src/errors.js"
import { EventBus } from "../../src/events/EventBus.js"
import { JOB_QUARANTINED } from "../../src/events/SchedulerEvent.js"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import type { RunPlan } from "../../src/planning/planRuns.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import {
  decodeRow,
  type EncodedDriver,
  type EncodedJob,
  type EncodedRow,
  type EncodedRun,
  encodeJob,
  makeEncoded,
  maxInstancesOf,
  SCHEMA_VERSION
} from "../../src/stores/EncodedJobStore.js"
import { JobStore, type LeasedJob } from "../../src/stores/JobStore.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { suite } from "./jobStoreSuite.js"

// ---------------------------------------------------------------------------------------------
// The reference driver: what a persistent backend does, in memory, at row level
// ---------------------------------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** A stored job row and its quarantine reason (a nullable column in SQL). */
interface JobCell extends Mutable<EncodedRow> {
  quarantined: string | null
}

/** The tables of the reference driver: job rows by id, run rows by job id then scheduled time. */
interface Tables {
  readonly jobs: Map<string, JobCell>
  readonly runs: Map<string, Map<number, EncodedRun>>
}

const makeTables = (): Tables => ({ jobs: new Map(), runs: new Map() })

const byOrder = (a: EncodedRow, b: EncodedRow) =>
  a.nextRunTime !== b.nextRunTime
    ? (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity)
    : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

const snapshot = (c: JobCell): EncodedRow => ({
  id: c.id,
  nextRunTime: c.nextRunTime,
  data: c.data,
  version: c.version,
  fenceSeq: c.fenceSeq,
  acquiredBy: c.acquiredBy,
  acquiredUntil: c.acquiredUntil
})

/**
 * A faithful in-memory implementation of the row-level driver contract: each member is one
 * synchronous step (atomic), reading `now` from Effect's `Clock` (so `TestClock` drives it).
 */
const referenceDriver = (tables: Tables = makeTables()): EncodedDriver => {
  const { jobs, runs } = tables
  const visible = () => [...jobs.values()].filter((c) => c.quarantined === null)
  const atomically = <A>(f: (now: number) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))
  const isLiveLease = (until: number | null, now: number) => until !== null && now < until
  /** A new job row: its fences go on from the runs kept for its id. */
  const fresh = (job: EncodedJob): JobCell => {
    let fenceSeq = 0
    for (const r of runs.get(job.id)?.values() ?? []) fenceSeq = Math.max(fenceSeq, r.fence)
    return { ...job, version: 1, fenceSeq, acquiredBy: null, acquiredUntil: null, quarantined: null }
  }
  return {
    name: "reference",
    insert: (job) =>
      Effect.suspend(() => {
        if (jobs.has(job.id)) return Effect.fail(new ConflictingIdError({ jobId: job.id }))
        jobs.set(job.id, fresh(job))
        return Effect.void
      }),
    upsert: (job) =>
      Effect.sync(() => {
        const c = jobs.get(job.id)
        if (c === undefined) jobs.set(job.id, fresh(job))
        else {
          c.nextRunTime = job.nextRunTime
          c.data = job.data
          c.version++
          c.quarantined = null
        }
      }),
    update: (job) =>
      Effect.sync(() => {
        const c = jobs.get(job.id)
        if (c === undefined || c.quarantined !== null) return false
        c.nextRunTime = job.nextRunTime
        c.data = job.data
        c.version++
        return true
      }),
    delete: (id) => Effect.sync(() => jobs.delete(id)),
    deleteAll: Effect.sync(() => jobs.clear()),
    select: (id) =>
      Effect.sync(() => {
        const c = jobs.get(id)
        return c === undefined || c.quarantined !== null ? Option.none() : Option.some(snapshot(c))
      }),
    selectAll: Effect.sync(() => visible().map(snapshot).sort(byOrder)),
    getNextRunTime: Effect.sync(() => {
      let min: number | undefined
      for (const c of visible()) {
        if (c.nextRunTime === null) continue
        const t = c.acquiredUntil === null ? c.nextRunTime : Math.max(c.nextRunTime, c.acquiredUntil)
        if (min === undefined || t < min) min = t
      }
      return Option.fromNullable(min)
    }),
    acquire: ({ horizonMs, leaseMs, limit, owner }) =>
      atomically((now) => {
        const bound = now + Math.max(0, horizonMs ?? 0)
        const rows = visible()
          .filter((c) => c.nextRunTime !== null && c.nextRunTime <= bound && !isLiveLease(c.acquiredUntil, now))
          .sort(byOrder)
          .slice(0, Math.max(0, limit))
        for (const c of rows) {
          c.acquiredBy = owner
          c.acquiredUntil = now + leaseMs
        }
        return { now, rows: rows.map(snapshot) }
      }),
    release: (owner, decisions, runLeaseMs) =>
      atomically((now) =>
        decisions.map((d) => {
          const c = jobs.get(d.id)
          if (c === undefined || c.quarantined !== null || c.acquiredBy !== owner || !isLiveLease(c.acquiredUntil, now)) {
            return { _tag: "Refused" } as const
          }
          if (c.version !== d.version) {
            c.acquiredBy = null
            c.acquiredUntil = null
            return { _tag: "Refused" } as const
          }
          let table = runs.get(d.id)
          if (table === undefined) runs.set(d.id, table = new Map())
          let live = 0
          for (const r of table.values()) {
            // expired leases included: a run awaiting recovery keeps its slot
            if (r.state === "ready" || r.state === "running") live++
          }
          const skipped = d.runs.some((p) => p.state === "ready") && live >= d.maxInstances
          const started: Array<EncodedRun> = []
          for (const p of [...d.runs].sort((a, b) => a.scheduledTime - b.scheduledTime)) {
            if (table.has(p.scheduledTime)) continue // the key exists: a no-op
            const state = p.state === "missed" ? "missed" : skipped ? "skipped" : "ready"
            const ready = state === "ready"
            const run: EncodedRun = {
              jobId: d.id,
              scheduledTime: p.scheduledTime,
              recordedAt: now,
              state,
              fence: ready ? ++c.fenceSeq : 0,
              attempt: ready ? 1 : 0,
              acquiredBy: ready ? owner : null,
              acquiredUntil: !ready ? null : runLeaseMs === undefined ? c.acquiredUntil : runLeaseMs === null ? null : now + runLeaseMs,
              startedAt: null,
              finishedAt: null,
              result: null,
              error: null,
              count: p.count,
              lastTime: p.lastTime,
              endedAt: ready ? null : now,
              jobData: ready && d.next === null ? d.removedData ?? null : null
            }
            table.set(p.scheduledTime, run)
            if (ready) started.push(run)
          }
          if (d.next === null) jobs.delete(d.id)
          else c.nextRunTime = d.next.nextRunTime
          c.acquiredBy = null
          c.acquiredUntil = null
          return { _tag: "Released", runs: started, skipped } as const
        })
      ),
    complete: (completions) =>
      Effect.sync(() =>
        completions.map((x) => {
          const table = runs.get(x.jobId)
          const r = table?.get(x.scheduledTime)
          if (r === undefined || r.fence !== x.fence || (r.state !== "ready" && r.state !== "running")) return false
          table!.set(x.scheduledTime, {
            ...r,
            state: x.state,
            startedAt: x.startedAt,
            finishedAt: x.finishedAt,
            result: x.result,
            error: x.error,
            endedAt: x.finishedAt,
            acquiredBy: null,
            acquiredUntil: null
          })
          return true
        })
      ),
    renewRuns: (owner, keys, leaseMs) =>
      atomically((now) =>
        keys.map((k) => {
          const table = runs.get(k.jobId)
          const r = table?.get(k.scheduledTime)
          if (
            r === undefined || r.fence !== k.fence || (r.state !== "ready" && r.state !== "running") ||
            r.acquiredBy !== owner || !isLiveLease(r.acquiredUntil, now)
          ) return false
          table!.set(k.scheduledTime, { ...r, acquiredUntil: now + leaseMs })
          return true
        })
      ),
    recover: ({ leaseMs, limit, owner }) =>
      atomically((now) => {
        const expired = [...runs.values()].flatMap((table) => [...table.values()])
          .filter((r) => (r.state === "ready" || r.state === "running") && r.acquiredUntil !== null && r.acquiredUntil <= now)
          .sort((a, b) => a.acquiredUntil! - b.acquiredUntil! || a.scheduledTime - b.scheduledTime)
        const taken: Array<{ readonly run: EncodedRun; readonly job: EncodedRow }> = []
        const abandoned: Array<EncodedRun> = []
        // free instance slots per job: maxInstances minus its runs holding a valid lease
        const slots = new Map<string, number>()
        for (const r of expired) {
          if (taken.length + abandoned.length >= limit) break
          const table = runs.get(r.jobId)!
          let c = jobs.get(r.jobId)
          if (c === undefined && typeof r.jobData === "string") {
            // a removed one-shot job's run: its fences go on from its runs' greatest
            let top = 0
            for (const x of table.values()) top = Math.max(top, x.fence)
            c = { id: r.jobId, nextRunTime: null, data: r.jobData, version: 0, fenceSeq: top, acquiredBy: null, acquiredUntil: null, quarantined: null }
          }
          if (c === undefined || c.quarantined !== null) {
            const ended: EncodedRun = { ...r, state: "abandoned", acquiredBy: null, acquiredUntil: null, endedAt: now }
            table.set(r.scheduledTime, ended)
            abandoned.push(ended)
            continue
          }
          let free = slots.get(r.jobId)
          if (free === undefined) {
            free = maxInstancesOf(c.data)
            for (const x of table.values()) {
              if ((x.state === "ready" || x.state === "running") && (x.acquiredUntil === null || x.acquiredUntil > now)) free--
            }
          }
          if (free <= 0) continue // stays expired until a slot is free
          slots.set(r.jobId, free - 1)
          const again: EncodedRun = {
            ...r,
            state: "ready",
            fence: ++c.fenceSeq,
            attempt: r.attempt + 1,
            acquiredBy: owner,
            acquiredUntil: now + leaseMs,
            startedAt: null
          }
          table.set(r.scheduledTime, again)
          taken.push({ run: again, job: snapshot(c) })
        }
        return { now, runs: taken, abandoned }
      }),
    selectRuns: (jobId) =>
      Effect.sync(() => [...(runs.get(jobId)?.values() ?? [])].sort((a, b) => a.scheduledTime - b.scheduledTime)),
    purgeRuns: (retentionMs) =>
      atomically((now) => {
        for (const [jobId, table] of runs) {
          for (const [t, r] of table) if (r.endedAt !== null && r.endedAt < now - retentionMs) table.delete(t)
          if (table.size === 0) runs.delete(jobId)
        }
      }),
    quarantine: (id, reason) =>
      Effect.sync(() => {
        const c = jobs.get(id)
        if (c === undefined) return
        c.quarantined = reason
        c.acquiredBy = null
        c.acquiredUntil = null
      })
  }
}

suite("EncodedJobStore over a Map driver", Layer.sync(JobStore, () => makeEncoded(referenceDriver())))

// ---------------------------------------------------------------------------------------------
// Rows, encoding, quarantine
// ---------------------------------------------------------------------------------------------

const T0 = Date.UTC(2024, 0, 1)
const trigger = unsafeCompile({ type: "interval", seconds: 10, timezone: "UTC", startDate: "2024-01-01T00:00:00Z" })
const job = (id: string, nextRunTime: number | null, extra: Partial<Job.Job> = {}) =>
  Job.make({ id, task: TaskRef.make("tasks:noop"), args: [1], trigger, nextRunTime, ...extra })

/** A plan that runs `runTimes`, misses `missed` and moves the job on to `next`. */
const plan = (fields: Partial<RunPlan>): RunPlan => ({
  due: true,
  runTimes: [],
  missed: [],
  missedSummary: fields.missed !== undefined && fields.missed.length > 0
    ? { first: fields.missed[0]!, last: fields.missed[fields.missed.length - 1]!, count: fields.missed.length }
    : undefined,
  nextRunTime: undefined,
  jobRemoved: false,
  ...fields
})

/** A store over a reference driver whose tables the test reads and corrupts. */
const setup = () => {
  const tables = makeTables()
  return { tables, store: makeEncoded(referenceDriver(tables)) }
}

const claim = { owner: "A", limit: 10, leaseMs: 30_000 }

const ids = (jobs: ReadonlyArray<LeasedJob>) => jobs.map((l) => l.job.id)

describe("EncodedJobStore rows", () => {
  it("the persisted schema version is 1, apart from the record version", () => {
    expect(SCHEMA_VERSION).toBe(1)
    const row = Either.getOrThrow(encodeJob(job("a", T0)))
    expect(JSON.parse(row.data)).toMatchObject({ version: Job.RECORD_VERSION, id: "a", task: "tasks:noop", args: [1] })
  })

  it.effect("add writes version 1, fenceSeq 0, no lease; every user write bumps the version", () =>
    Effect.gen(function*() {
      const { store, tables } = setup()
      yield* store.add(job("a", T0))
      expect(tables.jobs.get("a")).toMatchObject({
        nextRunTime: T0,
        version: 1,
        fenceSeq: 0,
        acquiredBy: null,
        acquiredUntil: null
      })
      yield* store.update(job("a", T0 + 1000))
      expect(tables.jobs.get("a")).toMatchObject({ nextRunTime: T0 + 1000, version: 2 })
      yield* store.add(job("a", null), true)
      expect(tables.jobs.get("a")).toMatchObject({ nextRunTime: null, version: 3 })
      expect(JSON.parse(tables.jobs.get("a")!.data)).not.toHaveProperty("nextRunTime")
    }))

  it.effect("refuses a function task or non-JSON arguments with InvalidArgumentError naming the field", () =>
    Effect.gen(function*() {
      const { store, tables } = setup()
      const fn = yield* Effect.flip(store.add(Job.make({ id: "f", task: () => 1, trigger, nextRunTime: T0 })))
      expect(fn).toMatchObject({ _tag: "InvalidArgumentError", field: "task" })
      const args = yield* Effect.flip(store.add(job("a", T0, { args: [new Map()] })))
      expect(args).toMatchObject({ _tag: "InvalidArgumentError", field: "args[0]" })
      const kwargs = yield* Effect.flip(store.add(job("k", T0, { kwargs: { at: new Date(0) } })))
      expect(kwargs).toMatchObject({ _tag: "InvalidArgumentError", field: "kwargs.at" })
      expect(tables.jobs.size).toBe(0)
      yield* store.add(job("a", T0))
      const update = yield* Effect.flip(store.update(job("a", T0, { args: [() => 1] })))
      expect(update).toMatchObject({ _tag: "InvalidArgumentError", field: "args[0]" })
      expect(tables.jobs.get("a")!.version).toBe(1)
    }))

  it.effect("acquire leases due rows until now + leaseMs at the driver's clock; a live lease is not handed out", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("b", T0))
      yield* store.add(job("a", T0 - 5000))
      yield* store.add(job("later", T0 + 1))
      yield* store.add(job("paused", null))
      const got = yield* store.acquire(claim)
      expect(got.now).toBe(T0)
      expect(ids(got.jobs)).toEqual(["a", "b"])
      expect(got.jobs.map((l) => l.version)).toEqual([1, 1])
      expect(tables.jobs.get("a")).toMatchObject({ acquiredBy: "A", acquiredUntil: T0 + 30_000 })
      expect(tables.jobs.get("later")).toMatchObject({ acquiredBy: null, acquiredUntil: null })
      // while the lease is live, nobody gets the jobs; the loop looks again when it ends
      yield* TestClock.adjust(29_999)
      expect(ids((yield* store.acquire({ ...claim, owner: "B" })).jobs)).toEqual(["later"])
      expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 30_000))
      // a lease until t is over at t: another owner takes the jobs over
      yield* TestClock.adjust(1)
      const taken = yield* store.acquire({ ...claim, owner: "C" })
      expect(ids(taken.jobs)).toEqual(["a", "b"])
      expect(tables.jobs.get("a")).toMatchObject({ acquiredBy: "C", acquiredUntil: T0 + 60_000 })
      // the first owner's lease is gone: its release is refused
      expect(yield* store.release("A", [{ leased: got.jobs[0]!, plan: plan({ runTimes: [T0 - 5000] }) }])).toEqual([
        { _tag: "Refused" }
      ])
    }))

  it.effect("release records runs with fences, advances the job in its column (record untouched), clears the lease, keeps the version", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0 - 20_000, { coalesce: false, maxInstances: 5 }))
      const data = tables.jobs.get("a")!.data
      const { jobs } = yield* store.acquire(claim)
      yield* TestClock.adjust(5)
      const [outcome] = yield* store.release("A", [{
        leased: jobs[0]!,
        plan: plan({ runTimes: [T0 - 10_000, T0], missed: [T0 - 20_000], nextRunTime: T0 + 10_000 })
      }])
      expect(outcome).toEqual({
        _tag: "Released",
        skipped: false,
        runs: [T0 - 10_000, T0].map((t, i) => ({
          jobId: "a",
          scheduledTime: t,
          recordedAt: T0 + 5,
          state: "ready",
          fence: i + 1,
          attempt: 1,
          acquiredBy: "A",
          acquiredUntil: T0 + 30_000,
          startedAt: null,
          finishedAt: null,
          result: undefined,
          error: null,
          count: 1,
          lastTime: t
        }))
      })
      const row = tables.jobs.get("a")!
      expect(row).toMatchObject({
        nextRunTime: T0 + 10_000,
        version: 1,
        fenceSeq: 2,
        acquiredBy: null,
        acquiredUntil: null
      })
      expect(row.data).toBe(data)
      expect(Option.getOrThrow(yield* store.lookup("a")).nextRunTime).toBe(T0 + 10_000)
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state, r.fence, r.attempt])).toEqual([
        [T0 - 20_000, "missed", 0, 0],
        [T0 - 10_000, "ready", 1, 1],
        [T0, "ready", 2, 1]
      ])
    }))

  it.effect("a user write while leased: release is refused, the lease cleared, nothing recorded", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0))
      const { jobs } = yield* store.acquire(claim)
      yield* store.update(job("a", null)) // paused meanwhile
      expect(tables.jobs.get("a")).toMatchObject({ version: 2, acquiredBy: "A" })
      const outcomes = yield* store.release("A", [{ leased: jobs[0]!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 }) }])
      expect(outcomes).toEqual([{ _tag: "Refused" }])
      expect(tables.jobs.get("a")).toMatchObject({ nextRunTime: null, acquiredBy: null, acquiredUntil: null, fenceSeq: 0 })
      expect(yield* store.getRuns("a")).toEqual([])
    }))

  it.effect("a second insert of a run key is a no-op; maxInstances live runs make the next ones skipped", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0, { maxInstances: 1 }))
      const first = yield* store.acquire(claim)
      const [r1] = yield* store.release("A", [{
        leased: first.jobs[0]!,
        plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 })
      }])
      expect(r1).toMatchObject({ _tag: "Released", skipped: false, runs: [{ scheduledTime: T0, fence: 1 }] })
      // the run of T0 is still live (its lease ends at T0 + 30 s): the next run is recorded skipped,
      // and the key of T0 planned again is a no-op
      yield* TestClock.setTime(T0 + 10_000)
      const second = yield* store.acquire(claim)
      const [r2] = yield* store.release("A", [{
        leased: second.jobs[0]!,
        plan: plan({ runTimes: [T0, T0 + 10_000], nextRunTime: T0 + 20_000 })
      }])
      expect(r2).toEqual({ _tag: "Released", runs: [], skipped: true })
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state, r.fence, r.recordedAt])).toEqual([
        [T0, "ready", 1, T0],
        [T0 + 10_000, "skipped", 0, T0 + 10_000]
      ])
      expect(tables.jobs.get("a")!.fenceSeq).toBe(1)
      // once the live run completes, the job runs again with the next fence
      expect(yield* store.complete([{ jobId: "a", scheduledTime: T0, fence: 1, state: "succeeded", startedAt: T0, finishedAt: T0 }]))
        .toEqual([true])
      yield* TestClock.setTime(T0 + 20_000)
      const third = yield* store.acquire(claim)
      const [r3] = yield* store.release("A", [{ leased: third.jobs[0]!, plan: plan({ runTimes: [T0 + 20_000], nextRunTime: T0 + 30_000 }) }])
      expect(r3).toMatchObject({ _tag: "Released", skipped: false, runs: [{ scheduledTime: T0 + 20_000, fence: 2 }] })
    }))

  it.effect("a long backlog is one missed summary run keyed by its first time; the exhausted job is removed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0 - 1_000_000))
      const { jobs } = yield* store.acquire(claim)
      const [outcome] = yield* store.release("A", [{
        leased: jobs[0]!,
        plan: plan({
          missed: [],
          missedSummary: { first: T0 - 1_000_000, last: T0 - 10_000, count: 100 },
          runTimes: [T0],
          jobRemoved: true
        })
      }])
      expect(outcome).toMatchObject({ _tag: "Released", runs: [{ scheduledTime: T0, fence: 1 }] })
      expect(tables.jobs.has("a")).toBe(false)
      expect(Option.isNone(yield* store.lookup("a"))).toBe(true)
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state, r.count, r.lastTime])).toEqual([
        [T0 - 1_000_000, "missed", 100, T0 - 10_000],
        [T0, "ready", 1, T0]
      ])
    }))

  it.effect("a run result is stored as JSON text, or as null when it is not JSON-encodable; stale completions are refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0, { coalesce: false, maxInstances: 9 }))
      const { jobs } = yield* store.acquire(claim)
      const times = [T0 - 3, T0 - 2, T0 - 1, T0]
      yield* store.release("A", [{ leased: jobs[0]!, plan: plan({ runTimes: times, nextRunTime: T0 + 10_000 }) }])
      const done = (i: number, result: unknown, fence = i + 1) => ({
        jobId: "a",
        scheduledTime: times[i]!,
        fence,
        state: "succeeded" as const,
        startedAt: T0,
        finishedAt: T0 + 1,
        result
      })
      const value = { total: 3, items: ["x", null, true], nested: { n: -1.5 } }
      expect(yield* store.complete([
        done(0, value),
        done(1, new Map([["k", 1]])),
        done(2, () => 1),
        { ...done(3, undefined), state: "failed", error: "boom" },
        done(3, 1) // already finished
      ])).toEqual([true, true, true, true, false])
      expect(yield* store.complete([done(0, 1, 7)])).toEqual([false]) // stale fence
      expect(yield* store.complete([{ ...done(0, 1), scheduledTime: T0 + 99 }])).toEqual([false]) // no such run
      const stored = tables.runs.get("a")!
      expect(stored.get(times[0]!)!.result).toBe(JSON.stringify(value))
      expect(stored.get(times[1]!)!.result).toBe(null)
      expect(stored.get(times[2]!)!.result).toBe(null)
      const runs = yield* store.getRuns("a")
      expect(runs.map((r) => [r.state, r.result, r.error, r.acquiredBy, r.startedAt, r.finishedAt])).toEqual([
        ["succeeded", value, null, null, T0, T0 + 1],
        ["succeeded", undefined, null, null, T0, T0 + 1],
        ["succeeded", undefined, null, null, T0, T0 + 1],
        ["failed", undefined, "boom", null, T0, T0 + 1]
      ])
    }))

  it.effect("runs outlive their job; a re-added job's fences go on from them; ended runs are purged after the retention", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const tables = makeTables()
      const store = makeEncoded(referenceDriver(tables), { runRetentionMs: 60_000 })
      yield* store.add(job("a", T0, { coalesce: false, maxInstances: 9 }))
      const first = yield* store.acquire(claim)
      yield* store.release("A", [{
        leased: first.jobs[0]!,
        plan: plan({ missed: [T0 - 2], runTimes: [T0 - 1, T0], nextRunTime: T0 + 10_000 })
      }])
      yield* store.remove("a")
      expect((yield* store.getRuns("a")).map((r) => r.fence)).toEqual([0, 1, 2])
      // maxInstances 9: the run at T0, still live (its lease expired, never recovered), keeps a slot
      yield* store.add(job("a", T0 + 10_000, { maxInstances: 9 }))
      expect(tables.jobs.get("a")!.fenceSeq).toBe(2)
      // T0 - 1 ends at T0 + 1; T0 is still running (live runs are never purged)
      expect(yield* store.complete([{ jobId: "a", scheduledTime: T0 - 1, fence: 1, state: "succeeded", startedAt: T0, finishedAt: T0 + 1 }]))
        .toEqual([true])
      expect(tables.runs.get("a")!.get(T0 - 1)!.endedAt).toBe(T0 + 1)
      yield* TestClock.setTime(T0 + 60_001)
      yield* store.complete([{ jobId: "a", scheduledTime: T0 + 5, fence: 9, state: "failed", startedAt: null, finishedAt: T0 }])
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state])).toEqual([[T0 - 1, "succeeded"], [T0, "ready"]])
      yield* TestClock.setTime(T0 + 60_002)
      const second = yield* store.acquire(claim)
      const [outcome] = yield* store.release("A", [{ leased: second.jobs[0]!, plan: plan({ runTimes: [T0 + 10_000], nextRunTime: T0 + 20_000 }) }])
      expect(outcome).toMatchObject({ runs: [{ scheduledTime: T0 + 10_000, fence: 3 }] })
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state])).toEqual([[T0, "ready"], [T0 + 10_000, "ready"]])
    }))

  it.effect("a run row that cannot be decoded is left out of getRuns, not deleted", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      yield* store.add(job("a", T0, { coalesce: false, maxInstances: 9 }))
      const { jobs } = yield* store.acquire(claim)
      yield* store.release("A", [{ leased: jobs[0]!, plan: plan({ runTimes: [T0 - 1, T0], nextRunTime: T0 + 10_000 }) }])
      const table = tables.runs.get("a")!
      table.set(T0 - 1, { ...table.get(T0 - 1)!, result: "{not json" })
      expect((yield* store.getRuns("a")).map((r) => r.scheduledTime)).toEqual([T0])
      expect(table.size).toBe(2)
    }))
})

describe("EncodedJobStore quarantine", () => {
  /** Corrupts rows in place: an unknown record version, and a trigger spec that does not compile. */
  const corrupt = (tables: Tables) => {
    const bad = tables.jobs.get("bad")!
    bad.data = "{\"version\":99}"
    const badspec = tables.jobs.get("badspec")!
    badspec.data = badspec.data.replace("\"seconds\":10", "\"seconds\":-1")
    expect(Either.isLeft(decodeRow(badspec))).toBe(true)
  }

  it.effect("a corrupted row is quarantined by acquire, its lease cleared; the other due jobs are still acquired", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { store, tables } = setup()
      for (const [id, t] of [["bad", T0 - 3], ["badspec", T0 - 2], ["g1", T0 - 1], ["g2", T0], ["g3", T0]] as const) {
        yield* store.add(job(id, t))
      }
      corrupt(tables)
      // the two bad rows take no place in the batch
      const got = yield* store.acquire({ ...claim, limit: 2 })
      expect(ids(got.jobs)).toEqual(["g1", "g2"])
      for (const id of ["bad", "badspec"]) {
        expect(tables.jobs.get(id)).toMatchObject({ acquiredBy: null, acquiredUntil: null })
        expect(tables.jobs.get(id)!.quarantined).toEqual(expect.any(String)) // kept aside, never deleted
      }
      expect(tables.jobs.get("g3")!.acquiredBy).toBe(null)
      // quarantined rows are left out of everything, and never block the next claim
      expect(ids((yield* store.acquire(claim)).jobs)).toEqual(["g3"])
      expect((yield* store.getAll).map((j) => j.id)).toEqual(["g1", "g2", "g3"])
      expect(Option.isNone(yield* store.lookup("bad"))).toBe(true)
      expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 30_000))
      // the id is still taken; replacing it ends the quarantine
      expect((yield* Effect.flip(store.add(job("bad", T0))))._tag).toBe("ConflictingIdError")
      yield* store.add(job("bad", T0 + 5), true)
      expect(Option.getOrThrow(yield* store.lookup("bad")).nextRunTime).toBe(T0 + 5)
    }))

  it.effect("a row that cannot be decoded is logged, kept aside and left out of getAll and lookup", () =>
    Effect.gen(function*() {
      const { store, tables } = setup()
      yield* store.add(job("good", T0 + 5))
      yield* store.add(job("bad", T0 + 1))
      yield* store.add(job("badspec", T0 + 2))
      corrupt(tables)
      expect((yield* store.getAll).map((j) => j.id)).toEqual(["good"])
      expect([...tables.jobs.values()].filter((c) => c.quarantined !== null).map((c) => c.id).sort()).toEqual([
        "bad",
        "badspec"
      ])
      expect(tables.jobs.size).toBe(3) // never deleted
      expect(yield* store.getNextRunTime).toEqual(Option.some(T0 + 5))
    }))
})

describe("a scheduler on an encoded store", () => {
  it.effect("runs task references; refuses functions and non-JSON arguments before storing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2024, 0, 1))
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const registry = yield* TaskRegistry
        yield* registry.register("greet", (name: string) => `hi ${name}`)
        yield* scheduler.addJob("greet", { id: "g", args: ["ann"], trigger: "interval", triggerArgs: { seconds: 10 } })
        const fn = yield* Effect.flip(scheduler.addJob(() => 1, { id: "f" }))
        expect(fn).toMatchObject({ _tag: "InvalidArgumentError", field: "task" })
        const args = yield* Effect.flip(scheduler.addJob("greet", { id: "a", args: [new Map()] }))
        expect(args).toMatchObject({ _tag: "InvalidArgumentError", field: "args[0]" })
        expect(args.message).toContain("job \"a\": a Map instance is not JSON data")
        const unknown = yield* Effect.flip(scheduler.addJob("nobody", { id: "u" }))
        expect(unknown).toMatchObject({ _tag: "TaskLookupError", jobId: "u" })
        expect((yield* scheduler.getJobs()).map((j) => j.id)).toEqual(["g"])
        const events = yield* TestScheduler.advance("20 seconds")
        expect(events.filter((e) => e._tag === "JobExecuted").map((e) => (e as { retval: unknown }).retval)).toEqual([
          "hi ann",
          "hi ann"
        ])
      }).pipe(
        Effect.provide(
          TestScheduler.layer().pipe(Layer.provide(Layer.sync(JobStore, () => makeEncoded(referenceDriver()))))
        )
      )
    }))

  it.effect("a stored job that cannot be read back is reported (JobQuarantined), kept aside, and the others run", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2024, 0, 1))
      const tables = makeTables()
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        const registry = yield* TaskRegistry
        const events = yield* EventBus.subscribe
        yield* registry.register("greet", (name: string) => `hi ${name}`)
        yield* scheduler.addJob("greet", { id: "good", args: ["ann"], trigger: "interval", triggerArgs: { seconds: 10 } })
        yield* scheduler.addJob("greet", { id: "bad", args: ["bob"], trigger: "interval", triggerArgs: { seconds: 10 } })
        tables.jobs.get("bad")!.data = "{\"version\":99}"
        yield* TestScheduler.advance("20 seconds")
        const seen = yield* TestScheduler.drain(events)
        const quarantined = seen.filter((e) => e._tag === "JobQuarantined")
        expect(quarantined).toHaveLength(1)
        expect(quarantined[0]).toMatchObject({ jobId: "bad", reason: expect.any(String) })
        expect(quarantined[0]!.code).toBe(JOB_QUARANTINED)
        expect(seen.filter((e) => e._tag === "JobExecuted").map((e) => (e as { jobId: string }).jobId)).toEqual([
          "good",
          "good"
        ])
        expect(tables.jobs.get("bad")!.quarantined).toEqual(expect.any(String)) // kept, not deleted
      }).pipe(
        Effect.scoped,
        Effect.provide(
          TestScheduler.layer().pipe(Layer.provide(Layer.sync(JobStore, () => makeEncoded(referenceDriver(tables)))))
        )
      )
    }))
})
