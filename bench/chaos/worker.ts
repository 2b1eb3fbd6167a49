/**
 * A chaos scheduler process: one scheduler with `Lock.leased` on the shared store the harness
 * names, running the harness's jobs (task `chaos.body`). Every start and end of a job body is one
 * JSON line appended to this process's log file (appended synchronously, so it survives SIGKILL).
 * Stops on SIGTERM (shutdown without waiting). Configured by environment variables (see run.ts).
 *
 * The job body guards its side effect as README tells users to: at its start it presents its
 * fence to the fenced sink (a table in a separate PostgreSQL database, see sink.ts); at its end it
 * checks its lease synchronously (`ctx.isLeaseValid(margin)`: the heartbeat's deadline, without
 * waiting for the AbortSignal) and only then writes its completion there with a fenced upsert;
 * the sink accepts a completion only when no higher fence has been presented or written for that
 * (job, time). The fence alone cannot refuse a stale holder whose successor has not reached the
 * sink yet; the lease check closes that window. The body logs whether its completion was accepted,
 * or that it stopped without writing: `aborted` with `how` `signal` (its AbortSignal fired; `reason`
 * is the scheduler's: a lost lease, or the shutdown) or `lease-check` (the check refused the write).
 *
 * The process also logs the run leases it is granted (each `release` and `recover` that starts a
 * run, each renewal the store accepts) with the local time before the call: the harness counts a
 * run as holding a valid lease until that time plus the lease (never later than the store's own
 * lease end), which is how it tells a run with a valid lease from a frozen or stale one.
 *
 * `CHAOS_CLOCK_OFFSET_MS` (scenario D) shifts this process's Effect `Clock` (not `Date.now`, which
 * the logs use): the store's clock must judge leases and misfires, so the shift must not matter.
 */
import * as fs from "node:fs"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as JobContext from "../../src/job/JobContext.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { isLive, JobStore, type Run } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import { openSink } from "./sink.js"
import { storeLayer } from "./store.js"

const env = (name: string): string => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`chaos worker: ${name} is not set`)
  return v
}

const leaseMs = Number(env("CHAOS_LEASE_MS"))
const offsetMs = Number(process.env.CHAOS_CLOCK_OFFSET_MS ?? "0")
const log = fs.openSync(env("CHAOS_LOG"), "a")
const line = (fields: Record<string, unknown>) => fs.writeSync(log, JSON.stringify({ pid: process.pid, ...fields }) + "\n")
const sink = openSink(env("CHAOS_SINK_URL"), env("CHAOS_PREFIX"))

/**
 * How long before its lease deadline a body stops writing to the sink: longer than a sink write
 * takes, so a write the check let through lands while the lease still holds (a fifth of the lease).
 */
const SINK_MARGIN_MS = Math.floor(leaseMs / 5)

/** The reason of an abort: the `reason` of the run's `RunInterruptedError`, else the value as text. */
const reasonOf = (reason: unknown): string =>
  typeof reason === "object" && reason !== null && "reason" in reason ? String(reason.reason) : String(reason)

/**
 * Scenario B's fence probe (run.ts): SIGUSR2 arms it; the next body of one of `CHAOS_PROBE_JOBS`
 * (short bodies, `maxInstances: 1`) whose lease check passes then blocks this process's event loop
 * for `CHAOS_PROBE_STALL_MS` (longer than the lease: a stop-the-world pause between the check and
 * the write, the case a fencing token exists for) and writes after it without checking again. A
 * peer has recovered the run by then and presented its higher fence: the sink must refuse the write.
 */
const probeJobs = new Set((process.env.CHAOS_PROBE_JOBS ?? "").split(",").filter((id) => id !== ""))
const probeStallMs = Number(process.env.CHAOS_PROBE_STALL_MS ?? "0")
let probeArmed = false
if (probeJobs.size > 0) process.on("SIGUSR2", () => (probeArmed = true))

/**
 * The job body: logs its start, presents its fence to the sink, works `ms` (stops early when
 * aborted), writes its completion to the sink, logs its end.
 */
