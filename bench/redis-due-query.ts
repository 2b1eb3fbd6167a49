/**
 * BENCH due-query backend=redis: 100,000 jobs stored in Redis, 1,000 of them due; one `acquire`
 * (limit 1,000) and one `release` of the 1,000 plans (one run each), through the store's Effects
 * (rows decoded, plans encoded, one Lua script each). Median of 15 rounds in ms (`best_ms`: the
 * fastest round, for a loaded machine). Target ≤ 20 ms.
 * The store reads Redis TIME (the default clock). Needs the machine's Redis (`REDIS_URL`).
 * `server_acquire_ms` / `server_release_ms`: the time the server spent in the scripts (the
 * `INFO commandstats` EVALSHA µs before and after each call), the rest is the client and the
 * network. `release_ms` is the median round minus the median acquire.
 */
import * as Effect from "effect/Effect"
import { Redis } from "ioredis"
import * as Job from "../src/job/Job.js"
import * as TaskRef from "../src/job/TaskRef.js"
import type { RunPlan } from "../src/planning/planRuns.js"
import * as RedisJobStore from "../src/stores/RedisJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"

const N = 100_000
const DUE = 1_000
const ROUNDS = 15
const URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const prefix = `bench:due-query:${process.pid}`

const trigger = unsafeCompile({ type: "interval", seconds: 1, startDate: "2024-01-01T00:00:00Z", timezone: "UTC" })
const task = TaskRef.make("bench:noop")
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const plan = (t: number, next: number): RunPlan => ({
  due: true,
  runTimes: [t],
  missed: [],
  missedSummary: undefined,
  nextRunTime: next,
  jobRemoved: false
})

const main = Effect.gen(function*() {
  const store = yield* RedisJobStore.make({ url: URL, prefix })
  const raw = new Redis(URL)
  const [sec] = yield* Effect.promise(() => raw.time())
  const now = Number(sec) * 1000
  const past = now - 3_600_000
  const future = now + 30 * 86_400_000
  // 1,000 due (in the past), 99,000 next month
  yield* Effect.forEach(
    Array.from({ length: N }, (_, i) => i),
    (i) => store.add(Job.make({ id: `job-${i}`, task, trigger, nextRunTime: i < DUE ? past + i : future + i, maxInstances: 100 })),
    { concurrency: 128, discard: true }
  )
  const times: Array<number> = []
  const acquires: Array<number> = []
  const serverAcquire: Array<number> = []
  const serverRelease: Array<number> = []
  // the server's time in scripts (INFO commandstats: EVALSHA µs; other clients' scripts in the
  // same instant would count too)
  const scriptUsec = Effect.map(
    Effect.promise(() => raw.info("commandstats")),
    (info) => Number(/cmdstat_evalsha:.*?usec=(\d+)/.exec(info)?.[1] ?? 0)
  )
  for (let r = 0; r < ROUNDS; r++) {
    const u0 = yield* scriptUsec
    const start = performance.now()
    const { jobs } = yield* store.acquire({ owner: "bench", limit: DUE, leaseMs: 30_000 })
    const mid = performance.now()
    const u1 = yield* scriptUsec
    const mid2 = performance.now()
    // the jobs stay due (next run time in the past), each round records one run each
    const outcomes = yield* store.release(
      "bench",
      jobs.map((leased) => ({ leased, plan: plan(past - 1000 * (r + 1), past) })),
      null
    )
    const end = performance.now()
    const u2 = yield* scriptUsec
    times.push(end - mid2 + mid - start)
    acquires.push(mid - start)
    serverAcquire.push((u1 - u0) / 1000)
    serverRelease.push((u2 - u1) / 1000)
    if (jobs.length !== DUE) throw new Error(`round ${r}: acquired ${jobs.length}, expected ${DUE}`)
    const runs = outcomes.flatMap((o) => (o._tag === "Released" ? o.runs : []))
    if (runs.length !== DUE) throw new Error(`round ${r}: ${runs.length} runs released, expected ${DUE}`)
    yield* store.complete(runs.map((run) => ({
      jobId: run.jobId,
      scheduledTime: run.scheduledTime,
      fence: run.fence,
      state: "succeeded" as const,
      startedAt: now,
      finishedAt: now
    })))
  }
  // cleanup
  let cursor = "0"
  do {
    const [next, keys] = yield* Effect.promise(() => raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 5000))
    cursor = next
    if (keys.length > 0) yield* Effect.promise(() => raw.del(...keys))
  } while (cursor !== "0")
  raw.disconnect()
  console.log(
    `BENCH due-query backend=redis ms=${median(times).toFixed(2)} jobs=${N} due=${DUE} best_ms=${Math.min(...times).toFixed(2)} acquire_ms=${
      median(acquires).toFixed(2)
    } release_ms=${(median(times) - median(acquires)).toFixed(2)} server_acquire_ms=${median(serverAcquire).toFixed(2)} server_release_ms=${
      median(serverRelease).toFixed(2)
    }`
  )
})

Effect.runPromise(Effect.scoped(main)).catch((e) => {
  console.error(e)
  process.exit(1)
})
