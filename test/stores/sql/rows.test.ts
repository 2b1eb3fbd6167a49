/**
 * Rows of a SQL store that cannot be read, and schemas newer than the store knows: against SQLite,
 * PostgreSQL (and MariaDB for the schema version), each in a table prefix of its own.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import type { StoreError } from "../../../src/errors.js"
import { EventBus } from "../../../src/events/EventBus.js"
import { JOB_EXECUTED } from "../../../src/events/SchedulerEvent.js"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import { encodeJob } from "../../../src/stores/EncodedJobStore.js"
import { JobStore } from "../../../src/stores/JobStore.js"
import * as Lock from "../../../src/stores/Lock.js"
import { clusterRunsByTime, createTables, SQL_SCHEMA_VERSION as SCHEMA_VERSION, tables } from "../../../src/stores/sql/migrations.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import * as TestScheduler from "../../../src/testing/TestScheduler.js"
import { A, acquired, B, lease, makeJob, plan, started } from "../jobStoreSuite.js"
import { dropTables, mysqlClient, pgClient, uniquePrefix } from "./helpers.js"

const T0 = Date.UTC(2024, 0, 1)

interface Backend {
  readonly name: string
  readonly client: () => Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>
  readonly prefixes: Array<string>
}

const backends: ReadonlyArray<Backend> = [
  { name: "SQLite", client: () => SqlJobStore.sqliteClient({ filename: ":memory:" }), prefixes: [] },
  { name: "PostgreSQL", client: pgClient, prefixes: [] },
  { name: "MariaDB", client: mysqlClient, prefixes: [] }
]

afterAll(async () => {
  for (const b of backends) {
    if (b.name === "SQLite") continue
    for (const prefix of b.prefixes) await dropTables(b.client(), prefix)
  }
})

/** A client, and a store over it in a table prefix of its own. */
const open = (backend: Backend, clock: SqlJobStore.ClockSource = "effect") =>
  Effect.gen(function*() {
    const sql = yield* backend.client()
    const prefix = uniquePrefix("rows")
    backend.prefixes.push(prefix)
    const store = yield* Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock }), SqlClient.SqlClient, sql)
    return { sql, prefix, store, t: tables(prefix) }
  })

/** Collects the log messages of `effect`. */
const logged = <A, E, R>(effect: Effect.Effect<A, E, R>, into: Array<string>) =>
  Effect.provide(effect, Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void into.push(String(message)))))

