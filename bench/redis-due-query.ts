/**
 * BENCH due-query backend=redis: 100,000 jobs stored in Redis, 1,000 of them due; one `acquire`
 * (limit 1,000) and one `release` of the 1,000 plans (one run each), through the store's Effects
 * (rows decoded, plans encoded, one Lua script each). Median of 15 rounds in ms (`best_ms`: the
 * fastest round, for a loaded machine). Target ≤ 20 ms.
 * The store reads Redis TIME (the default clock). Needs the machine's Redis (`REDIS_URL`).
 * `server_acquire_ms` / `server_release_ms`: the time the server spent in the scripts (the
 * `INFO commandstats` EVALSHA µs before and after each call), the rest is the client and the
 * network. `release_ms` is the median round minus the median acquire. `acquire_cmds` /
 * `release_cmds`: the Redis commands one call ran (median; `INFO commandstats` calls, scripts'
 * `redis.call`s included, the bench's own `INFO` left out) — exact on a private server
 * (`REDIS_URL=redis://127.0.0.1:6390`), other clients' commands count too on a shared one.
 * `acquire_bytes_out` / `release_bytes_in`: the bytes the server sent for one acquire (its
 * replies) and received for one release (its requests), median (`INFO stats` net bytes read just
 * before and after the call, less that `INFO`'s own request and reply; exact on a private server).
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
  // every command the server ran so far, but INFO (the bench's own reads)
  const commands = Effect.map(
    Effect.promise(() => raw.info("commandstats")),
    (info) => {
      let total = 0
      for (const m of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) if (m[1] !== "info") total += Number(m[2])
      return total
    }
  )
  // the CPU time the server process spent (INFO cpu: user + sys, µs resolution): under load a
  // steadier figure than the wall time
  const serverCpu = Effect.map(Effect.promise(() => raw.info("cpu")), (info) => {
    const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0)
    const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0)
    return (user + sys) * 1000
  })
  // the server's network bytes so far (INFO stats) and the size of this reading's own request
  // (counted in the figure it carries) and reply (counted in the next one)
  const INFO_REQUEST = Buffer.byteLength("*2\r\n$4\r\ninfo\r\n$5\r\nstats\r\n")
  const netBytes = Effect.map(Effect.promise(() => raw.info("stats")), (info) => ({
    input: Number(/total_net_input_bytes:(\d+)/.exec(info)?.[1] ?? 0),
    output: Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1] ?? 0),
    reply: Buffer.byteLength(info) + `$${Buffer.byteLength(info)}\r\n\r\n`.length
  }))
  const acquireBytes: Array<number> = []
  const releaseBytes: Array<number> = []
  const serverCpus: Array<number> = []
  const clientCpus: Array<number> = []
  const acquireCmds: Array<number> = []
  const releaseCmds: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = yield* commands
    const cpu0 = yield* serverCpu
    const u0 = yield* scriptUsec
    const n0 = yield* netBytes
    const own0 = process.cpuUsage()
    const start = performance.now()
    const { jobs } = yield* store.acquire({ owner: "bench", limit: DUE, leaseMs: 30_000 })
    const mid = performance.now()
    const own1 = process.cpuUsage(own0)
    const n1 = yield* netBytes
    acquireBytes.push(n1.output - n0.output - n0.reply)
    const u1 = yield* scriptUsec
    const c1 = yield* commands
    const n2 = yield* netBytes
    const own2 = process.cpuUsage()
    const mid2 = performance.now()
    // the jobs stay due (next run time in the past), each round records one run each
    const outcomes = yield* store.release(
      "bench",
      jobs.map((leased) => ({ leased, plan: plan(past - 1000 * (r + 1), past) })),
      null
    )
    const own3 = process.cpuUsage(own2)
    const end = performance.now()
    const n3 = yield* netBytes
    releaseBytes.push(n3.input - n2.input - INFO_REQUEST)
    const cpu1 = yield* serverCpu
    serverCpus.push(cpu1 - cpu0)
    clientCpus.push((own1.user + own1.system + own3.user + own3.system) / 1000)
    const u2 = yield* scriptUsec
    const c2 = yield* commands
    acquireCmds.push(c1 - c0)
    releaseCmds.push(c2 - c1)
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
    } acquire_cmds=${median(acquireCmds)} release_cmds=${median(releaseCmds)} acquire_bytes_out=${
      median(acquireBytes)
    } release_bytes_in=${median(releaseBytes)} server_cpu_ms=${median(serverCpus).toFixed(2)} client_cpu_ms=${
      median(clientCpus).toFixed(2)
    }`
  )
})

Effect.runPromise(Effect.scoped(main)).catch((e) => {
  console.error(e)
  process.exit(1)
})
