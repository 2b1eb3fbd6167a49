/**
 * The chaos harness (`npm run chaos`, `npm run chaos:full`): several scheduler processes on one
 * store, killed with SIGKILL and cut off from the database, and an account of every scheduled time.
 *
 * It bundles `worker.ts` with esbuild (a tsx start costs about a second per restart), adds the
 * workload to a fresh store (own table / key prefix), spawns the processes, injects the faults of
 * the scenario from a seeded random source, stops the processes, reads the store's run records and
 * the processes' JSON-line logs, and prints one line per backend and scenario:
 *
 *   BENCH chaos backend=<b> scenario=<A|C> seconds=… processes=… slots=… duplicate_fired=…
 *   duplicate_completed=… reexecuted=… lost=… missed=… skipped=… max_instances_violations=…
 *   failover_p99_ms=… lateness_p99_ms=… seed=…
 *
 * Counts: `duplicate_fired` = (job, time) with two attempt-1 starts; `duplicate_completed` = (job,
 * time) whose body ran to its end twice (a re-run while the first holder still finished: the
 * fenced sink of accepted completions that would tell accepted from refused ends is not built
 * yet); `reexecuted` = starts with attempt ≥ 2; `lost` = interval slots and date jobs without a run
 * record; `max_instances_violations` = moments a job had more bodies running than its
 * `maxInstances` (a body counts from its start to its end, abort, or its process's kill).
 *
 * Scenarios: A kills a random process every 10 s (SIGKILL) and restarts it 2 s later; C is A plus
 * the proxy in front of the database resetting for 30 s and blackholing for 30 s (network backends
 * only). It signals only the processes it spawned. With `--check`, a nonzero duplicate / lost /
 * max-instances count exits 1.
 *
 * Usage: tsx bench/chaos/run.ts [--backend pg|sqlite|mysql|redis] [--scenario A|C] [--seconds N]
 *        [--processes N] [--seed N] [--check] [--full]
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import type { Run } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import { type Mode, startProxy } from "./proxy.js"
import { storeLayer } from "./store.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../..")

// -- options -----------------------------------------------------------------------------------------

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback
}

/** One run of the harness. */
interface Plan {
  readonly backend: string
  readonly scenario: "A" | "C"
  readonly seconds: number
  readonly processes: number
  readonly seed: number
  readonly leaseMs: number
}

// -- a seeded random source (mulberry32) --------------------------------------------------------------

const rng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// -- the workload ---------------------------------------------------------------------------------

/** A job of the workload. */
interface Spec {
  readonly id: string
  readonly kind: "interval" | "cron" | "date"
  readonly bodyMs: number
  readonly maxInstances: number
  readonly coalesce: boolean
  readonly runDate?: number
}

const workload = (backend: string, random: () => number, firstAt: number, seconds: number): Array<Spec> => {
  const body = () => (random() < 0.02 ? 15_000 : 50 + Math.floor(random() * 250))
  const specs: Array<Spec> = []
  const intervals = backend === "sqlite" ? 50 : 200
  for (let i = 0; i < intervals; i++) {
    specs.push({ id: `i${i}`, kind: "interval", bodyMs: body(), maxInstances: i % 2 === 0 ? 1 : 3, coalesce: false })
  }
  if (backend !== "sqlite") {
    for (let i = 0; i < 20; i++) {
      specs.push({ id: `c${i}`, kind: "cron", bodyMs: body(), maxInstances: i % 2 === 0 ? 1 : 3, coalesce: true })
    }
    for (let i = 0; i < 30; i++) {
      const runDate = firstAt + Math.floor(random() * (seconds - 10) * 1000)
      specs.push({ id: `d${i}`, kind: "date", bodyMs: body(), maxInstances: 1, coalesce: true, runDate })
    }
  }
  return specs
}

// -- backends -----------------------------------------------------------------------------------------

const targets: Record<string, { readonly port?: number; readonly target: (port: number | undefined, dir: string) => string }> = {
  pg: { port: 5432, target: (port) => `postgres://postgres@127.0.0.1:${port}/test` },
  mysql: { port: 3306, target: (port) => `mysql://root@127.0.0.1:${port}/test` },
  redis: { port: 6379, target: (port) => `redis://127.0.0.1:${port}` },
  sqlite: { target: (_port, dir) => path.join(dir, "chaos.sqlite") }
}