for (const backend of backends.filter((b) => b.name !== "MariaDB")) {
  describe(`SqlJobStore rows that cannot be read (${backend.name})`, () => {
    it.scoped("are quarantined: reported, kept aside, never deleted; the other jobs are claimed", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const { sql, store, t } = yield* open(backend)
        for (const [id, time] of [["bad", T0 - 3], ["badjson", T0 - 2], ["g1", T0 - 1], ["g2", T0]] as const) {
          yield* store.add(makeJob(id, time))
        }
        yield* sql`UPDATE ${sql(t.jobs)} SET data = ${"{\"version\":99}"} WHERE id = ${"bad"}`
        yield* sql`UPDATE ${sql(t.jobs)} SET data = ${"{not json"} WHERE id = ${"badjson"}`
        const logs: Array<string> = []
        const got = yield* logged(acquired(store, { owner: A, limit: 2 }), logs)
        expect(got.map((j) => j.id)).toEqual(["g1", "g2"])
        expect(logs.filter((m) => m.includes("Unable to restore job")).sort()).toEqual([
          expect.stringContaining("\"bad\""),
          expect.stringContaining("\"badjson\"")
        ])
        const rows = yield* sql<{ id: string; quarantined: string | null; acquired_by: string | null; acquired_until: unknown }>`SELECT id, quarantined, acquired_by, acquired_until FROM ${
          sql(t.jobs)
        } ORDER BY id`
        // the holder of a live lease (acquired_until 0: no lease, whatever acquired_by says)
        expect(rows.map((r) => [r.id, r.quarantined !== null, Number(r.acquired_until) > T0 ? r.acquired_by : null])).toEqual([
          ["bad", true, null],
          ["badjson", true, null],
          ["g1", false, A],
          ["g2", false, A]
        ])
        expect(rows[0]!.quarantined).toContain("version")
        expect((yield* store.getAll).map((j) => j.id)).toEqual(["g1", "g2"])
        expect(Option.isNone(yield* store.lookup("bad"))).toBe(true)
        // the id stays taken; replacing the job ends the quarantine
        expect((yield* Effect.flip(store.add(makeJob("bad", T0))))._tag).toBe("ConflictingIdError")
        yield* store.add(makeJob("bad", T0 + 5), true)
        expect(Option.getOrThrow(yield* store.lookup("bad")).nextRunTime).toBe(T0 + 5)
      }))

    it.scoped("a scheduler on the store runs the other jobs", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const { sql, store, t } = yield* open(backend)
        const calls: Array<string> = []
        yield* Effect.gen(function*() {
          const scheduler = yield* Scheduler
          const subscription = yield* EventBus.subscribe
          const all = yield* EventBus.subscribe
          yield* scheduler.start()
          for (const id of ["a", "b", "c"]) {
            yield* scheduler.addJob("tick", { id, args: [id], trigger: "interval", triggerArgs: { seconds: 10 } })
          }
          yield* sql`UPDATE ${sql(t.jobs)} SET data = ${"[]"} WHERE id = ${"b"}`
          // a real store's I/O ends after `adjust` returns: wait for each wake-up's runs
          for (let i = 0; i < 2; i++) {
            yield* TestClock.adjust("10 seconds")
            yield* TestScheduler.take(subscription, 2, JOB_EXECUTED)
          }
          yield* TestScheduler.settle
          // reported once, as an event naming the job and the reason
          const quarantined = (yield* TestScheduler.drain(all)).filter((e) => e._tag === "JobQuarantined")
          expect(quarantined).toEqual([expect.objectContaining({ jobId: "b", reason: expect.any(String) })])
        }).pipe(
          Effect.scoped,
          Effect.provide(
            SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { tick: (id: string) => void calls.push(id) } })
              .pipe(Layer.provide(Layer.succeed(JobStore, store)))
          )
        )
        expect(calls.sort()).toEqual(["a", "a", "c", "c"])
        const [row] = yield* sql<{ quarantined: string | null }>`SELECT quarantined FROM ${sql(t.jobs)} WHERE id = ${"b"}`
        expect(row!.quarantined).toEqual(expect.any(String))
      }))
  })
}

for (const backend of backends.filter((b) => b.name !== "SQLite")) {
  describe(`SqlJobStore migrations (${backend.name})`, () => {
    it.live(`peers migrating one fresh database at once all come up with schema version ${SCHEMA_VERSION}`, () =>
      Effect.gen(function*() {
        const prefix = uniquePrefix("race")
        backend.prefixes.push(prefix)
        const stores = yield* Effect.all(
          Array.from({ length: 4 }, () =>
            Effect.flatMap(backend.client(), (sql) =>
              Effect.provideService(SqlJobStore.make({ tablePrefix: prefix }), SqlClient.SqlClient, sql))),
          { concurrency: "unbounded" }
        )
        yield* stores[0]!.add(makeJob("one", T0))
        for (const store of stores) expect((yield* store.getAll).map((j) => j.id)).toEqual(["one"])
        const sql = yield* backend.client()
        const rows = yield* sql<{ migration_id: unknown }>`SELECT migration_id FROM ${sql(tables(prefix).migrations)}`
        expect(rows.map((r) => Number(r.migration_id)).sort()).toEqual([1, 2])
      }).pipe(Effect.scoped))
  })
}

