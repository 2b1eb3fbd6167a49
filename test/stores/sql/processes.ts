/**
 * Helpers of the multi-process SQL store tests: jobs written to a store by a paused scheduler of
 * the test process, child processes running fixtures/schedulerProcess.ts (each signalled only by
 * the pid it was spawned with), and the calls files the children's jobs append to.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { ExpectStatic } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import type { StoreError } from "../../../src/errors.js"
import * as SchedulerModule from "../../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../../src/scheduler/Scheduler.js"
import type { AddJobOptions } from "../../../src/scheduler/Scheduler.js"
import type { JobStore } from "../../../src/stores/JobStore.js"

const FIXTURE = path.join(import.meta.dirname, "fixtures", "schedulerProcess.ts")

/** The tasks of the fixture, by name (the test process only needs them to exist at add time). */
export const TASKS = { tick: () => undefined, hang: () => undefined }

/** Writes jobs into a store (through a scheduler started paused, so nothing runs), then closes it. */
export const seedJobs = (
  store: Layer.Layer<JobStore, StoreError>,
  jobs: ReadonlyArray<{ readonly task: keyof typeof TASKS; readonly options: AddJobOptions }>
): Promise<void> =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const scheduler = yield* Scheduler
      yield* scheduler.start({ paused: true })
      for (const job of jobs) yield* scheduler.addJob(job.task, job.options)
      yield* scheduler.shutdown()
    })).pipe(
      Effect.provide(SchedulerModule.layerDefault({ timezone: "UTC" }, { tasks: TASKS }).pipe(Layer.provide(store))),
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )
  )

/** The environment of one scheduler process (see fixtures/schedulerProcess.ts). */
export interface SchedulerProcessEnv {
  readonly STORE: string
  readonly TABLE_PREFIX: string
  readonly LOCK: "single" | "leased"
  readonly CALLS: string
  readonly LEASE_MS?: string
  readonly MARKER?: string
  readonly RUN_UNTIL?: string
  /** A file the test writes the end time to once the processes are ready (instead of RUN_UNTIL). */
  readonly RUN_UNTIL_FILE?: string
}

/** A spawned scheduler process. */
export interface SchedulerProcess {
  readonly pid: number
  /** Resolves when the process printed `READY` (rejects if it ends first). */
  readonly ready: Promise<void>
  /** Resolves with the exit code (or the signal) when the process has ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: () => string
  /** Sends `signal` to this process (only if it still runs). */
  readonly kill: (signal: NodeJS.Signals) => void
}

const running = new Set<ChildProcess>()

/** Spawns `node --import tsx fixtures/schedulerProcess.ts` with `env`. */
export const spawnScheduler = (env: SchedulerProcessEnv): SchedulerProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  let output = ""
  child.stdout!.setEncoding("utf8").on("data", (d: string) => void (output += d))
  child.stderr!.setEncoding("utf8").on("data", (d: string) => void (output += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  )
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/^READY$/m.test(output)) resolve()
    }
    child.stdout!.on("data", check)
    void exited.then(() => {
      check()
      reject(new Error(`scheduler process ${child.pid} ended before READY:\n${output}`))
    })
  })
  ready.catch(() => {}) // awaited by the test; never an unhandled rejection
  return {
    pid: child.pid!,
    ready,
    exited,
    output: () => output,
    kill: (signal) => {
      if (running.has(child)) process.kill(child.pid!, signal)
    }
  }
}

/** Kills (SIGKILL) every scheduler process this file spawned that still runs: for `afterAll`. */
export const killSpawned = async (): Promise<void> => {
  const left = [...running]
  for (const child of left) process.kill(child.pid!, "SIGKILL")
  await Promise.all(left.map((child) => new Promise((resolve) => child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve))))
}

/** Waits until `file` exists (polling every 20 ms), at most `timeoutMs`. */
export const waitForFile = async (file: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The calls a process's jobs recorded: `[jobId, scheduled time]` per line. */
export const readCalls = (file: string): Array<readonly [string, number]> =>
  fs.existsSync(file)
    ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => {
      const [jobId, time] = l.split(" ")
      return [jobId!, Number(time)] as const
    })
    : []

/** A whole second at least `ms` from now (a start date for interval jobs). */
export const secondAfter = (ms: number): Date => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000)

/** What {@link twoProcesses} found. */
export interface TwoProcessesSummary {
  readonly runs: number
  readonly callsA: number
  readonly callsB: number
}

