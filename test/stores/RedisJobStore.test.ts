import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { Redis } from "ioredis"
import { createHash } from "node:crypto"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import * as Plugins from "../../src/scheduler/Plugins.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { makeEncoded } from "../../src/stores/EncodedJobStore.js"
import { JobStore } from "../../src/stores/JobStore.js"
import { SCRIPTS } from "../../src/stores/internal/redisScripts.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import type { Job } from "../../src/job/Job.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { A, acquire, B, completion, cycle, lease, makeJob, plan, started, suite } from "./jobStoreSuite.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL, watchedClient } from "./redisHelpers.js"
import * as Layout3 from "./fixtures/redisLayout3Scripts.js"

const prefix = randomPrefix("suite")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

suite("RedisJobStore (clock: effect)", RedisJobStore.layer({ url: REDIS_URL, prefix, clock: "effect" }))

const T0 = Date.UTC(2024, 0, 1)

/** A store on a prefix of its own, with the Effect clock. */
const withStore = <X, E>(name: string, body: (store: JobStore["Type"], p: string) => Effect.Effect<X, E>) =>
  Effect.gen(function*() {
    const p = `${prefix}:${name}`
    return yield* Effect.flatMap(JobStore, (store) => body(store, p)).pipe(
      Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect" }))
    )
  })

/** Runs a script of key layout 3 (the version before) on prefix `p`, with its keys, as that store does. */
const layout3 = (p: string) => (name: Layout3.ScriptName, args: ReadonlyArray<string | number>) =>
  Effect.tryPromise({
    try: () => raw.eval(Layout3.SCRIPTS[name], Layout3.KEY_NAMES.length, ...Layout3.KEY_NAMES.map((k) => `${p}:${k}`), ...args),
    catch: (e) => new Error(e instanceof Error ? e.message : String(e))
  })

/** The JSON records the store writes for `jobs` (added under prefix `p`), by id. */
const recordsOf = (p: string, jobs: ReadonlyArray<Job>) =>
  Effect.scoped(Effect.gen(function*() {
    const store = yield* RedisJobStore.make({ url: REDIS_URL, prefix: p, clock: "effect" })
    const out: Record<string, string> = {}
    for (const job of jobs) {
      yield* store.add(job, false)
      out[job.id] = (yield* Effect.promise(() => raw.hget(`${p}:jobs`, job.id)))!
    }
    return out
  }))

