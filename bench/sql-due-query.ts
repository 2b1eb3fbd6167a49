/**
 * BENCH due-query: one `acquire` + `release` of 1,000 due jobs among 100,000 stored, through the
 * store (one run recorded per job, each job moved on by an hour), for SQLite (a file),
 * PostgreSQL and MariaDB; median of 9 rounds (the 1,000 jobs are made due again between rounds).
 * Target: ≤ 20 ms each. `npm run bench -- due-query` runs it; extra arguments pick backends.
 *
 * Printed beside it, in the same run: `acquire_ms` / `release_ms` (the store's two calls),
 * `driver_ms` (the same claim through the row-level driver alone: SQL without decoding jobs or
 * encoding plans) and `floor_ms` (the least SQL a claim needs, with the raw driver: one `SELECT`
 * of the due rows, one batched `INSERT` of the runs, one batched `UPDATE` of the jobs; see
 * `_floor.ts`), each the median of its rounds, and `ratio` = ms / floor_ms.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Job from "../src/job/Job.js"
import * as TaskRef from "../src/job/TaskRef.js"
import type { Decision } from "../src/stores/JobStore.js"
import { tables } from "../src/stores/sql/migrations.js"
import * as SqlJobStore from "../src/stores/sql/SqlJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"
import type { RowDecision } from "../src/stores/EncodedJobStore.js"
import * as Driver from "../src/stores/sql/internal/driver.js"
import { floorRounds } from "./_floor.js"
import { type Backend, backends, benchPrefix, median, seed } from "./_sql.js"

const JOBS = 100_000
const DUE = 1_000
const ROUNDS = 9
const HOUR = 3_600_000

const trigger = unsafeCompile({ type: "interval", hours: 1, startDate: "2024-01-01T00:00:00Z", timezone: "UTC" })
const task = TaskRef.make("report")

const bench = (backend: Backend) =>
  Effect.gen(function*() {
    const prefix = benchPrefix("due")
    yield* Effect.addFinalizer(() => Effect.ignore(backend.cleanup(prefix)))
    const sql = yield* backend.client
    // MariaDB's session statement as layerMysql's default (the other dialects ignore it)
    const store = yield* Effect.provideService(
      SqlJobStore.make({ tablePrefix: prefix, clock: "effect", idleInTransactionTimeoutMs: 10_000 }),
      SqlClient.SqlClient,
      sql
    )
    const now = Date.now()
    // 1,000 due (the last minute), 99,000 later (the next 24 hours)
    const jobs = Array.from({ length: JOBS }, (_, i) =>
      Job.make({
        id: `job-${String(i).padStart(6, "0")}`,
        task,
        args: [i],
        trigger,
        nextRunTime: i < DUE ? now - 60_000 + i : now + 60_000 + Math.floor((i / JOBS) * 24 * HOUR)
      }))
    yield* seed(sql, prefix, jobs)
    const dueIds = jobs.slice(0, DUE).map((j) => j.id)
    const t = tables(prefix)
    const times: Array<number> = []
    const acquires: Array<number> = []
    const releases: Array<number> = []
    const again = sql`UPDATE ${sql(t.jobs)} SET next_run_time = next_run_time - ${2 * HOUR} WHERE ${sql.in("id", dueIds)}`
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now()
      const { jobs: leased, now: at } = yield* store.acquire({ owner: "bench", limit: DUE, leaseMs: 30_000 })
      const decisions: Array<Decision> = leased.map((l) => ({
        leased: l,
        plan: {
          due: true,
          runTimes: [l.job.nextRunTime!],
          missed: [],
          missedSummary: undefined,
          nextRunTime: l.job.nextRunTime! + HOUR,
          jobRemoved: false
        }
      }))
      const mid = performance.now()
      const outcomes = yield* store.release("bench", decisions, null)
      const end = performance.now()
      times.push(end - start)
      acquires.push(mid - start)
      releases.push(end - mid)
      const started = outcomes.filter((o) => o._tag === "Released" && o.runs.length === 1).length
      if (leased.length !== DUE || started !== DUE) {
        throw new Error(`${backend.name}: acquired ${leased.length}, started ${started}, expected ${DUE}`)
      }
      // the runs end (not measured); the jobs are due again for the next round (new scheduled times: new run keys)
      yield* store.complete(outcomes.flatMap((o) =>
        o._tag === "Released"
          ? o.runs.map((r) => ({
            jobId: r.jobId,
            scheduledTime: r.scheduledTime,
            fence: r.fence,
            state: "succeeded" as const,
            startedAt: at,
            finishedAt: at
          }))
          : []
      ))
      yield* again.unprepared
    }
    // the same claims through the driver alone (no decoding, no encoding)
    const driver = yield* Effect.provideService(
      Driver.make({ name: "bench", prefix, clock: "effect", busyRetryMs: 10_000, purgeEveryMs: 60_000 }),
      SqlClient.SqlClient,
      sql
    )
    const driverTimes: Array<number> = []
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now()
      const { now: at, rows } = yield* driver.acquire({ owner: "bench", limit: DUE, leaseMs: 30_000 })
      const decisions: Array<RowDecision> = rows.map((r) => ({
        id: r.id,
        version: r.version,
        next: { nextRunTime: r.nextRunTime! + HOUR },
        runs: [{ scheduledTime: r.nextRunTime!, state: "ready", count: 1, lastTime: r.nextRunTime! }],
        maxInstances: 1
      }))
      const outcomes = yield* driver.release("bench", decisions, null)
      driverTimes.push(performance.now() - start)
      const runs = outcomes.flatMap((o) => (o._tag === "Released" ? o.runs : []))
      if (rows.length !== DUE || runs.length !== DUE) {
        throw new Error(`${backend.name} driver: acquired ${rows.length}, started ${runs.length}, expected ${DUE}`)
      }
      yield* driver.complete(runs.map((r) => ({
        jobId: r.jobId,
        scheduledTime: r.scheduledTime,
        fence: r.fence,
        state: "succeeded" as const,
        startedAt: at,
        finishedAt: at,
        result: null,
        error: null
      })))
      yield* again.unprepared
    }
    const floor = yield* Effect.promise(() => floorRounds(backend.name, backend.target, prefix, DUE, ROUNDS))
    const ms = median(times)
    console.log(
      `BENCH due-query backend=${backend.name} ms=${ms.toFixed(2)} jobs=${JOBS} due=${DUE} acquire_ms=${
        median(acquires).toFixed(2)
      } release_ms=${median(releases).toFixed(2)} driver_ms=${median(driverTimes).toFixed(2)} floor_ms=${
        median(floor).toFixed(2)
      } ratio=${(ms / median(floor)).toFixed(2)} rounds_ms=${times.map((x) => x.toFixed(1)).join(",")}`
    )
  }).pipe(Effect.scoped)

const main = Effect.forEach(backends(), bench, { discard: true }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
