/**
 * The chaos harness's takeover time of a run: when the scheduler had done its part for it, which
 * the failover figure measures (per kill, the latest takeover of the slots due in the 3 s after it).
 *
 * Most runs are taken over when they start. One `release` can grant a process several times of one
 * job at once (a backlog, coalesce off); they go to the executor as one submission, whose times run
 * one after the other (as APScheduler's `run_job` runs them), so every time but the earliest waits
 * for the bodies before it, not for a peer: such a run is taken over at its grant (the time the
 * `release` returned), or at its start if that came first.
 */
import type { RunLine } from "./freezes.js"

/** The fields of a process's log line (worker.ts) that the takeover account reads. */
export interface GrantLine extends RunLine {
  /** When the grant's `release` / `recover` was sent (a `lease` line). */
  readonly from?: number
}

/** The takeover time of each `start` line, from the `lease` lines of the same log. */
export const takeovers = (lines: ReadonlyArray<GrantLine>): (start: GrantLine) => number => {
  const grants = new Map<string, GrantLine>()
  for (const l of lines) {
    if (l.ev === "lease" && l.how !== "renew") grants.set(`${l.job}@${l.t}:${l.fence}`, l)
  }
  // per release (process, job, send time): its earliest time, the head of its submission
  const heads = new Map<string, number>()
  for (const g of grants.values()) {
    if (g.how !== "release") continue
    const release = `${g.pid}:${g.job}:${g.from}`
    heads.set(release, Math.min(heads.get(release) ?? Infinity, g.t!))
  }
  return (start) => {
    const g = grants.get(`${start.job}@${start.t}:${start.fence}`)
    if (g === undefined || g.how !== "release") return start.at
    return heads.get(`${g.pid}:${g.job}:${g.from}`) === start.t ? start.at : Math.min(start.at, g.at)
  }
}