describe("RedisJobStore", () => {
  it.effect("the default clock is Redis TIME: acquire's now is the server's, not the TestClock's", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:time`
      const [sec] = yield* Effect.promise(() => raw.time())
      yield* Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.add(makeJob("t-x", T0))
        const got = yield* acquire(store, { owner: A })
        expect(Math.abs(got.now - Number(sec) * 1000)).toBeLessThan(60_000)
        expect(got.jobs.map((l) => l.job.id)).toEqual(["t-x"])
        expect(yield* store.getNextRunTime).toEqual(Option.some(got.now + 30_000))
      }).pipe(Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix: p })))
    }))

  it.effect("keys live under the prefix; a job's version, next run time, fence and lease are one P:state field; due times a sorted set", () =>
    withStore("layout", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("lay-x", T0))
        yield* store.add(makeJob("lay-p", null))
        // '<version> <next> <fence> <lease>': a version drawn from P:version_seq, fence 0, no lease
        const version = (yield* Effect.promise(() => raw.hget(`${p}:state`, "lay-x")))!.split(" ")[0]
        expect(version).toMatch(/^\d{16}$/)
        expect(yield* Effect.promise(() => raw.hget(`${p}:state`, "lay-x"))).toBe(`${version} ${T0} 0 `)
        expect(yield* Effect.promise(() => raw.hget(`${p}:state`, "lay-p"))).toMatch(/^\d+  0 $/)
        const leased = yield* lease(store, A, "lay-x")
        expect(yield* Effect.promise(() => raw.hget(`${p}:state`, "lay-x"))).toBe(`${version} ${T0} 0 ${T0 + 30_000}|${A}`)
        expect(yield* Effect.promise(() => raw.zscore(`${p}:due`, "lay-x"))).toBe(String(T0 + 30_000))
        expect(yield* Effect.promise(() => raw.zscore(`${p}:due`, "lay-p"))).toBe(null)
        const [run] = started(
          (yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 1000 }) }]))[0]!
        )
        // one hash of runs, named <scheduledTime>|<jobId>; the job's live run listed, its lease end indexed
        expect(JSON.parse((yield* Effect.promise(() => raw.hget(`${p}:runs`, `${T0}|lay-x`)))!)).toMatchObject({
          scheduledTime: T0,
          fence: run!.fence,
          state: "ready"
        })
        expect(yield* Effect.promise(() => raw.zscore(`${p}:live`, `${T0}|lay-x`))).toBe(String(T0 + 30_000))
        expect(yield* Effect.promise(() => raw.zrangebylex(`${p}:run_index`, "-", "+"))).toEqual([`lay-x|${T0}`])
        expect(yield* Effect.promise(() => raw.hget(`${p}:live_runs`, "lay-x"))).toBe(String(T0))
        expect(yield* Effect.promise(() => raw.get(`${p}:layout`))).toBe("4")
        // released: the next run time, the fence given, no lease
        expect(yield* Effect.promise(() => raw.hget(`${p}:state`, "lay-x"))).toBe(`${version} ${T0 + 1000} ${run!.fence} `)
        expect(yield* Effect.promise(() => raw.zscore(`${p}:due`, "lay-x"))).toBe(String(T0 + 1000))
        expect(yield* Effect.promise(() => raw.get(`${p}:schema`))).toBe("1")
        const keys = yield* Effect.promise(() => raw.keys(`${p}:*`))
        expect(keys.every((k) => k.startsWith(`${p}:`))).toBe(true)
        // layout 3's columns are gone
        expect(keys.filter((k) => ["next", "version", "fence", "lease"].some((c) => k === `${p}:${c}`))).toEqual([])
      })))

  it.effect("release moves a job on in P:state and P:due only: its JSON record in P:jobs stays byte for byte", () =>
    withStore("record", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("rec-x", T0))
        const record = yield* Effect.promise(() => raw.hget(`${p}:jobs`, "rec-x"))
        expect(JSON.parse(record!)).not.toHaveProperty("nextRunTime")
        const leased = yield* lease(store, A, "rec-x")
        started((yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 1000 }) }]))[0]!)
        expect(yield* Effect.promise(() => raw.hget(`${p}:jobs`, "rec-x"))).toBe(record)
        expect((yield* Effect.promise(() => raw.hget(`${p}:state`, "rec-x")))!.split(" ")[1]).toBe(String(T0 + 1000))
        expect(Option.getOrThrow(yield* store.lookup("rec-x")).nextRunTime).toBe(T0 + 1000)
      })))

  it.effect("a store holding a newer persisted schema version refuses to claim, and says so", () =>
    withStore("schema", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* Effect.promise(() => raw.set(`${p}:schema`, "2"))
        const error = yield* Effect.flip(acquire(store, { owner: A }))
        expect(error).toMatchObject({ _tag: "StoreError", store: "redis", operation: "acquire" })
        expect(error.reason).toContain("schema version 2")
      })))

  it.effect("a prefix in key layout 1 (P:schema without P:layout) is refused on write, with an error naming the layout", () =>
    withStore("layout1", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        // what layout 1 left: the schema version, a job, a run in a per-job hash
        yield* Effect.promise(() => raw.set(`${p}:schema`, "1"))
        yield* Effect.promise(() => raw.hset(`${p}:runs:old-x`, String(T0), "{}"))
        const error = yield* Effect.flip(store.add(makeJob("l1-x", T0)))
        expect(error).toMatchObject({ _tag: "StoreError", store: "redis", operation: "insert" })
        expect(error.message).toContain("key layout 1")
        expect((yield* Effect.flip(acquire(store, { owner: A }))).reason).toContain("key layout 1")
        expect(yield* Effect.promise(() => raw.hexists(`${p}:jobs`, "l1-x"))).toBe(0)
      })))

  it.effect("a complete of 2,500 runs goes as three scripts of at most COMPLETE_BATCH completions (a script holds the server) and stores every end", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:complete-batches`
      const names = new Map(Object.entries(SCRIPTS).map(([name, source]) => [createHash("sha1").update(source).digest("hex"), name]))
      // this store's own client: the completions each complete script carried
      const batches: Array<number> = []
      const inner = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => inner.disconnect()))
      const client = watchedClient(inner, (sha, args) => {
        if (names.get(sha) === "complete") batches.push(JSON.parse(String(args[args.length - 1])).length)
      })
      const store = yield* RedisJobStore.make({ client, prefix: p, clock: "effect" })
      const N = 2_500
      for (let i = 0; i < N; i++) yield* store.add(makeJob(`cb-${i}`, T0), false)
      const got = yield* acquire(store, { owner: A, limit: N })
      expect(got.jobs.length).toBe(N)
      const outcomes = yield* store.release(A, got.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0] }) })))
      const runs = outcomes.flatMap(started)
      expect(runs.length).toBe(N)
      const accepted = yield* store.complete(runs.map((run) => completion(run)))
      expect(accepted.length).toBe(N)
      expect(accepted.every((a) => a)).toBe(true)
      expect(batches).toEqual([1_000, 1_000, 500])
      expect(RedisJobStore.COMPLETE_BATCH).toBe(1_000)
      // every end stored: the first, a middle and the last job's run succeeded
      for (const id of ["cb-0", "cb-1234", `cb-${N - 1}`]) {
        expect((yield* store.getRuns(id)).map((r) => r.state)).toEqual(["succeeded"])
      }
    }).pipe(Effect.scoped))

  it.effect("acquire sends no job record the store holds at its version: a job another store wrote is read once, then acquired by version only", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:records`
      const peer = yield* Layer.build(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect" }))
      const writer = Context.get(peer, JobStore)
      const ids = Array.from({ length: 20 }, (_, i) => `rec-${i}`)
      for (const id of ids) yield* writer.add(makeJob(id, T0), false)
      // this store's own client, its script replies seen
      const replies: Array<{ readonly script: string; readonly reply: string }> = []
      const names = new Map(Object.entries(SCRIPTS).map(([name, source]) => [createHash("sha1").update(source).digest("hex"), name]))
      const inner = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => inner.disconnect()))
      const client = watchedClient(inner, (sha, _args, reply) => {
        // (the purge of old runs, once a minute, is left out)
        if (names.get(sha) !== "purge") replies.push({ script: names.get(sha) ?? sha, reply: JSON.stringify(reply) })
      })
      const store = yield* RedisJobStore.make({ client, prefix: p, clock: "effect" })
      const record = (id: string) => Effect.promise(() => raw.hget(`${p}:jobs`, id))
      const claimAll = Effect.gen(function*() {
        replies.length = 0
        const got = yield* acquire(store, { owner: A })
        // released as due again (next run time unchanged, no run): acquired again next time
        yield* store.release(A, got.jobs.map((leased) => ({ leased, plan: plan({ nextRunTime: T0 }) })))
        return got.jobs.map((l) => l.job)
      })
      // first claim: the versions, then the records this store does not hold, in one call
      const first = yield* claimAll
      expect(first.map((j) => j.id).sort()).toEqual([...ids].sort())
      expect(replies.map((r) => r.script)).toEqual(["acquire", "records", "release"])
      const rec0 = (yield* record("rec-0"))!
      expect(replies[0]!.reply).not.toContain("tasks:noop")
      expect(replies[1]!.reply).toContain(JSON.stringify(rec0))
      // again: by version only, no record in any reply
      const second = yield* claimAll
      expect(second).toEqual(first)
      expect(replies.map((r) => r.script)).toEqual(["acquire", "release"])
      expect(replies.every((r) => !r.reply.includes("tasks:noop"))).toBe(true)
      // a job the peer changes has a new version: its record alone is read again
      yield* writer.update(makeJob("rec-3", T0, { args: ["changed"] }))
      const third = yield* claimAll
      expect(replies.map((r) => r.script)).toEqual(["acquire", "records", "release"])
      expect(JSON.parse(replies[1]!.reply)[0]).toEqual([yield* record("rec-3")])
      expect(third.find((j) => j.id === "rec-3")!.args).toEqual(["changed"])
    }).pipe(Effect.scoped))

  it.effect("a job removed and added again under its id by another store is acquired with its new record (a version is never given twice)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:readd`
      const one = Context.get(yield* Layer.build(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect" })), JobStore)
      const two = Context.get(yield* Layer.build(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect" })), JobStore)
      yield* one.add(makeJob("re-x", T0, { args: ["first"] }), false)
      const leased = yield* lease(one, A, "re-x")
      expect(leased.job.args).toEqual(["first"])
      yield* one.release(A, [{ leased, plan: plan({ nextRunTime: T0 }) }])
      // the other store removes it and adds it again, changed: the first store holds the old record
      yield* two.remove("re-x")
      yield* two.add(makeJob("re-x", T0, { args: ["second"] }), false)
      const again = yield* lease(one, A, "re-x")
      expect(again.job.args).toEqual(["second"])
      expect(again.version).not.toBe(leased.version)
    }).pipe(Effect.scoped))

  it.effect("a prefix in key layout 3, as the version before writes it, is read and claimed by this version, upgraded in place to layout 4 (one P:state field per job); the version before is refused after", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:layout3`
      const l3 = layout3(p)
      // the jobs' records as the store encodes them (the records are the same in both layouts)
      const records = yield* recordsOf(`${p}:src`, [makeJob("m-x", T0), makeJob("m-y", T0), makeJob("m-p", null)])
      // layout 3 writes the jobs; A leases m-x and releases it (a run at T0, fence 1, next T0 + 1 s);
      // B leases m-y and holds it
      for (const [id, next] of [["m-x", T0], ["m-y", T0], ["m-p", null]] as const) {
        yield* l3("write", ["insert", id, next === null ? "" : String(next), records[id]!, ""])
      }
      const byA = (yield* l3("acquire", [String(T0), A, 1, 30_000, p, "t1", 60, 0])) as [number, number, Array<string>, string, string]
      expect(byA[2]).toEqual(["m-x"])
      const vx = byA[4]
      expect(yield* l3("release", [String(T0), p, A, "", "t2", 60, 1, `${vx} ${T0 + 1000} 1 1 ${T0} r`, "m-x"]))
        .toBe(`${T0}\n0 ${T0 + 30_000} ${T0}:1`)
      const byB = (yield* l3("acquire", [String(T0), B, 1, 30_000, p, "t3", 60, 0])) as [number, number, Array<string>, string, string]
      expect(byB[2]).toEqual(["m-y"])
      const vy = byB[4]
      const vp = (yield* Effect.promise(() => raw.hget(`${p}:version`, "m-p")))!
      expect(yield* Effect.promise(() => raw.get(`${p}:layout`))).toBe("3")
      expect(yield* Effect.promise(() => raw.hget(`${p}:fence`, "m-x"))).toBe("1")
      expect(yield* Effect.promise(() => raw.hget(`${p}:lease`, "m-y"))).toBe(`${T0 + 30_000}|${B}`)

      // a store of this version that never saw the prefix reads it: its first script upgrades it
      yield* TestClock.setTime(T0 + 1000)
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* RedisJobStore.make({ url: REDIS_URL, prefix: p, clock: "effect" })
        expect(Option.getOrThrow(yield* store.lookup("m-x")).nextRunTime).toBe(T0 + 1000)
        expect(yield* Effect.promise(() => raw.get(`${p}:layout`))).toBe("4")
        expect(yield* Effect.promise(() => raw.exists(`${p}:next`, `${p}:version`, `${p}:fence`, `${p}:lease`))).toBe(0)
        expect(yield* Effect.promise(() => raw.hgetall(`${p}:state`))).toEqual({
          "m-x": `${vx} ${T0 + 1000} 1 `,
          "m-y": `${vy} ${T0} 0 ${T0 + 30_000}|${B}`,
          "m-p": `${vp}  0 `
        })
        expect((yield* store.getAll).map((j) => [j.id, j.nextRunTime])).toEqual([["m-y", T0], ["m-x", T0 + 1000], ["m-p", null]])
        // the run layout 3 recorded completes; A claims m-x at the version layout 3 gave, its
        // fences go on above layout 3's; m-y's lease is still B's (live until T0 + 30 s)
        const [old] = yield* store.getRuns("m-x")
        expect(yield* store.complete([completion(old!)])).toEqual([true])
        const got = yield* acquire(store, { owner: A })
        expect(got.jobs.map((l) => [l.job.id, l.version])).toEqual([["m-x", Number(vx)]])
        const [run] = started((yield* store.release(A, [{ leased: got.jobs[0]!, plan: plan({ runTimes: [T0 + 1000], nextRunTime: T0 + 2000 }) }]))[0]!)
        expect(run!.fence).toBe(2)
        expect((yield* store.getRuns("m-x")).map((r) => [r.scheduledTime, r.fence, r.state])).toEqual([[T0, 1, "succeeded"], [T0 + 1000, 2, "ready"]])
        const leasedY = { job: Option.getOrThrow(yield* store.lookup("m-y")), version: Number(vy) }
        const planY = plan({ runTimes: [T0], nextRunTime: T0 + 5000 })
        expect(yield* store.release(A, [{ leased: leasedY, plan: planY }])).toEqual([{ _tag: "Refused" }])
        expect(started((yield* store.release(B, [{ leased: leasedY, plan: planY }]))[0]!).map((r) => r.fence)).toEqual([1])
      }))

      // the version before refuses the prefix now, by name, for every write and claim
      for (const [name, args] of [
        ["write", ["upsert", "m-x", String(T0), records["m-x"]!, ""]],
        ["acquire", [String(T0 + 1000), A, 10, 30_000, p, "t4", 60, 0]],
        ["release", [String(T0 + 1000), p, A, "", "t5", 60, 1, `${vx} ${T0 + 3000} 1 1 ${T0 + 2000} r`, "m-x"]]
      ] as const) {
        const error = yield* Effect.flip(l3(name, args))
        expect(error.message).toContain("key layout 4, newer than this version knows (3)")
      }
      expect(yield* Effect.promise(() => raw.exists(`${p}:next`, `${p}:version`, `${p}:fence`, `${p}:lease`))).toBe(0)
    }))

  it.effect("a prefix in key layout 2 is read and upgraded to layout 4 by its first script (versions drawn above layout 2's); a newer layout is refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:layout2`
      const l3 = layout3(p)
      // what layout 2 left: layout 3's keys, versions counted per job from 1, no P:version_seq
      const records = yield* recordsOf(`${p}:src`, [makeJob("l2-x", T0, { args: ["two"] })])
      yield* l3("write", ["insert", "l2-x", String(T0), records["l2-x"]!, ""])
      yield* Effect.promise(() => raw.set(`${p}:layout`, "2"))
      yield* Effect.promise(() => raw.del(`${p}:version_seq`))
      yield* Effect.promise(() => raw.hset(`${p}:version`, "l2-x", "1"))
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* RedisJobStore.make({ url: REDIS_URL, prefix: p, clock: "effect" })
        const leased = yield* lease(store, A, "l2-x")
        expect([leased.job.args, leased.version]).toEqual([["two"], 1])
        expect(yield* Effect.promise(() => raw.get(`${p}:layout`))).toBe("4")
        yield* store.add(makeJob("l2-y", T0), false)
        const version = Number((yield* Effect.promise(() => raw.hget(`${p}:state`, "l2-y")))!.split(" ")[0])
        expect(version).toBeGreaterThan(1e15)
        yield* Effect.promise(() => raw.set(`${p}:layout`, "5"))
        const error = yield* Effect.flip(store.add(makeJob("l2-z", T0), false))
        expect(error.message).toContain("key layout 5, newer than this version knows (4)")
      }))
    }))

  it.effect("job ids holding '|' share an index range but never each other's runs or instance slots", () =>
    withStore("bars", (store) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("a", T0, { maxInstances: 1 }))
        yield* store.add(makeJob("a|1", T0, { maxInstances: 1 }))
        yield* store.add(makeJob("a|", T0, { maxInstances: 1 }))
        const got = yield* acquire(store, { owner: A })
        const outcomes = yield* store.release(
          A,
          got.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0 - 1000, T0], nextRunTime: T0 + 1000 }) }))
        )
        // maxInstances 1 and no live run: each job starts both its runs
        expect(outcomes.map((o) => started(o).length)).toEqual([2, 2, 2])
        for (const id of ["a", "a|1", "a|"]) {
          expect((yield* store.getRuns(id)).map((r) => [r.jobId, r.scheduledTime])).toEqual([[id, T0 - 1000], [id, T0]])
        }
        // each holds two live runs now: the next release of each is skipped
        yield* TestClock.setTime(T0 + 1000)
        const again = yield* acquire(store, { owner: A })
        const second = yield* store.release(
          A,
          again.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0 + 1000], nextRunTime: T0 + 2000 }) }))
        )
        expect(again.jobs.map((l, i) => [l.job.id, second[i]!._tag === "Released" && second[i]!.skipped])).toEqual([
          ["a", true],
          ["a|", true],
          ["a|1", true]
        ])
        // once "a"'s runs complete, "a" alone has a free slot
        const aRuns = started(outcomes[got.jobs.findIndex((l) => l.job.id === "a")]!)
        expect(yield* store.complete(aRuns.map((r) => completion(r)))).toEqual([true, true])
        yield* TestClock.setTime(T0 + 2000)
        const third = yield* acquire(store, { owner: A })
        const last = yield* store.release(A, third.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0 + 2000] }) })))
        expect(third.jobs.map((l, i) => [l.job.id, last[i]!._tag === "Released" && last[i]!.skipped])).toEqual([
          ["a", false],
          ["a|", true],
          ["a|1", true]
        ])
      })))

  it.effect("a job removed (remove, removeAll, its own release) and added again under its id gives fences above its old runs'", () =>
    withStore("refence", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const fences: Array<number> = []
        const once = (fields: Parameters<typeof plan>[0], t: number) =>
          Effect.gen(function*() {
            yield* store.add(makeJob("rf-x", t, { maxInstances: 10 }))
            const [run] = started(yield* cycle(store, A, "rf-x", plan({ runTimes: [t], ...fields })))
            fences.push(run!.fence)
          })
        yield* once({ nextRunTime: T0 + 1_000_000 }, T0)
        yield* store.remove("rf-x")
        yield* once({ nextRunTime: T0 + 1_000_000 }, T0 - 1)
        yield* store.removeAll
        yield* once({ jobRemoved: true }, T0 - 2) // the release removes the job
        yield* once({ nextRunTime: T0 + 1_000_000 }, T0 - 3)
        expect(fences).toEqual([1, 2, 3, 4])
        // while the job exists its fence is in P:fence, P:fence_max is written when it goes
        expect(yield* Effect.promise(() => raw.hget(`${p}:fence_max`, "rf-x"))).toBe("3")
      })))

  it.effect("a run held until completed (run lease null) counts for maxInstances however long it runs, and is never recovered", () =>
    withStore("held", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("held-x", T0, { maxInstances: 1 }))
        const leased = yield* lease(store, A, "held-x")
        const [first] = yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 1000 }) }], null)
        const [run] = started(first!)
        expect(run!.acquiredUntil).toBe(null)
        // no lease end: listed live, no entry where recover looks
        expect(yield* Effect.promise(() => raw.hget(`${p}:live_runs`, "held-x"))).toBe(String(T0))
        expect(yield* Effect.promise(() => raw.zscore(`${p}:live`, `${T0}|held-x`))).toBe(null)
        yield* TestClock.setTime(T0 + 86_400_000)
        expect((yield* store.recover({ owner: B, limit: 100, leaseMs: 30_000 })).runs).toEqual([])
        const [second] = yield* store.release(A, [{ leased: yield* lease(store, A, "held-x"), plan: plan({ runTimes: [T0 + 1000], nextRunTime: T0 + 2000 }) }], null)
        expect(second).toMatchObject({ _tag: "Released", skipped: true, runs: [] })
        expect(yield* store.complete([completion(run!)])).toEqual([true])
        expect(yield* Effect.promise(() => raw.hget(`${p}:live_runs`, "held-x"))).toBe("")
        const [third] = yield* store.release(A, [{ leased: yield* lease(store, A, "held-x"), plan: plan({ runTimes: [T0 + 2000], nextRunTime: T0 + 3000 }) }], null)
        expect(started(third!).map((r) => r.scheduledTime)).toEqual([T0 + 2000])
      })))

  it.effect("recover takes another job's expired run in one call (limit 2) past 10 earlier expired runs of a job at its maxInstances", () =>
    withStore("starve", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("sv-full", T0, { maxInstances: 20 }))
        const times = Array.from({ length: 10 }, (_, i) => T0 - 10_000 + i * 1000)
        const [many] = yield* store.release(A, [{ leased: yield* lease(store, A, "sv-full"), plan: plan({ runTimes: times, nextRunTime: T0 + 1000 }) }], 1000)
        expect(started(many!).length).toBe(10)
        // the other job's run: its lease ends after all ten (T0 + 1.5 s against T0 + 1 s)
        yield* TestClock.setTime(T0 + 500)
        yield* store.add(makeJob("sv-other", T0 + 500, { maxInstances: 1 }))
        const [one] = yield* store.release(A, [{ leased: yield* lease(store, A, "sv-other"), plan: plan({ runTimes: [T0 + 500], nextRunTime: T0 + 3_600_000 }) }], 1000)
        expect(started(one!).length).toBe(1)
        // B starts an eleventh run of "sv-full" (lease 30 s) while A's ten hold theirs
        yield* store.update(makeJob("sv-full", T0 + 500, { maxInstances: 20 }))
        const [heldOutcome] = yield* store.release(B, [{ leased: yield* lease(store, B, "sv-full"), plan: plan({ runTimes: [T0 + 500], nextRunTime: T0 + 3_600_000 }) }], 30_000)
        const [held] = started(heldOutcome!)
        // every lease of A expired (owner A is gone); "sv-full" goes down to maxInstances 1, its
        // slot held by B's run: its ten expired runs cannot be taken
        yield* TestClock.setTime(T0 + 2000)
        yield* store.update(makeJob("sv-full", T0 + 3_600_000, { maxInstances: 1 }))
        const key = (x: { readonly run: { readonly jobId: string; readonly scheduledTime: number } }) =>
          `${x.run.jobId}@${x.run.scheduledTime - T0}`
        const first = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(first.runs.map(key)).toEqual(["sv-other@500"])
        expect(first.abandoned).toEqual([])
        // P:live_jobs: one entry per job; "sv-full" put back until its held run's lease ends (.5:
        // waiting for a slot), "sv-other" at its new lease end
        expect(yield* Effect.promise(() => raw.zscore(`${p}:live_jobs`, "sv-full"))).toBe(`${T0 + 30_500}.5`)
        expect(yield* Effect.promise(() => raw.zscore(`${p}:live_jobs`, "sv-other"))).toBe(String(T0 + 32_000))
        // none of the ten is lost: once the held run ends, the earliest is taken over
        expect(yield* store.complete([completion(held!)])).toEqual([true])
        const second = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(second.runs.map(key)).toEqual(["sv-full@-10000"])
        expect((yield* store.getRuns("sv-full")).filter((r) => r.state === "ready" && r.acquiredBy === A).length).toBe(9)
      })))

  it.effect("recover looks at max(4 x limit, 64) jobs per call: 70 jobs at their maxInstances ahead of another job's run hold it back one call, not for ever", () =>
    withStore("cap", (store) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const ids = Array.from({ length: 70 }, (_, i) => `cp-${String(i).padStart(2, "0")}`)
        yield* Effect.forEach(ids, (id) => store.add(makeJob(id, T0, { maxInstances: 2 })), { discard: true })
        const first = yield* acquire(store, { owner: A })
        yield* store.release(A, first.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 2000 }) })), 1000)
        yield* TestClock.setTime(T0 + 500)
        yield* store.add(makeJob("cp-other", T0 + 500, { maxInstances: 1 }))
        yield* store.release(A, [{ leased: yield* lease(store, A, "cp-other"), plan: plan({ runTimes: [T0 + 500], nextRunTime: T0 + 3_600_000 }) }], 1000)
        // B starts a second run of each of the 70 (lease 30 s) while A's first runs hold theirs
        yield* Effect.forEach(ids, (id) => store.update(makeJob(id, T0 + 500, { maxInstances: 2 })), { discard: true })
        const second = yield* acquire(store, { owner: B })
        const outcomes = yield* store.release(B, second.jobs.map((leased) => ({ leased, plan: plan({ runTimes: [T0 + 500], nextRunTime: T0 + 3_600_000 }) })), 30_000)
        expect(outcomes.map((o) => started(o).length)).toEqual(ids.map(() => 1))
        // each of the 70 down to maxInstances 1, its slot held by B's run (its first run expired)
        yield* TestClock.setTime(T0 + 2000)
        yield* Effect.forEach(ids, (id) => store.update(makeJob(id, T0 + 3_600_000, { maxInstances: 1 })), { discard: true })
        const key = (x: { readonly run: { readonly jobId: string; readonly scheduledTime: number } }) =>
          `${x.run.jobId}@${x.run.scheduledTime - T0}`
        // the first call looks at 64 of the 70 (none has a slot), the second reaches "cp-other"
        expect((yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })).runs.map(key)).toEqual([])
        expect((yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })).runs.map(key)).toEqual(["cp-other@500"])
      })))

  it.effect("a job waiting for a slot in recover is looked at again at once when a write raises its maxInstances", () =>
    withStore("raise", (store) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("rs-x", T0, { maxInstances: 5 }))
        const [o] = yield* store.release(A, [{ leased: yield* lease(store, A, "rs-x"), plan: plan({ runTimes: [T0 - 1000, T0], nextRunTime: T0 + 3_600_000 }) }], 1000)
        expect(started(o!).length).toBe(2)
        yield* TestClock.setTime(T0 + 2000)
        yield* store.update(makeJob("rs-x", T0 + 3_600_000, { maxInstances: 1 }))
        // one slot: one run taken over, the other waits (its job put back until the lease ends)
        expect((yield* store.recover({ owner: B, limit: 100, leaseMs: 30_000 })).runs.map((x) => x.run.scheduledTime)).toEqual([T0 - 1000])
        expect((yield* store.recover({ owner: B, limit: 100, leaseMs: 30_000 })).runs).toEqual([])
        yield* store.update(makeJob("rs-x", T0 + 3_600_000, { maxInstances: 2 }))
        expect((yield* store.recover({ owner: B, limit: 100, leaseMs: 30_000 })).runs.map((x) => x.run.scheduledTime)).toEqual([T0])
      })))

  it.effect("a prefix written before P:live_jobs existed: recover builds it once from P:live and takes the expired runs over", () =>
    withStore("build", (store, p) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("bd-x", T0, { maxInstances: 5 }))
        const [o] = yield* store.release(A, [{ leased: yield* lease(store, A, "bd-x"), plan: plan({ runTimes: [T0 - 1000, T0], nextRunTime: T0 + 3_600_000 }) }], 1000)
        expect(started(o!).length).toBe(2)
        // what a store of the version before left: P:live, no P:live_jobs
        yield* Effect.promise(() => raw.del(`${p}:live_jobs`))
        yield* TestClock.setTime(T0 + 2000)
        const got = yield* store.recover({ owner: B, limit: 100, leaseMs: 30_000 })
        expect(got.runs.map((x) => [x.run.scheduledTime, x.run.attempt, x.run.acquiredBy]).sort()).toEqual([[T0 - 1000, 2, B], [T0, 2, B]])
        expect(yield* Effect.promise(() => raw.zrange(`${p}:live_jobs`, 0, -1, "WITHSCORES"))).toEqual([
          "bd-x",
          String(T0 + 32_000),
          "\uFFFDbuilt", // the member is byte 255 then "built": no job id (UTF-8) is
          "inf"
        ])
      })))

  it.effect("the scripts are loaded again after SCRIPT FLUSH (EVALSHA, then NOSCRIPT, then LOAD)", () =>
    withStore("noscript", (store) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("ns-x", T0))
        yield* Effect.promise(() => raw.script("FLUSH"))
        expect((yield* cycle(store, A, "ns-x", plan({ runTimes: [T0], nextRunTime: T0 + 1000 })))._tag).toBe("Released")
      })))

  // live: the retry waits on the Effect clock
  it.live("a claim whose reply is lost is sent again with its token and answered from its memo: applied once", () =>
    Effect.gen(function*() {
      const p = `${prefix}:lost`
      const client = new Redis(REDIS_URL)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.disconnect()))
      // while armed, a claim is applied by the server, then its reply is lost (once)
      let armed = false
      const claims = new Set(
        [SCRIPTS.acquire, SCRIPTS.release, SCRIPTS.complete].map((s) => createHash("sha1").update(s).digest("hex"))
      )
      const evalsha = client.evalsha.bind(client) as (...args: Array<string | number>) => Promise<unknown>
      const faulty: RedisJobStore.RedisClient = Object.assign(Object.create(client), {
        evalsha: async (...args: Array<string | number>) => {
          const reply = await evalsha(...args)
          if (armed && claims.has(String(args[0]))) {
            armed = false
            throw new Error("Connection is closed.")
          }
          return reply
        }
      })
      const store = makeEncoded(yield* RedisJobStore.makeDriver(faulty, { prefix: p }))
      const lose = <X, E>(claim: Effect.Effect<X, E>) =>
        Effect.zipRight(Effect.sync(() => (armed = true)), claim).pipe(Effect.tap(() => expect(armed).toBe(false)))
      yield* store.add(makeJob("lost-x", T0, { maxInstances: 5 }))
      yield* store.add(makeJob("lost-y", T0 + 1, { maxInstances: 5 }))
      const got = yield* lose(acquire(store, { owner: A }))
      expect(got.jobs.map((l) => l.job.id)).toEqual(["lost-x", "lost-y"])
      // applied once: the jobs are not handed out again
      expect((yield* acquire(store, { owner: B })).jobs).toEqual([])
      const [outcome] = yield* lose(store.release(A, [{
        leased: got.jobs[0]!,
        plan: plan({ runTimes: [T0, T0 + 1], nextRunTime: T0 + 1000 })
      }]))
      const runs = started(outcome!)
      expect(runs.map((r) => [r.scheduledTime, r.fence])).toEqual([[T0, 1], [T0 + 1, 2]])
      expect(yield* lose(store.complete([completion(runs[0]!)]))).toEqual([true])
      expect((yield* store.getRuns("lost-x")).map((r) => [r.scheduledTime, r.state, r.fence])).toEqual([
        [T0, "succeeded", 1],
        [T0 + 1, "ready", 2]
      ])
      yield* Effect.promise(() => cleanup(raw, p))
    }).pipe(Effect.scoped))

  it.effect("runs that ended before the retention are purged by their end time; live runs stay", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:purge`
      yield* Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.add(makeJob("ret", T0, { maxInstances: 5 }))
        const [r0, r1] = started(
          yield* cycle(store, A, "ret", plan({
            missed: [T0 - 1000],
            missedSummary: { first: T0 - 1000, last: T0 - 1000, count: 1 },
            runTimes: [T0, T0 + 1],
            nextRunTime: T0 + 1_000_000
          }))
        )
        yield* TestClock.setTime(T0 + 30_000)
        expect(yield* store.complete([completion(r0!, { finishedAt: T0 + 30_000 })])).toEqual([true])
        yield* TestClock.setTime(T0 + 60_001)
        yield* store.complete([completion(r0!)]) // refused; purges first
        expect((yield* store.getRuns("ret")).map((r) => [r.scheduledTime, r.state])).toEqual([
          [T0, "succeeded"],
          [T0 + 1, "ready"]
        ])
        yield* TestClock.setTime(T0 + 90_001)
        yield* store.complete([completion(r0!)])
        expect((yield* store.getRuns("ret")).map((r) => r.scheduledTime)).toEqual([T0 + 1])
        expect(yield* store.complete([completion(r1!, { finishedAt: T0 + 90_001 })])).toEqual([true])
        yield* TestClock.setTime(T0 + 150_002)
        yield* store.complete([completion(r0!)])
        expect(yield* store.getRuns("ret")).toEqual([])
        expect(yield* Effect.promise(() => raw.exists(`${p}:runs`, `${p}:run_index`, `${p}:live`, `${p}:live_runs`))).toBe(0)
      }).pipe(
        Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect", runRetentionMs: 60_000, purgeIntervalMs: 0 }))
      )
    }))

  it.effect("a removed job's greatest fence is forgotten once its last run is purged, not while one is left", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:purgefence`
      yield* Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.add(makeJob("pf", T0, { maxInstances: 5 }))
        yield* store.add(makeJob("pf|1", T0, { maxInstances: 5 }))
        const got = yield* acquire(store, { owner: A })
        expect(got.jobs.map((l) => l.job.id)).toEqual(["pf", "pf|1"])
        const [first, second] = yield* store.release(A, [
          { leased: got.jobs[0]!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 1_000_000 }) },
          { leased: got.jobs[1]!, plan: plan({ runTimes: [T0 - 1, T0], nextRunTime: T0 + 1_000_000 }) }
        ])
        const [gone] = started(first!)
        const [done, live] = started(second!)
        expect(live!.fence).toBe(2)
        expect(yield* store.complete([completion(gone!), completion(done!)])).toEqual([true, true])
        yield* store.remove("pf")
        yield* store.remove("pf|1")
        expect(yield* Effect.promise(() => raw.hmget(`${p}:fence_max`, "pf", "pf|1"))).toEqual(["1", "2"])
        yield* TestClock.setTime(T0 + 60_006)
        yield* store.complete([completion(gone!)]) // refused; purges first
        expect((yield* store.getRuns("pf|1")).map((r) => r.scheduledTime)).toEqual([T0])
        // "pf" has no run left ("pf|1"'s share its index range), "pf|1" keeps a live one
        expect(yield* Effect.promise(() => raw.hmget(`${p}:fence_max`, "pf", "pf|1"))).toEqual([null, "2"])
      }).pipe(
        Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect", runRetentionMs: 60_000, purgeIntervalMs: 0 }))
      )
    }))

  it.effect("release refuses a stale owner and a changed version at the script level", () =>
    withStore("cas", (store) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        yield* store.add(makeJob("cas-x", T0))
        const byA = yield* lease(store, A, "cas-x")
        expect(yield* store.release(B, [{ leased: byA, plan: plan({ runTimes: [T0] }) }])).toEqual([{ _tag: "Refused" }])
        yield* store.update(makeJob("cas-x", T0, { name: "changed" }))
        expect(yield* store.release(A, [{ leased: byA, plan: plan({ runTimes: [T0] }) }])).toEqual([{ _tag: "Refused" }])
        expect(yield* store.getRuns("cas-x")).toEqual([])
      })))

  it.effect("corrupted entries are quarantined (reported, kept aside); the other jobs run", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:quarantine`
      const errors: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Error)) errors.push(String(message))
      })
      const storeLayer = RedisJobStore.layer({ url: REDIS_URL, prefix: p, clock: "effect" })
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* (yield* TaskRegistry).register("tick", () => "ok")
        for (const id of ["good-1", "bad-json", "bad-spec", "good-2"]) {
          yield* scheduler.addJob("tick", { id, trigger: "interval", triggerArgs: { seconds: 10 } })
        }
        // corrupt two entries behind the store's back, each with a version never given before
        // (as every write does: a store holding a job's record at its version reads it no more)
        const corrupt = (id: string, data: string) =>
          Effect.promise(async () => {
            const version = await raw.incr(`${p}:version_seq`)
            await raw.hset(`${p}:jobs`, id, data)
            // P:state is '<version> <next> <fence> <lease>': the version replaced
            const state = (await raw.hget(`${p}:state`, id))!
            await raw.hset(`${p}:state`, id, `${version}${state.slice(state.indexOf(" "))}`)
          })
        yield* corrupt("bad-json", "{not json")
        const spec = (yield* Effect.promise(() => raw.hget(`${p}:jobs`, "bad-spec")))!
        yield* corrupt("bad-spec", spec.replace("\"seconds\":10", "\"seconds\":-1"))
        const events = yield* TestScheduler.advance("10 seconds")
        // wait for the real I/O of the runs
        let ran: ReadonlyArray<number> = []
        for (let i = 0; i < 50 && ran.length < 2; i++) {
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
          yield* TestScheduler.settle
        }
        ran = TestScheduler.executed([...events, ...(yield* TestScheduler.advance(0))])
        expect(ran.length).toBe(2)
        expect((yield* scheduler.getJobs()).map((j) => j.id).sort()).toEqual(["good-1", "good-2"])
      }).pipe(
        Effect.provide(TestScheduler.layer().pipe(Layer.provide(storeLayer))),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      // reported, and kept aside (never deleted), with the reason
      expect(errors.filter((e) => e.includes("Unable to restore job")).length).toBeGreaterThanOrEqual(2)
      expect(yield* Effect.promise(() => raw.hget(`${p}:jobs`, "bad-json"))).toBe("{not json")
      expect((yield* Effect.promise(() => raw.hkeys(`${p}:quarantine`))).sort()).toEqual(["bad-json", "bad-spec"])
      expect(yield* Effect.promise(() => raw.zscore(`${p}:due`, "bad-json"))).toBe(null)
    }))

  it.effect("the plugin alias 'redis' builds the store from a URL and options; bad options are a ConfigError", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const p = `${prefix}:plugin`
      yield* Effect.gen(function*() {
        const scheduler = yield* Scheduler
        yield* scheduler.addJob("tick", { id: "via-plugin", trigger: "interval", triggerArgs: { seconds: 10 } })
        expect(yield* Effect.promise(() => raw.hexists(`${p}:jobs`, "via-plugin"))).toBe(1)
      }).pipe(
        Effect.provide(
          TestScheduler.layer(
            { jobstores: { default: { type: "redis", url: REDIS_URL, prefix: p, clock: "effect" } } },
            { tasks: { tick: () => "ok" } }
          )
        )
      )
      const bad = yield* Effect.flip(
        Effect.provide(Scheduler, TestScheduler.layer({ jobstores: { default: { type: "redis", clock: "wall" as never } } }))
      )
      expect(bad).toMatchObject({ _tag: "ConfigError", key: "jobstores.default.clock" })
      const unknown = yield* Effect.flip(
        Effect.provide(Scheduler, TestScheduler.layer({ jobstores: { default: { type: "redis", jobs_key: "x" } as never } }))
      )
      // snake_case keys are read as camelCase ones
      expect(unknown).toMatchObject({ _tag: "ConfigError", key: "jobstores.default.jobsKey" })
      expect(Plugins.builtins.jobstores.redis).toBe(RedisJobStore.plugin)
    }))

  it.effect("a store that cannot connect fails with a StoreError naming the operation", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(JobStore, RedisJobStore.layer({ url: "redis://127.0.0.1:1", connectTimeoutMs: 300, startRetryMs: 0 }))
      )
      expect(error).toMatchObject({ _tag: "StoreError", store: "redis", operation: "connect" })
    }).pipe(Effect.scoped), { timeout: 10_000 })

  it.effect("optionsFromPlugin reads APScheduler's host / port / db / password", () =>
    Effect.gen(function*() {
      const options = yield* RedisJobStore.optionsFromPlugin({ host: "h", port: "6380", db: 2, password: "pw", prefix: "x" })
      expect(options).toMatchObject({ prefix: "x", connection: { host: "h", port: 6380, db: 2, password: "pw" } })
      const error = yield* Effect.flip(RedisJobStore.optionsFromPlugin({ port: "abc" }))
      expect(error).toMatchObject({ _tag: "ConfigError", key: "port" })
    }))
})
