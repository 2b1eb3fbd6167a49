/**
 * The chaos harness's scenarios and their faults (run.ts injects them): when processes are
 * killed, frozen, and the fault proxy resets or blackholes the database.
 */
import type { Mode } from "./proxy.js"

/** The scenarios. */
export const SCENARIOS = ["A", "B", "C", "D", "E", "F"] as const

/** A scenario name. */
export type Scenario = (typeof SCENARIOS)[number]

/** One run of the harness. */
export interface Plan {
  readonly backend: string
  readonly scenario: Scenario
  readonly seconds: number
  readonly processes: number
  readonly seed: number
  readonly leaseMs: number
}

/** The seed of the CI run (`--ci`), the number. */
export const CI_SEED = 11

/** How long the CI run (`--ci`, scenario F) injects faults per backend, in seconds. */
export const CI_SECONDS = 45

/**
 * The backends of the CI run (`--ci`), in order: the network backends whose outages the fault
 * proxy can make, PostgreSQL, Redis and MariaDB, then SQLite (three processes on one file: the
 * kills and the freeze, no proxy), about 50 s each.
 */
export const CI_BACKENDS = ["pg", "redis", "mysql", "sqlite"] as const

/** The CI run's plans: scenario F on each of {@link CI_BACKENDS}, three processes each. */
export const ciPlans = (options: { readonly seconds: number; readonly seed: number; readonly leaseMs: number }): Array<Plan> =>
  CI_BACKENDS.map((backend) => ({
    backend,
    scenario: "F",
    seconds: options.seconds,
    processes: 3,
    seed: options.seed,
    leaseMs: options.leaseMs
  }))

/** The misfire grace of a scenario's jobs, in seconds. */
export const graceOf = (scenario: Scenario) => (scenario === "E" ? 5 : 60)

/**
 * How long the harness waits after the faults for every job to be planned past the account's
 * cutoff before it takes the account (a slot still unplanned then counts as lost).
 */
export const SETTLE_MS = 60_000

/**
 * How long the server may keep a transaction whose client went silent, a bound the F schedule
 * is checked against: a blackhole that cuts a claim or release off between its statements leaves
 * that job's rows locked, unplanned by every process, until the server ends the session
 * (PostgreSQL's `idle_in_transaction_session_timeout`, MariaDB's `idle_transaction_timeout`: the
 * stores set both to 10 s by default, within this bound).
 */
export const IDLE_IN_TRANSACTION_MS = 60_000

/** A scenario's faults, in ms from the processes' start. */
export interface Schedule {
  /** When a random process (not frozen) is killed (SIGKILL), to be started again 2 s later. */
  readonly kills: ReadonlyArray<number>
  /** When a process is frozen (SIGSTOP) for the lease + 3 s. */
  readonly freezes: ReadonlyArray<number>
  /** When B arms a fence probe in a process (worker.ts), ms from the start. */
  readonly probes: ReadonlyArray<number>
  /** When the fault proxy changes mode (in order). */
  readonly proxy: ReadonlyArray<{ readonly at: number; readonly mode: Mode }>
}

/**
 * The faults of a scenario. A to E kill a random process every 10 s from 10 s; F at 12, 20, 31
 * and 43 s (in the freeze, in the blackhole, and 3 s after each outage's end, when the processes
 * catch up: a killed process's backlog of runs is recovered at once). B: a freeze every 60 s from
 * 30 s, and a fence probe (run.ts) 20 s after each, when it can end 10 s before the end. C, E: the proxy resets for 30 s from a sixth of the run, then
 * blackholes for up to 30 s, ending at least 15 s before the end. F (the CI run, 45 s): one
 * freeze at 6 s (to 14 s: a process up for 3 s, holding runs), a blackhole from 16 s to 28 s
 * (longer than the store timeout, 10 s, so that calls fail by it), a reset from 32 s to 40 s. No
 * proxy (SQLite): no proxy faults.
 */
export const scheduleOf = (plan: Plan, proxied: boolean): Schedule => {
  const ms = plan.seconds * 1000
  const kills: Array<number> = []
  if (plan.scenario === "F") kills.push(12_000, 20_000, 31_000, 43_000)
  else for (let at = 10_000; at < ms; at += 10_000) kills.push(at)
  const freezes: Array<number> = []
  if (plan.scenario === "B") for (let at = 30_000; at < ms; at += 60_000) freezes.push(at)
  if (plan.scenario === "F") freezes.push(6_000)
  // B's fence probes (worker.ts): 20 s after each freeze, when one can end 10 s before the end
  const probes: Array<number> = []
  if (plan.scenario === "B") for (let at = 50_000; at + plan.leaseMs + 4_000 <= ms - 10_000; at += 60_000) probes.push(at)
  const proxy: Array<{ at: number; mode: Mode }> = []
  if (proxied && (plan.scenario === "C" || plan.scenario === "E")) {
    const resetAt = Math.floor(plan.seconds / 6) * 1000
    const holeAt = resetAt + 35_000
    const holeEnd = Math.min(holeAt + 30_000, ms - 15_000)
    proxy.push({ at: resetAt, mode: "reset" }, { at: resetAt + 30_000, mode: "pass" })
    if (holeEnd > holeAt) proxy.push({ at: holeAt, mode: "blackhole" }, { at: holeEnd, mode: "pass" })
  }
  if (proxied && plan.scenario === "F") {
    // the blackhole early: a transaction it cuts off holds its row locks until the server's
    // idle_in_transaction_session_timeout (the store's default: 60 s), and no peer plans the jobs
    // it locked meanwhile; starting at 16 s, that ends by 76 s, well before the settle's limit
    // (the end + 60 s = 105 s)
    proxy.push({ at: 16_000, mode: "blackhole" }, { at: 28_000, mode: "pass" }, { at: 32_000, mode: "reset" }, {
      at: 40_000,
      mode: "pass"
    })
  }
  return { kills, freezes, probes, proxy }
}