for (const backend of backends) {
  describe(`SqlJobStore job rows on release (${backend.name})`, () => {
    it.effect("release moves a job on in its columns: its JSON record (which holds no next run time) stays byte for byte", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const { sql, store, t } = yield* open(backend)
        yield* store.add(makeJob("a", T0))
        const row = sql<{ data: string; next_run_time: unknown; acquired_by: unknown; acquired_until: unknown }>`SELECT data, next_run_time, acquired_by, acquired_until FROM ${
          sql(t.jobs)
        } WHERE id = ${"a"}`
        const [before] = yield* row
        expect(JSON.parse(before!.data)).not.toHaveProperty("nextRunTime")
        const leased = yield* lease(store, A, "a")
        const [outcome] = yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 60_000 }) }])
        expect(started(outcome!).map((r) => r.scheduledTime)).toEqual([T0])
        const [after] = yield* row
        expect(after!.data).toBe(before!.data)
        expect(Number(after!.next_run_time)).toBe(T0 + 60_000)
        // the lease ended (acquired_until 0); the owner column keeps its value, so the row keeps its size
        expect([after!.acquired_by, Number(after!.acquired_until)]).toEqual([A, 0])
        const [again] = yield* store.acquire({ owner: A, limit: 10, leaseMs: 30_000 }).pipe(Effect.map((r) => r.jobs))
        expect(again).toBeUndefined() // not due yet: the ended lease does not count as one
        yield* TestClock.setTime(T0 + 60_000)
        expect((yield* acquired(store, { owner: B, limit: 10 })).map((j) => j.id)).toEqual(["a"]) // another owner takes it
        expect(Option.getOrThrow(yield* store.lookup("a")).nextRunTime).toBe(T0 + 60_000)
      }).pipe(Effect.scoped))
  })
}

for (const backend of backends.filter((b) => b.name !== "SQLite")) {
  describe(`SqlJobStore concurrent claims (${backend.name})`, () => {
    it.live("four owners on their own connections claim 300 due jobs: each runs once", () =>
      Effect.gen(function*() {
        const prefix = uniquePrefix("conc")
        backend.prefixes.push(prefix)
        const stores = yield* Effect.all(
          Array.from({ length: 4 }, () =>
            Effect.flatMap(backend.client(), (sql) =>
              Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock: "effect" }), SqlClient.SqlClient, sql))),
          { concurrency: "unbounded" }
        )
        const due = Date.now() - 1000
        for (let i = 0; i < 300; i++) yield* stores[0]!.add(makeJob(`c${i}`, due))
        const started = yield* Effect.all(
          stores.map((store, n) =>
            Effect.gen(function*() {
              const owner = `owner-${n}`
              const mine: Array<string> = []
              for (;;) {
                const { jobs } = yield* store.acquire({ owner, limit: 16, leaseMs: 60_000 })
                if (jobs.length === 0) return mine
                const outcomes = yield* store.release(
                  owner,
                  jobs.map((leased) => ({
                    leased,
                    plan: {
                      due: true,
                      runTimes: [due],
                      missed: [],
                      missedSummary: undefined,
                      nextRunTime: due + 3_600_000,
                      jobRemoved: false
                    }
                  }))
                )
                for (const o of outcomes) if (o._tag === "Released") mine.push(...o.runs.map((r) => r.jobId))
              }
            })
          ),
          { concurrency: "unbounded" }
        )
        const all = started.flat()
        expect(all.length).toBe(300)
        expect(new Set(all).size).toBe(300)
      }).pipe(Effect.scoped))
  })
}