/**
 * Two scheduler processes (`Lock.leased`, the database's clock) on one store, `jobs` jobs every
 * second for `seconds` s of real time: every scheduled time from the first on has exactly one
 * run row and at most one call, across both processes: before the end of the window, the row
 * succeeded and the call was made; from the end on, a row may be one the shutdown handed back
 * unstarted (`ready`, its lease expired, no call). Counts, never timings.
 * `expect` is the test's own (the tests run concurrently).
 */
export const twoProcesses = async (expect: ExpectStatic, options: {
  /** The `STORE` of the children (`sqlite:<file>` or a PostgreSQL URL). */
  readonly store: string
  readonly tablePrefix: string
  /** The same store, for the test process (to write the jobs). */
  readonly seedStore: Layer.Layer<JobStore, StoreError>
  /** A client on the same database (to read the runs table). */
  readonly client: Effect.Effect<SqlClient.SqlClient, StoreError, Scope.Scope>
  /** Where the calls files go. */
  readonly dir: string
  readonly jobs: number
  readonly seconds: number
}): Promise<TwoProcessesSummary> => {
  // the children start first (a tsx start on a loaded machine can take many seconds); the jobs
  // and the end of the window are written once both are ready
  const untilFile = path.join(options.dir, "run-until.txt")
  const callFiles = ["a", "b"].map((name) => path.join(options.dir, `calls-${name}.txt`))
  const children = callFiles.map((calls) =>
    spawnScheduler({
      STORE: options.store,
      TABLE_PREFIX: options.tablePrefix,
      LOCK: "leased",
      CALLS: calls,
      RUN_UNTIL_FILE: untilFile
    })
  )
  for (const child of children) await child.ready
  const first = secondAfter(3_000)
  const ids = Array.from({ length: options.jobs }, (_, i) => `job-${i}`)
  await seedJobs(options.seedStore, ids.map((id) => ({
    task: "tick",
    options: {
      id,
      trigger: "interval",
      triggerArgs: { seconds: 1, startDate: first },
      // the first run is `first` even when seeding ends after it (a loaded machine)
      nextRunTime: first,
      coalesce: false,
      misfireGraceTime: null,
      // children that start late (tsx, a loaded machine) catch up several seconds in one pass,
      // and those runs may still be live when the next second comes: a low limit would skip
      // (correctly) the next run, which is not what this test is about
      maxInstances: 100
    }
  })))
  const until = first.getTime() + options.seconds * 1000
  fs.writeFileSync(untilFile, String(until))
  for (const child of children) expect(await child.exited, child.output()).toEqual({ code: 0, signal: null })

  const [callsA, callsB] = callFiles.map(readCalls) as [Array<readonly [string, number]>, Array<readonly [string, number]>]
  const calls = [...callsA, ...callsB].map(([id, t]) => `${id}@${t}`)
  const rows = await Effect.runPromise(Effect.scoped(Effect.flatMap(options.client, (sql) =>
    sql<{ job_id: string; scheduled_time: unknown; state: string; acquired_until: unknown }>`SELECT job_id, scheduled_time, state, acquired_until FROM ${
      sql(`${options.tablePrefix}_runs`)
    }`)))
  const checkedAt = Date.now()
  // a run due at the end of the window or later may have been claimed ahead of its time and then
  // handed back by the shutdown, never started: left `ready` with an expired lease, for a later
  // process to run (the shutdown waits for started runs only)
  const handedBack = rows.filter((r) => r.state === "ready" && Number(r.scheduled_time) >= until)
  const ended = rows.filter((r) => !handedBack.includes(r))
  const runKeys = ended.map((r) => `${r.job_id}@${Number(r.scheduled_time)}`)

  // every run before the end ended (none missed, skipped or left ready); one call per scheduled
  // time, never two
  expect(ended.filter((r) => r.state !== "succeeded")).toEqual([])
  expect(handedBack.filter((r) => Number(r.acquired_until) > checkedAt)).toEqual([])
  expect(calls.length - new Set(calls).size).toBe(0)
  // the calls are exactly the ended run rows (a handed-back run was never called)
  expect([...calls].sort()).toEqual([...runKeys].sort())
  // none lost: every job ran every second from the first on, without a gap
  const byJob = new Map<string, Array<number>>(ids.map((id) => [id, []]))
  for (const r of rows) byJob.get(r.job_id)!.push(Number(r.scheduled_time))
  for (const [id, times] of byJob) {
    times.sort((x, y) => x - y)
    expect(times.map((t, k) => t - first.getTime() - k * 1000), id).toEqual(times.map(() => 0))
  }
  // the test did something: at least half the slots of the window ran
  expect(rows.length).toBeGreaterThan((options.jobs * options.seconds) / 2)
  return { runs: rows.length, callsA: callsA.length, callsB: callsB.length }
}
