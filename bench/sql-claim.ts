/**
 * BENCH claim: 10,000 one-second interval jobs due at one instant on the live clock, through the
 * scheduler's whole loop on a SQL store (acquire, plan, release, submit, run, complete), for
 * SQLite (a file), PostgreSQL and MariaDB: runs per second from the due instant until the last of
 * the 10,000 first runs has started. The jobs are seeded in bulk (setup); extra arguments pick
 * backends.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Job from "../src/job/Job.js"
import * as TaskRef from "../src/job/TaskRef.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import { JobStore } from "../src/stores/JobStore.js"
import * as SqlJobStore from "../src/stores/sql/SqlJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"
import { type Backend, backends, benchPrefix, seed } from "./_sql.js"

const N = 10_000
const LEAD_MS = 1500

const trigger = unsafeCompile({ type: "interval", seconds: 1, startDate: "2024-01-01T00:00:00Z", timezone: "UTC" })
const task = TaskRef.make("tick")

const bench = (backend: Backend) =>
  Effect.gen(function*() {
    const prefix = benchPrefix("claim")
    yield* Effect.addFinalizer(() => Effect.ignore(backend.cleanup(prefix)))
    const sql = yield* backend.client
    const store = yield* Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, clock: "effect" }), SqlClient.SqlClient, sql)
    const finished = yield* Deferred.make<number>()
    const seen = new Set<number>()
    let due = 0
    const tick = (i: number) => {
      seen.add(i)
      if (seen.size === N) Deferred.unsafeDone(finished, Effect.succeed(performance.now() + performance.timeOrigin))
    }
    // seeded with a lead; the scheduler started before they are due
    due = Math.ceil(Date.now() + LEAD_MS + 500)
    yield* seed(
      sql,
      prefix,
      Array.from({ length: N }, (_, i) =>
        Job.make({ id: `job-${String(i).padStart(5, "0")}`, task, args: [i], trigger, nextRunTime: due, misfireGraceTime: null }))
    )
    if (Date.now() > due - 200) throw new Error("seeding took longer than the lead: raise LEAD_MS")
    const end = yield* Effect.gen(function*() {
      const scheduler = yield* Scheduler
      yield* scheduler.start()
      const end = yield* Deferred.await(finished)
      yield* scheduler.shutdown({ wait: true })
      return end
    }).pipe(
      Effect.scoped,
      Effect.provide(
        SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { tick } }).pipe(
          Layer.provide(Layer.succeed(JobStore, store))
        )
      )
    )
    const seconds = (end - due) / 1000
    const runs = yield* store.getRuns("job-00000")
    console.log(
      `BENCH claim backend=${backend.name} runs_per_s=${Math.round(N / seconds)} jobs=${N} seconds=${seconds.toFixed(2)} first_job_runs=${runs.length}`
    )
  }).pipe(Effect.scoped)

const main = Effect.forEach(backends(), bench, { discard: true }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