describe("SqlJobStore transactions (PostgreSQL)", () => {
  const backend = backends.find((b) => b.name === "PostgreSQL")!
  it.scoped("a COMMIT that fails is a StoreError (not a defect); nothing of the release is kept", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { sql, store, t } = yield* open(backend)
      // a deferred constraint trigger raises at COMMIT
      const fn = sql(`${t.runs}_refuse`)
      yield* sql`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`
      yield* sql`CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON ${sql(t.runs)} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${fn}()`
      yield* store.add(makeJob("c", T0))
      const leased = yield* lease(store, A, "c")
      const exit = yield* Effect.exit(store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 }) }]))
      expect(exit._tag).toBe("Failure")
      if (exit._tag === "Failure") {
        expect(Cause.isFailType(exit.cause)).toBe(true)
        expect(Cause.squash(exit.cause)).toMatchObject({ _tag: "StoreError", operation: "release" })
        expect(String((Cause.squash(exit.cause) as Error).message)).toContain("refused at commit")
      }
      expect(yield* store.getRuns("c")).toEqual([])
      const [row] = yield* sql<{ acquired_by: string | null; next_run_time: unknown }>`SELECT acquired_by, next_run_time FROM ${
        sql(t.jobs)
      } WHERE id = ${"c"}`
      expect([row!.acquired_by, Number(row!.next_run_time)]).toEqual([A, T0]) // still leased, not advanced
      // the database accepts commits again: the same release goes through
      yield* sql`DROP TRIGGER refuse ON ${sql(t.runs)}`
      const [outcome] = yield* store.release(A, [{ leased, plan: plan({ runTimes: [T0], nextRunTime: T0 + 10_000 }) }])
      expect(started(outcome!).map((r) => r.scheduledTime)).toEqual([T0])
      yield* sql`DROP FUNCTION ${fn}()`
    }))
})

