/**
 * BENCH register: adding jobs through the public Effect API (`scheduler.addJob` on a started
 * scheduler with its memory store, the live clock, logs at their default level), as a user adds
 * them: interval jobs (`{ minutes: 1 + i % 50 }`, each starting one interval after its add) and
 * cron jobs (`{ minute: i % 60, hour: "*\/2" }`). Jobs per second and heap bytes per job (after
 * a full GC; run with --expose-gc). Targets (issue 12): ≥ 100,000 jobs/s and ≤ 1,000 bytes per job
 * for both kinds. `cpu_us_per_job`: the process's CPU time per add (steadier than wall time on a
 * busy machine). `REGISTER_N` sets the number of jobs (default 100,000).
 *
 * `BENCH register million`: with `REGISTER_MILLION=1`, 1,000,000 interval jobs then 1,000,000 cron
 * jobs added the same way to one scheduler in one process (issue 12: a million jobs of each kind),
 * with the heap after a full GC; then the other lines are skipped.
 *
 * `BENCH register store=sqlite`: 10,000 cron jobs (a task reference, one argument) added the same
 * way to a started scheduler whose default store is a SQLite file (WAL), in ms per job. Target
 * (issue 12): ≤ 0.26 ms (APScheduler's SQLAlchemyJobStore on SQLite: 2.6 ms); `cpu_us_per_job` as above.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Scheduler from "../src/scheduler/Scheduler.js"

const N = Number(process.env.REGISTER_N ?? 100_000)

const gc = (globalThis as { gc?: () => void }).gc
const heap = () => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

const task = () => undefined

const options = (kind: "interval" | "cron", i: number): Scheduler.AddJobOptions =>
  kind === "interval"
    ? { id: `job-${i}`, trigger: "interval", triggerArgs: { minutes: 1 + (i % 50) } }
    : { id: `job-${i}`, trigger: "cron", triggerArgs: { minute: i % 60, hour: "*/2" } }

if (process.env.REGISTER_MILLION === "1") {
  const M = 1_000_000
  const runtime = ManagedRuntime.make(Scheduler.layerDefault({ timezone: "UTC" }, { start: true }).pipe(Layer.orDie))
  const scheduler = await runtime.runPromise(Scheduler.Scheduler)
  const before = heap()
  const start = performance.now()
  for (const kind of ["interval", "cron"] as const) {
    await runtime.runPromise(Effect.gen(function*() {
      for (let i = 0; i < M; i++) yield* scheduler.addJob(task, { ...options(kind, i), id: `${kind}-${i}` })
    }))
  }
  const elapsed = performance.now() - start
  const after = heap()
  const count = (await runtime.runPromise(scheduler.getJobs())).length
  if (count !== 2 * M) throw new Error(`expected ${2 * M} jobs, got ${count}`)
  console.log(
    `BENCH register million interval=${M} cron=${M} jobs_per_s=${Math.round((2 * M) / (elapsed / 1000))} heap_mib=${
      Math.round(after / 1048576)
    } bytes_per_job=${Math.round((after - before) / (2 * M))}${gc === undefined ? " (no --expose-gc)" : ""}`
  )
  await runtime.dispose()
  process.exit(0)
}

for (const kind of ["interval", "cron"] as const) {
  const runtime = ManagedRuntime.make(Scheduler.layerDefault({ timezone: "UTC" }, { start: true }).pipe(Layer.orDie))
  const scheduler = await runtime.runPromise(Scheduler.Scheduler)
  // warm-up (JIT), then removed
  await runtime.runPromise(Effect.gen(function*() {
    for (let i = 0; i < 2_000; i++) yield* scheduler.addJob(task, options(kind, i))
    yield* scheduler.removeAllJobs()
  }))
  const before = heap()
  const cpu = process.cpuUsage()
  const start = performance.now()
  await runtime.runPromise(Effect.gen(function*() {
    for (let i = 0; i < N; i++) yield* scheduler.addJob(task, options(kind, i))
  }))
  const elapsed = performance.now() - start
  const used = process.cpuUsage(cpu)
  const after = heap()
  const count = (await runtime.runPromise(scheduler.getJobs())).length
  if (count !== N) throw new Error(`expected ${N} jobs, got ${count}`)
  console.log(
    `BENCH register kind=${kind} n=${N} jobs_per_s=${Math.round(N / (elapsed / 1000))} bytes_per_job=${
      Math.round((after - before) / N)
    } cpu_us_per_job=${((used.user + used.system) / N).toFixed(1)}${gc === undefined ? " (no --expose-gc)" : ""}`
  )
  await runtime.dispose()
}

{
  const n = 10_000
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-bench-register-"))
  const runtime = ManagedRuntime.make(
    Scheduler.layerDefault(
      { timezone: "UTC", jobstores: { default: { type: "sqlite", filename: path.join(dir, "jobs.sqlite") } } },
      { start: true, tasks: { report: task } }
    ).pipe(Layer.orDie)
  )
  try {
    const scheduler = await runtime.runPromise(Scheduler.Scheduler)
    const add = (i: number) =>
      scheduler.addJob("report", { id: `job-${i}`, args: [i], trigger: "cron", triggerArgs: { minute: i % 60, hour: "*/2" } })
    await runtime.runPromise(Effect.gen(function*() {
      for (let i = 0; i < 500; i++) yield* add(i)
      yield* scheduler.removeAllJobs()
    }))
    const cpu = process.cpuUsage()
    const start = performance.now()
    await runtime.runPromise(Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* add(i)
    }))
    const elapsed = performance.now() - start
    const used = process.cpuUsage(cpu)
    const count = (await runtime.runPromise(scheduler.getJobs())).length
    if (count !== n) throw new Error(`expected ${n} jobs, got ${count}`)
    console.log(
      `BENCH register store=sqlite n=${n} ms_per_job=${(elapsed / n).toFixed(4)} cpu_us_per_job=${((used.user + used.system) / n).toFixed(1)}`
    )
  } finally {
    await runtime.dispose()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