// -- the run ----------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const bundle = async (): Promise<string> => {
  const esbuild = await import("esbuild")
  const out = path.join(root, "node_modules", ".cache", "effect-apscheduler-chaos", "worker.mjs")
  await esbuild.build({
    entryPoints: [path.join(here, "worker.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: out,
    logLevel: "error"
  })
  return out
}

const quantile = (xs: Array<number>, q: number) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** One backend and scenario: returns the BENCH line's counts. */
const runOne = async (plan: Plan, workerFile: string): Promise<Record<string, number | string>> => {
  const random = rng(plan.seed)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-"))
  const prefix = `chaos_${plan.seed}_${Date.now().toString(36)}`
  const backend = targets[plan.backend]
  if (backend === undefined) throw new Error(`unknown backend ${plan.backend}`)
  const proxy = backend.port !== undefined ? await startProxy(backend.port) : undefined
  const direct = backend.target(backend.port, dir)
  const viaProxy = backend.target(proxy?.port, dir)

  // the workload goes into the store before any scheduler process starts
  const firstAt = Math.ceil((Date.now() + 6_000) / 1000) * 1000
  const specs = workload(plan.backend, random, firstAt, plan.seconds)
  const producer = Effect.gen(function*() {
    const scheduler = yield* Scheduler
    for (const s of specs) {
      const trigger = s.kind === "interval"
        ? { trigger: "interval", triggerArgs: { seconds: 1, startDate: new Date(firstAt) } }
        : s.kind === "cron"
        ? { trigger: "cron", triggerArgs: { second: "*/5", startDate: new Date(firstAt) } }
        : { trigger: "date", triggerArgs: { runDate: new Date(s.runDate!) } }
      yield* scheduler.addJob("chaos.body", {
        id: s.id,
        args: [s.bodyMs],
        ...trigger,
        coalesce: s.coalesce,
        maxInstances: s.maxInstances,
        misfireGraceTime: 60
      })
    }
    yield* scheduler.start({ paused: true })
    yield* scheduler.shutdown()
  })
  const storeOf = () => storeLayer(plan.backend, direct, prefix)
  await Effect.runPromise(
    producer.pipe(
      Effect.scoped,
      Effect.provide(
        SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: { "chaos.body": () => undefined } }).pipe(
          Layer.provide(storeOf()),
          Layer.provide(Lock.leased({ leaseMs: plan.leaseMs }))
        )
      ),
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )
  )

  // the processes
  const logs: Array<string> = []
  const children = new Map<number, ChildProcess>()
  const kills: Array<{ pid: number; at: number }> = []
  const faults: Array<{ from: number; to: number }> = []
  const startChild = (slot: number) => {
    const log = path.join(dir, `p${slot}-${logs.length}.jsonl`)
    logs.push(log)
    const child = spawn(process.execPath, [workerFile], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        CHAOS_LOG: log,
        CHAOS_BACKEND: plan.backend,
        CHAOS_TARGET: viaProxy,
        CHAOS_PREFIX: prefix,
        CHAOS_LEASE_MS: String(plan.leaseMs)
      }
    })
    children.set(slot, child)
  }
  for (let i = 0; i < plan.processes; i++) startChild(i)

  const started = Date.now()
  const end = started + plan.seconds * 1000
  let nextKill = started + 10_000
  const restarts: Array<{ slot: number; at: number }> = []
  // scenario C: reset for 30 s from a sixth of the run, then blackhole for up to 30 s, ending at
  // least 15 s before the end (the processes must recover before the account is taken)
  const resetAt = started + Math.floor(plan.seconds / 6) * 1000
  const holeAt = resetAt + 35_000
  const holeEnd = Math.min(holeAt + 30_000, end - 15_000)
  const faultPlan: Array<{ at: number; mode: Mode }> = plan.scenario === "C" && proxy !== undefined
    ? [
      { at: resetAt, mode: "reset" },
      { at: resetAt + 30_000, mode: "pass" },
      ...(holeEnd > holeAt ? [{ at: holeAt, mode: "blackhole" as const }, { at: holeEnd, mode: "pass" as const }] : [])
    ]
    : []
  let faultFrom = 0
  while (Date.now() < end) {
    const now = Date.now()
    if (now >= nextKill) {
      const alive = [...children.entries()]
      const [slot, child] = alive[Math.floor(random() * alive.length)]!
      child.kill("SIGKILL")
      kills.push({ pid: child.pid!, at: now })
      children.delete(slot)
      restarts.push({ slot, at: now + 2_000 })
      nextKill += 10_000
    }
    for (const r of [...restarts]) {
      if (now >= r.at) {
        restarts.splice(restarts.indexOf(r), 1)
        startChild(r.slot)
      }
    }
    while (faultPlan.length > 0 && now >= faultPlan[0]!.at) {
      const f = faultPlan.shift()!
      if (f.mode !== "pass") faultFrom = now
      else faults.push({ from: faultFrom, to: now })
      proxy!.setMode(f.mode)
    }
    await sleep(50)
  }
  if (proxy !== undefined && proxy.mode() !== "pass") {
    faults.push({ from: faultFrom, to: Date.now() })
    proxy.setMode("pass")
  }
  const stopAt = Date.now()
  // stop: SIGTERM (shutdown), then SIGKILL whoever is still there after 10 s
  await Promise.all([...children.values()].map((child) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      child.once("exit", () => {
        clearTimeout(timer)
        resolve()
      })
      child.kill("SIGTERM")
    })
  ))
  await proxy?.close()

  // -- the account -----------------------------------------------------------------------------------
  const runs = new Map<string, ReadonlyArray<Run>>()
  await Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* JobStore
      for (const s of specs) runs.set(s.id, yield* store.getRuns(s.id))
    }).pipe(Effect.scoped, Effect.provide(storeOf()), Effect.provide(Lock.leased({ leaseMs: plan.leaseMs })))
  )
  interface Line {
    readonly pid: number
    readonly ev: string
    readonly at: number
    readonly job?: string
    readonly t?: number
    readonly attempt?: number
  }
  const lines: Array<Line> = []
  for (const log of logs) {
    if (!fs.existsSync(log)) continue
    for (const l of fs.readFileSync(log, "utf8").split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l))
  }
  const killedAt = new Map(kills.map((k) => [k.pid, k.at]))
  const inFault = (t: number) =>
    kills.some((k) => t >= k.at - 1_000 && t <= k.at + plan.leaseMs + 3_000) ||
    faults.some((f) => t >= f.from - 1_000 && t <= f.to + plan.leaseMs + 3_000)

  // slots: every interval time from the first to the last whole second the processes ran for
  const cutoff = stopAt - 2_000
  let slots = 0
  let lost = 0
  let missed = 0
  let skipped = 0
  for (const s of specs) {
    const rows = runs.get(s.id) ?? []
    const keys = new Set(rows.map((r) => r.scheduledTime))
    for (const r of rows) {
      if (r.state === "missed") missed += r.count
      if (r.state === "skipped") skipped++
    }
    if (s.kind === "interval") {
      for (let t = firstAt; t <= cutoff; t += 1000) {
        slots++
        if (!keys.has(t)) lost++
      }
    } else if (s.kind === "date" && s.runDate! <= cutoff) {
      slots++
      if (!keys.has(s.runDate!)) lost++
    } else if (s.kind === "cron") {
      for (let t = firstAt; t <= cutoff; t += 5000) slots++
      // coalesced cron times are either run or recorded missed: the next run time covers them
    }
  }
  // starts and ends per (job, time)
  const key = (l: Line) => `${l.job}@${l.t}`
  const firstStarts = new Map<string, number>()
  const ends = new Map<string, number>()
  let reexecuted = 0
  const lateness: Array<number> = []
  for (const l of lines) {
    if (l.ev === "start") {
      if ((l.attempt ?? 1) >= 2) reexecuted++
      else firstStarts.set(key(l), (firstStarts.get(key(l)) ?? 0) + 1)
      if (!inFault(l.t!)) lateness.push(l.at - l.t!)
    } else if (l.ev === "end") ends.set(key(l), (ends.get(key(l)) ?? 0) + 1)
  }
  const duplicateFired = [...firstStarts.values()].filter((n) => n > 1).length
  const duplicateCompleted = [...ends.values()].filter((n) => n > 1).length
  if (flag("verbose")) {
    // the lines of every (job, time) that ended twice, times relative to the stop
    for (const [k, n] of ends) {
      if (n < 2) continue
      const related = lines.filter((l) => l.job !== undefined && key(l) === k)
      console.error(`ended twice ${k}: ${related.map((l) => `${l.ev}#${l.attempt}@pid${l.pid}:${l.at - stopAt}ms`).join(" ")}`)
    }
    console.error(`kills (ms before the stop): ${kills.map((k) => k.at - stopAt).join(" ")}`)
  }
  // max instances: a body runs from its start to its end, or to its process's kill
  let violations = 0
  const byJob = new Map<string, Array<{ at: number; d: number; what: string }>>()
  const label = (l: Line) => `t${l.t! - stopAt}#${l.attempt}@pid${l.pid}`
  const open = new Map<string, Line>()
  for (const l of lines) {
    if (l.ev === "start") open.set(`${l.pid}:${key(l)}`, l)
    else if (l.ev === "end" || l.ev === "aborted") {
      const s = open.get(`${l.pid}:${key(l)}`)
      if (s === undefined) continue
      open.delete(`${l.pid}:${key(l)}`)
      const list = byJob.get(l.job!) ?? []
      list.push({ at: s.at, d: 1, what: label(s) }, { at: l.at, d: -1, what: `${label(s)} ${l.ev}` })
      byJob.set(l.job!, list)
    }
  }
  for (const s of open.values()) {
    const list = byJob.get(s.job!) ?? []
    list.push({ at: s.at, d: 1, what: label(s) }, { at: killedAt.get(s.pid) ?? stopAt, d: -1, what: `${label(s)} killed/stopped` })
    byJob.set(s.job!, list)
  }
  const maxOf = new Map(specs.map((s) => [s.id, s.maxInstances]))
  for (const [job, events] of byJob) {
    events.sort((a, b) => a.at - b.at || a.d - b.d)
    let n = 0
    const running = new Set<string>()
    for (const e of events) {
      n += e.d
      if (e.d > 0) running.add(e.what)
      else running.delete(e.what.split(" ")[0]!)
      if (n > maxOf.get(job)!) {
        violations++
        if (flag("verbose") && violations <= 10) {
          console.error(`max instances ${job} (max ${maxOf.get(job)}) at ${e.at - stopAt}ms: ${[...running].join(", ")}`)
        }
      }
    }
  }
  // failover: for each kill, the latest first start among interval slots due in the 3 s after it
  const failovers: Array<number> = []
  for (const k of kills) {
    let worst = 0
    for (const l of lines) {
      if (l.ev === "start" && (l.attempt ?? 1) === 1 && l.t! >= k.at && l.t! < k.at + 3_000) {
        worst = Math.max(worst, l.at - l.t!)
      }
    }
    failovers.push(worst)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    backend: plan.backend,
    scenario: plan.scenario,
    seconds: plan.seconds,
    processes: plan.processes,
    slots,
    duplicate_fired: duplicateFired,
    duplicate_completed: duplicateCompleted,
    reexecuted,
    lost,
    missed,
    skipped,
    max_instances_violations: violations,
    failover_p99_ms: quantile(failovers, 0.99),
    lateness_p99_ms: quantile(lateness, 0.99),
    kills: kills.length,
    seed: plan.seed
  }
}