for (const backend of backends) {
  describe(`SqlJobStore on the database's clock (${backend.name})`, () => {
    it.scoped("acquire and release judge due times and leases by the server's time, not Effect's Clock", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0) // Effect's clock far in the past: not used
        const { store } = yield* open(backend, "database")
        const wall = Date.now()
        yield* store.add(makeJob("due", wall - 60_000))
        yield* store.add(makeJob("later", wall + 3_600_000))
        const got = yield* store.acquire({ owner: A, limit: 10, leaseMs: 30_000 })
        expect(Math.abs(got.now - wall)).toBeLessThan(10_000)
        expect(got.jobs.map((l) => l.job.id)).toEqual(["due"])
        const [outcome] = yield* store.release(A, [{
          leased: got.jobs[0]!,
          plan: {
            due: true,
            runTimes: [wall - 60_000],
            missed: [],
            missedSummary: undefined,
            nextRunTime: wall + 60_000,
            jobRemoved: false
          }
        }])
        expect(outcome).toMatchObject({ _tag: "Released", runs: [{ scheduledTime: wall - 60_000, fence: 1 }] })
        const [run] = outcome!._tag === "Released" ? outcome!.runs : []
        expect(Math.abs(run!.recordedAt - wall)).toBeLessThan(10_000)
        expect(run!.acquiredUntil).toBe(got.now + 30_000) // the job's lease end
      }))
  })

  describe(`SqlJobStore default clock (${backend.name})`, () => {
    const database = backend.name !== "SQLite"
    it.scoped(
      database
        ? "without a clock option (no Lock, or Lock.leased): the database's time judges due times, a skewed Effect clock does not; with Lock.single: Effect's clock"
        : "without a clock option: Effect's clock (the process's), whatever the Lock",
      () =>
        Effect.gen(function*() {
          const wall = Date.now()
          // Effect's clock a day ahead of the server: a job due in an hour looks due by it
          yield* TestClock.setTime(wall + 86_400_000)
          const build = (lock: Layer.Layer<Lock.Lock, unknown> | undefined) =>
            Effect.gen(function*() {
              const sql = yield* backend.client()
              const prefix = uniquePrefix("clk")
              backend.prefixes.push(prefix)
              const make = Effect.provideService(SqlJobStore.make({ tablePrefix: prefix }), SqlClient.SqlClient, sql)
              return yield* (lock === undefined ? make : Effect.provide(make, lock))
            })
          for (const lock of [undefined, Lock.leased()]) {
            const store = yield* build(lock)
            yield* store.add(makeJob("due", wall - 60_000))
            yield* store.add(makeJob("in-an-hour", wall + 3_600_000))
            const got = yield* store.acquire({ owner: A, limit: 10, leaseMs: 30_000 })
            if (database) {
              expect(Math.abs(got.now - wall)).toBeLessThan(60_000)
              expect(got.jobs.map((l) => l.job.id)).toEqual(["due"])
            } else {
              expect(got.now).toBe(wall + 86_400_000)
              expect(got.jobs.map((l) => l.job.id)).toEqual(["due", "in-an-hour"])
            }
          }
          const single = yield* build(Lock.single())
          yield* single.add(makeJob("in-an-hour", wall + 3_600_000))
          const got = yield* single.acquire({ owner: A, limit: 10, leaseMs: 30_000 })
          expect(got.now).toBe(wall + 86_400_000)
          expect(got.jobs.map((l) => l.job.id)).toEqual(["in-an-hour"])
        })
    )
  })

  describe(`SqlJobStore schema versions (${backend.name})`, () => {
    it.scoped(`records schema version ${SCHEMA_VERSION}; refuses to claim from a newer one, and says so`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const { prefix, sql, store, t } = yield* open(backend)
        const [{ v }] = yield* sql<{ v: unknown }>`SELECT MAX(migration_id) AS v FROM ${sql(t.migrations)}`
        expect(Number(v)).toBe(SCHEMA_VERSION)
        yield* store.add(makeJob("due", T0))
        expect((yield* acquired(store, { owner: A })).map((j) => j.id)).toEqual(["due"])
        // a newer release migrated the database
        yield* sql`INSERT INTO ${sql(t.migrations)} (migration_id, name) VALUES (${SCHEMA_VERSION + 1}, ${"future"})`
        yield* TestClock.adjust("1 minute")
        const refused = yield* Effect.flip(store.acquire({ owner: A, limit: 10, leaseMs: 1000 }))
        expect(refused).toMatchObject({ _tag: "StoreError", operation: "acquire" })
        expect(refused.reason).toContain(`schema version ${SCHEMA_VERSION + 1}`)
        // a store opened on it now: built (with a warning), reads, refuses to claim
        const logs: Array<string> = []
        const again = yield* logged(
          Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock: "effect" }), SqlClient.SqlClient, sql),
          logs
        )
        expect(logs.some((m) => m.includes(`schema version ${SCHEMA_VERSION + 1}`))).toBe(true)
        expect((yield* again.getAll).map((j) => j.id)).toEqual(["due"])
        expect((yield* Effect.flip(again.acquire({ owner: A, limit: 10, leaseMs: 1000 })))._tag).toBe("StoreError")
      }))
  })
}

describe("SqlJobStore job ids (MariaDB)", () => {
  const backend = backends.find((b) => b.name === "MariaDB")!
  it.scoped("an id longer than the column is a StoreError, never a truncated id", () =>
    Effect.gen(function*() {
      const { store } = yield* open(backend)
      const id = "x".repeat(300)
      const error = yield* Effect.flip(store.add(makeJob(id, T0)))
      expect(error._tag).toBe("StoreError")
      expect(yield* store.getAll).toEqual([])
      yield* store.add(makeJob("x".repeat(255), T0))
      expect((yield* Effect.flip(store.add(makeJob("x".repeat(255), T0))))._tag).toBe("ConflictingIdError")
    }))
})

