/**
 * MongoJobStore. The pure parts (documents, the claim decisions of `release`, the replica-set
 * check) are tested always. The store itself — the shared store suite and the catch-up — runs
 * only when `MONGODB_URL` points at a replica set (transactions need one); otherwise those tests
 * are skipped and say why.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Job from "../../src/job/Job.js"
import * as TaskRef from "../../src/job/TaskRef.js"
import * as Plugins from "../../src/scheduler/Plugins.js"
import { decodeRow, encodeDecision, encodeJob, type RowDecision } from "../../src/stores/EncodedJobStore.js"
import {
  dueOf,
  type JobDoc,
  needsLive,
  newRun,
  planRelease,
  runUntilOf,
  supportsTransactions,
  toRow,
  toRun
} from "../../src/stores/internal/mongo.js"
import * as MongoJobStore from "../../src/stores/MongoJobStore.js"
import { unsafeCompile } from "../../src/triggers/compile.js"
import { catchUpTest } from "./catchUp.js"
import { plan, suite } from "./jobStoreSuite.js"

const MONGODB_URL = process.env.MONGODB_URL
const T0 = Date.UTC(2024, 0, 1)
const trigger = unsafeCompile({ type: "interval", seconds: 10, timezone: "UTC", startDate: "2024-01-01T00:00:00Z" })
const job = (id: string, nextRunTime: number | null) =>
  Job.make({ id, task: TaskRef.make("tasks:noop"), args: [1, "a"], trigger, nextRunTime })

const doc = (fields: Partial<JobDoc> = {}): JobDoc => ({
  _id: "a",
  nextRunTime: T0,
  data: Either.getOrThrow(encodeJob(job("a", T0))).data,
  version: 3,
  fenceSeq: 7,
  acquiredBy: "A",
  acquiredUntil: T0 + 30_000,
  due: T0 + 30_000,
  quarantined: null,
  ...fields
})

const decision = (fields: Partial<RowDecision> = {}): RowDecision => ({
  id: "a",
  version: 3,
  next: { nextRunTime: T0 + 10_000 },
  runs: [
    { scheduledTime: T0, state: "ready", count: 1, lastTime: T0 },
    { scheduledTime: T0 - 20_000, state: "missed", count: 1, lastTime: T0 - 20_000 }
  ],
  maxInstances: 1,
  ...fields
})

describe("MongoJobStore documents and claim decisions (no server)", () => {
  it("a job document is a schema version 1 row; its record decodes back to the job", () => {
    const row = toRow(doc())
    expect(row).toEqual({
      id: "a",
      nextRunTime: T0,
      data: doc().data,
      version: 3,
      fenceSeq: 7,
      acquiredBy: "A",
      acquiredUntil: T0 + 30_000
    })
    const back = Either.getOrThrow(decodeRow(row))
    expect([back.id, back.args, back.nextRunTime, back.trigger.spec]).toEqual(["a", [1, "a"], T0, trigger.spec])
  })

  it("the effective due time counts the lease; paused or quarantined jobs have none", () => {
    expect(dueOf(T0, null, null)).toBe(T0)
    expect(dueOf(T0, T0 + 5, null)).toBe(T0 + 5)
    expect(dueOf(T0 + 10, T0 + 5, null)).toBe(T0 + 10)
    expect(dueOf(null, T0 + 5, null)).toBe(null)
    expect(dueOf(T0, null, "bad record")).toBe(null)
  })

  it("release refuses a gone, quarantined, foreign or expired lease; a changed version clears the lease", () => {
    const d = decision()
    expect(planRelease(undefined, d, "A", T0, 0)).toEqual({ _tag: "Refused", clearLease: false })
    expect(planRelease(doc({ quarantined: "x" }), d, "A", T0, 0)).toEqual({ _tag: "Refused", clearLease: false })
    expect(planRelease(doc(), d, "B", T0, 0)).toEqual({ _tag: "Refused", clearLease: false })
    // a lease until t is over at t
    expect(planRelease(doc(), d, "A", T0 + 30_000, 0)).toEqual({ _tag: "Refused", clearLease: false })
    expect(planRelease(doc({ version: 4 }), d, "A", T0, 0)).toEqual({ _tag: "Refused", clearLease: true })
  })

  it("release records the runs in time order; maxInstances live runs make the ready ones skipped", () => {
    const ok = planRelease(doc(), decision(), "A", T0 + 1, 0)
    expect(ok).toMatchObject({
      _tag: "Released",
      skipped: false,
      runs: [{ scheduledTime: T0 - 20_000, state: "missed" }, { scheduledTime: T0, state: "ready" }]
    })
    const full = planRelease(doc(), decision(), "A", T0 + 1, 1)
    expect(full).toMatchObject({
      _tag: "Released",
      skipped: true,
      runs: [{ state: "missed" }, { state: "skipped" }]
    })
    // without a run to start, live runs do not matter (and are not counted)
    const idle = decision({ runs: [] })
    expect(needsLive(idle)).toBe(false)
    expect(planRelease(doc(), idle, "A", T0 + 1, 5)).toMatchObject({ _tag: "Released", skipped: false, runs: [] })
  })

  it("new runs: ready ones get a fence, attempt 1 and a lease; missed / skipped never start", () => {
    const ready = newRun("a", { scheduledTime: T0, state: "ready", count: 1, lastTime: T0 }, T0 + 5, "A", 8, T0 + 60_000)
    expect(ready).toEqual({
      jobId: "a",
      scheduledTime: T0,
      recordedAt: T0 + 5,
      state: "ready",
      fence: 8,
      attempt: 1,
      acquiredBy: "A",
      acquiredUntil: T0 + 60_000,
      startedAt: null,
      finishedAt: null,
      result: null,
      error: null,
      count: 1,
      lastTime: T0,
      endedAt: null
    })
    const missed = newRun("a", { scheduledTime: T0 - 5, state: "missed", count: 300, lastTime: T0 - 1 }, T0, "A", 8, null)
    expect(missed).toMatchObject({ fence: 0, attempt: 0, acquiredBy: null, acquiredUntil: null, endedAt: T0, count: 300 })
    expect(newRun("a", { scheduledTime: T0, state: "skipped", count: 1, lastTime: T0 }, T0, "A", 8, null).fence).toBe(0)
    // the run's lease: the job's lease end, until completed, or now + ms
    expect(runUntilOf(undefined, T0 + 30_000, T0)).toBe(T0 + 30_000)
    expect(runUntilOf(null, T0 + 30_000, T0)).toBe(null)
    expect(runUntilOf(5_000, T0 + 30_000, T0)).toBe(T0 + 5_000)
    // numbers may come back as BSON longs (objects with valueOf)
    expect(toRun({ ...ready, fence: { valueOf: () => 8 } } as never).fence).toBe(8)
  })

  it("the loop's plans become row decisions the store applies (removal, pause, summaries)", () => {
    const leased = { job: job("a", T0), version: 3 }
    const removed = Either.getOrThrow(encodeDecision({ leased, plan: plan({ runTimes: [T0], jobRemoved: true }) }))
    expect(removed.next).toBe(null)
    expect(typeof removed.removedData).toBe("string") // the removed job's record goes on its runs
    const summary = Either.getOrThrow(encodeDecision({
      leased,
      plan: plan({ missedSummary: { first: T0 - 500_000, last: T0 - 10_000, count: 250 }, nextRunTime: T0 + 10_000 })
    }))
    expect(summary.runs).toEqual([{ scheduledTime: T0 - 500_000, state: "missed", count: 250, lastTime: T0 - 10_000 }])
    expect(summary.next).toEqual({ nextRunTime: T0 + 10_000 })
  })

  it("only a replica set member or a mongos runs transactions", () => {
    expect(supportsTransactions({ isWritablePrimary: true })).toBe(false)
    expect(supportsTransactions({ isWritablePrimary: true, setName: "rs0" })).toBe(true)
    expect(supportsTransactions({ msg: "isdbgrid" })).toBe(true)
    expect(MongoJobStore.STANDALONE_REASON).toContain("replica set")
  })

  it.effect("the plugin alias 'mongodb' checks its options before connecting", () =>
    Effect.gen(function*() {
      expect(Plugins.builtins.jobstores.mongodb).toBe(MongoJobStore.plugin)
      const unknown = yield* Effect.flip(Effect.scoped(MongoJobStore.plugin({ jobs_key: "x" })))
      expect(unknown).toMatchObject({ _tag: "ConfigError", key: "jobs_key" })
      const clock = yield* Effect.flip(Effect.scoped(MongoJobStore.plugin({ clock: "wall" })))
      expect(clock).toMatchObject({ _tag: "ConfigError", key: "clock" })
    }))
})

if (MONGODB_URL === undefined) {
  console.log(
    "MongoJobStore: the store suite and the catch-up test are skipped: MONGODB_URL is not set (no MongoDB server on this machine; point it at a replica set, e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0 — transactions need one)"
  )
}

describe.skipIf(MONGODB_URL === undefined)("MongoJobStore on a server (MONGODB_URL)", () => {
  const url = MONGODB_URL ?? "mongodb://unset"
  const database = `apscheduler_test_${Math.random().toString(36).slice(2, 10)}`
  afterAll(async () => {
    const { MongoClient } = await import("mongodb")
    const client = new MongoClient(url)
    await client.db(database).dropDatabase()
    await client.close()
  })
  suite("MongoJobStore (clock: effect)", MongoJobStore.layer({ url, database, clock: "effect" }))
  describe("MongoJobStore catch-up", () => {
    catchUpTest(MongoJobStore.layer({ url, database, collection: "catchup", clock: "effect" }))
  })
})