const body = async (ms: number) => {
  const ctx = JobContext.current()!
  const run = { job: ctx.jobId, t: ctx.scheduledTime, attempt: ctx.attempt, fence: ctx.fence }
  line({ ev: "start", at: Date.now(), ...run })
  await sink.present(ctx.jobId, ctx.scheduledTime, ctx.fence).catch((e) => line({ ev: "sink-error", at: Date.now(), ...run, error: String(e) }))
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer)
      resolve()
    })
  })
  // why it was stopped: the run's RunInterruptedError says (a lost lease, or the shutdown)
  if (ctx.signal.aborted) return void line({ ev: "aborted", how: "signal", reason: reasonOf(ctx.signal.reason), at: Date.now(), ...run })
  // the lease check, read synchronously right before the side effect: the heartbeat may not have
  // fired the signal yet (a busy or stalled process); the margin covers the sink write's trip
  if (!ctx.isLeaseValid(SINK_MARGIN_MS)) return void line({ ev: "aborted", how: "lease-check", at: Date.now(), ...run })
  if (probeArmed && probeJobs.has(ctx.jobId)) {
    probeArmed = false
    line({ ev: "probe", at: Date.now(), ...run })
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, probeStallMs)
  }
  const wat = Date.now()
  try {
    const accepted = await sink.complete(ctx.jobId, ctx.scheduledTime, ctx.fence, process.pid, ctx.attempt)
    line({ ev: "end", at: Date.now(), wat, accepted, ...run })
  } catch (e) {
    line({ ev: "end", at: Date.now(), wat, accepted: null, error: String(e), ...run })
  }
}

/** Logs a lease granted (or renewed) to this process: valid at least until `from + ms`. */
const granted = (how: string, runs: ReadonlyArray<Run>, from: number, ms: number) => {
  const at = Date.now()
  for (const r of runs) {
    if (r.fence > 0 && isLive(r.state)) {
      line({ ev: "lease", how, at, from, until: from + ms, job: r.jobId, t: r.scheduledTime, fence: r.fence, attempt: r.attempt })
    }
  }
}

/** The store, with every lease it grants this process logged. */
const loggedStore = Layer.effect(
  JobStore,
  Effect.map(JobStore, (store) =>
    JobStore.of({
      ...store,
      release: (owner, decisions, runLeaseMs) => {
        const from = Date.now()
        return Effect.tap(store.release(owner, decisions, runLeaseMs), (outcomes) =>
          Effect.sync(() => {
            // omitted: held until the end of the job's lease (the claim's); the harness's claims use leaseMs
            const ms = runLeaseMs ?? leaseMs
            for (const o of outcomes) if (o._tag === "Released") granted("release", o.runs, from, ms)
          }))
      },
      recover: (claim) => {
        const from = Date.now()
        return Effect.tap(store.recover(claim), (r) => Effect.sync(() => granted("recover", r.runs.map((x) => x.run), from, claim.leaseMs)))
      },
      renewRuns: (owner, runs, ms) => {
        const from = Date.now()
        return Effect.tap(store.renewRuns(owner, runs, ms), (ok) =>
          Effect.sync(() => {
            const at = Date.now()
            runs.forEach((r, i) => {
              const run = { job: r.jobId, t: r.scheduledTime, fence: r.fence }
              if (ms > 0) line({ ev: ok[i] ? "lease" : "renew-refused", how: "renew", at, from, until: from + ms, ...run })
              else line({ ev: "handback", at: from, job: r.jobId, t: r.scheduledTime, fence: r.fence })
            })
          }))
      }
    }))
).pipe(Layer.provide(storeLayer(env("CHAOS_BACKEND"), env("CHAOS_TARGET"), env("CHAOS_PREFIX"))))

/** The default clock shifted by `offsetMs` (time readings only; sleeps are unchanged). */
const shifted = (offset: number): Clock.Clock => {
  const base = Clock.make()
  return {
    ...base,
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis() + offset,
    currentTimeMillis: Effect.sync(() => base.unsafeCurrentTimeMillis() + offset),
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n),
    sleep: (d) => base.sleep(d)
  }
}

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler
  yield* scheduler.start()
  line({ ev: "up", at: Date.now(), offsetMs })
  yield* Effect.async<void>((resume) => {
    process.once("SIGTERM", () => resume(Effect.void))
  })
  yield* scheduler.shutdown({ wait: false })
  line({ ev: "down", at: Date.now() })
})

const layer = SchedulerModule.layerDefault({ timezone: "UTC", executors: { default: { type: "default", maxWorkers: 400 } } }, {
  tasks: { "chaos.body": body }
}).pipe(
  Layer.provide(loggedStore),
  Layer.provide(Lock.leased({ leaseMs }))
)

Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(layer), Logger.withMinimumLogLevel(LogLevel.Error), Effect.withClock(shifted(offsetMs)))
).then(
  () => process.exit(0),
  (error) => {
    line({ ev: "crash", at: Date.now(), error: String(error) })
    process.exit(1)
  }
)