const main = async () => {
  const full = flag("full")
  const seed = Number(opt("seed", String(Date.now() % 100_000)))
  const leaseMs = Number(opt("lease-ms", "5000"))
  const plans: Array<Plan> = []
  if (argv.includes("--backend")) {
    plans.push({
      backend: opt("backend", "pg"),
      scenario: opt("scenario", "A") as "A" | "C",
      seconds: Number(opt("seconds", "90")),
      processes: Number(opt("processes", "3")),
      seed,
      leaseMs
    })
  } else if (full) {
    for (const backend of ["pg", "mysql", "redis"]) {
      for (const scenario of ["A", "C"] as const) plans.push({ backend, scenario, seconds: 180, processes: 3, seed, leaseMs })
    }
    plans.push({ backend: "sqlite", scenario: "A", seconds: 180, processes: 3, seed, leaseMs })
  } else {
    plans.push({ backend: "pg", scenario: "C", seconds: 90, processes: 3, seed, leaseMs })
    plans.push({ backend: "sqlite", scenario: "A", seconds: 60, processes: 3, seed, leaseMs })
  }
  const workerFile = await bundle()
  let failed = false
  for (const plan of plans) {
    const r = await runOne(plan, workerFile)
    console.log(`BENCH chaos ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join(" ")}`)
    if (Number(r.duplicate_fired) + Number(r.duplicate_completed) + Number(r.lost) + Number(r.max_instances_violations) > 0) {
      failed = true
    }
  }
  if (flag("check") && failed) {
    console.error("chaos: a duplicate, lost run or max-instances violation was counted")
    process.exit(1)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
