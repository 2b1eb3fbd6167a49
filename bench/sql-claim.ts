/**
 * BENCH claim: 10,000 one-second interval jobs due at one instant on the live clock, through the
 * scheduler's whole loop on a SQL store (acquire, plan, release, submit, run, complete), for
 * SQLite (a file), PostgreSQL and MariaDB: runs per second from the due instant until the last of
 * the 10,000 first runs has started. Each backend runs twice in one process, under `Lock.single`
 * and under the default policy for a persistent store (`Lock.leased`, with the store's default
 * clock: the database's on PostgreSQL and MariaDB), and prints both and their ratio. The jobs are
 * seeded in bulk (setup); extra arguments pick backends.
 *
 * A watchdog ends a run that makes no progress for `STALL_S` seconds (default 60) with a
 * `stalled=` line instead of waiting for `bench/run.ts` to kill the process.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
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
import * as Lock from "../src/stores/Lock.js"
import * as SqlJobStore from "../src/stores/sql/SqlJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"
import { type Backend, backends, benchPrefix, seed } from "./_sql.js"

const N = 10_000
const LEAD_MS = 1500
const STALL_MS = Number(process.env.STALL_S ?? 60) * 1000

const trigger = unsafeCompile({ type: "interval", seconds: 1, startDate: "2024-01-01T00:00:00Z", timezone: "UTC" })
const task = TaskRef.make("tick")
const liveClock = Clock.make()

type Mode = "single" | "leased"

const bench = (backend: Backend, mode: Mode) =>
  Effect.gen(function*() {
    const prefix = `${benchPrefix("claim")}_${mode}`
    yield* Effect.addFinalizer(() => Effect.ignore(backend.cleanup(prefix)))
    const sql = yield* backend.client
    // leased: the default for a persistent store (no Lock given), with the store's default clock;
    // MariaDB's session statement as layerMysql's default (the other dialects ignore it)
    const lock: Layer.Layer<Lock.Lock, never> = mode === "single" ? Layer.orDie(Lock.single()) : Layer.empty as never
    const store = yield* SqlJobStore.make({ tablePrefix: prefix, idleInTransactionTimeoutMs: 10_000 }).pipe(
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.provide(lock)
    )
    const finished = yield* Deferred.make<number>()
    const seen = new Set<number>()
    const tick = (i: number) => {
      seen.add(i)
      if (seen.size === N) Deferred.unsafeDone(finished, Effect.succeed(performance.now() + performance.timeOrigin))
    }
    // a run that stops making progress fails with how far it got (never a silent hang)
    const watchdog = Effect.gen(function*() {
      let last = -1
      let since = Date.now()
      while (true) {
        yield* Effect.sleep("1 second")
        if (seen.size !== last) {
          last = seen.size
          since = Date.now()
        } else if (Date.now() - since > STALL_MS) {
          return yield* Effect.fail(`stalled=${seen.size}/${N} for ${STALL_MS / 1000}s`)
        }
      }
    }).pipe(Effect.withClock(liveClock))
    // seeded with a lead; the scheduler started before they are due
    const due = Math.ceil(Date.now() + LEAD_MS + 500)
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
      const end = yield* Effect.raceFirst(Deferred.await(finished), watchdog)
      yield* scheduler.shutdown({ wait: true })
      return end
    }).pipe(
      Effect.scoped,
      Effect.provide(
        SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { tick } }).pipe(
          Layer.provide(Layer.succeed(JobStore, store)),
          Layer.provide(lock)
        )
      ),
      Effect.either
    )
    if (end._tag === "Left") {
      console.log(`BENCH claim backend=${backend.name} lock=${mode} ${end.left} jobs=${N}`)
      return undefined
    }
    const seconds = (end.right - due) / 1000
    const runs = yield* store.getRuns("job-00000")
    const rate = Math.round(N / seconds)
    console.log(
      `BENCH claim backend=${backend.name} lock=${mode} runs_per_s=${rate} jobs=${N} seconds=${seconds.toFixed(2)} first_job_runs=${runs.length}`
    )
    return rate
  }).pipe(Effect.scoped)

const main = Effect.forEach(backends(), (backend) =>
  Effect.gen(function*() {
    const single = yield* bench(backend, "single")
    const leased = yield* bench(backend, "leased")
    if (single !== undefined && leased !== undefined) {
      console.log(`BENCH claim-ratio backend=${backend.name} leased_over_single=${(leased / single).toFixed(2)}`)
    }
  }), { discard: true }).pipe(Logger.withMinimumLogLevel(LogLevel.Error))

Effect.runPromise(main).then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