describe("SqlJobStore schema version 2 (SQLite)", () => {
  it.scoped("upgrades a version 1 database: the runs kept, in scheduled-time order with a (job_id) index, claims go on", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 7_200_000)
      const sql = yield* SqlJobStore.sqliteClient({ filename: ":memory:" })
      const prefix = uniquePrefix("v1")
      const t = tables(prefix)
      // a database as version 1 left it: migration 1 only, a job and runs of two jobs
      yield* Migrator.make({})({
        loader: Migrator.fromRecord({ "0001_create_jobs": createTables(sql, prefix) }),
        table: t.migrations
      }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      const row = Either.getOrThrow(encodeJob(makeJob("a", T0 + 7_200_000, { maxInstances: 2 })))
      yield* sql`INSERT INTO ${sql(t.jobs)} (id, next_run_time, data, version, fence_seq) VALUES (${row.id}, ${row.nextRunTime}, ${row.data}, 1, 2)`
      const run = (jobId: string, st: number, state: string, fence: number, ended: number | null) =>
        sql`INSERT INTO ${sql(t.runs)} (job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, miss_count, last_time, ended_at) VALUES (${jobId}, ${st}, ${st}, ${state}, ${fence}, 1, ${
          ended === null ? A : null
        }, ${ended === null ? T0 + 9_000_000 : null}, 1, ${st}, ${ended})`
      yield* run("a", T0 + 3_600_000, "running", 2, null)
      yield* run("a", T0, "succeeded", 1, T0 + 5)
      yield* run("b", T0 + 1_800_000, "missed", 0, T0 + 1_800_000)
      const all = sql`SELECT * FROM ${sql(t.runs)} ORDER BY job_id, scheduled_time`
      const before = yield* all
      const key = sql<{ name: string }>`SELECT name FROM pragma_table_info(${t.runs}) WHERE pk > 0 ORDER BY pk`
      expect((yield* key).map((c) => c.name)).toEqual(["job_id", "scheduled_time"])

      const store = yield* Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock: "effect" }), SqlClient.SqlClient, sql)
      const ids = yield* sql<{ migration_id: unknown }>`SELECT migration_id FROM ${sql(t.migrations)} ORDER BY migration_id`
      expect(ids.map((r) => Number(r.migration_id))).toEqual([1, 2])
      expect((yield* key).map((c) => c.name)).toEqual(["scheduled_time", "job_id"])
      expect(yield* all).toEqual(before)
      // stored in scheduled-time order
      const stored = yield* sql<{ job_id: string }>`SELECT job_id, recorded_at FROM ${sql(t.runs)}`
      expect(stored.map((r) => r.job_id)).toEqual(["a", "b", "a"])
      const indexes = yield* sql<{ name: string }>`SELECT name FROM pragma_index_list(${t.runs}) WHERE origin = 'c' ORDER BY name`
      expect(indexes.map((i) => i.name)).toEqual(["runs_ended", "runs_job", "runs_leased", "runs_live"].map((n) => `${prefix}_${n}`))
      const plans = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM ${sql(t.runs)} WHERE job_id = ${"a"} ORDER BY scheduled_time`
      expect(plans.map((p) => p.detail).join(" ")).toContain(`${prefix}_runs_job`)

      // the store reads the runs, the live one counts for maxInstances, fences go on from the job's
      expect((yield* store.getRuns("a")).map((r) => [r.scheduledTime, r.state, r.fence])).toEqual([
        [T0, "succeeded", 1],
        [T0 + 3_600_000, "running", 2]
      ])
      const leased = yield* lease(store, A, "a")
      const [outcome] = yield* store.release(A, [{
        leased,
        plan: plan({ runTimes: [T0 + 3_600_000, T0 + 7_200_000], nextRunTime: T0 + 10_800_000 })
      }])
      // the key that exists is not recorded again; the new run takes fence 3
      expect(started(outcome!).map((r) => [r.scheduledTime, r.fence])).toEqual([[T0 + 7_200_000, 3]])
      expect((yield* store.getRuns("a")).length).toBe(3)
      // run again on a database in time order, the migration leaves it as it is
      yield* clusterRunsByTime(sql, prefix)
      expect((yield* all).length).toBe(4)
    }))
})
