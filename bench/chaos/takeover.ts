/**
 * The chaos harness's takeover time of a run: when the scheduler had done its part for it, which
 * the failover figure measures (per kill, the latest takeover of the slots due in the 3 s after it).
 *
 * Most runs are taken over when they start. One `release` can grant a process several times of one
 * job at once (a backlog, coalesce off); they go to the executor as one submission, whose times run
 * one after the other (as APScheduler's `run_job` runs them), so every time but the earliest waits
 * for the bodies before it, not for a peer: such a run is taken over at its grant (the time the
 * `release` returned), or at its start if that came first. A slot so granted after a kill was taken
 * over then even when its holder dies in turn before starting it: its later start is a re-run
 * after that second death (as a running run's is), not the first death's takeover.
 *
 * Time a job spends at its `maxInstances` (that many runs holding a valid lease running) is not a
 * scheduler's delay either: no scheduler may start another run of it then. A slot whose run waited
 * for such a job (a recovered run behind the job's re-run 15 s bodies) counts without that time.
 */
import type { RunLine } from "./freezes.js"

/** The fields of a process's log line (worker.ts) that the takeover account reads. */
export interface GrantLine extends RunLine {
  /** When the grant's `release` / `recover` was sent (a `lease` line). */
  readonly from?: number
}

/**
 * The takeover time of each `start` line, from the `lease` lines of the same log. With `since` (a
 * kill's time), a queued grant of the start's slot returned at or after it counts too, whichever
 * run it granted (its holder may have died before starting it).
 */
export const takeovers = (lines: ReadonlyArray<GrantLine>): (start: GrantLine, since?: number) => number => {
  const grants = new Map<string, GrantLine>()
  for (const l of lines) {
    if (l.ev === "lease" && l.how !== "renew") grants.set(`${l.job}@${l.t}:${l.fence}`, l)
  }
  const queued = queuedGrants(grants.values())
  // per slot, the times its queued grants returned, earliest first
  const bySlot = new Map<string, Array<number>>()
  for (const g of queued) {
    const slot = `${g.job}@${g.t}`
    const times = bySlot.get(slot)
    if (times === undefined) bySlot.set(slot, [g.at])
    else times.push(g.at)
  }
  for (const times of bySlot.values()) times.sort((a, b) => a - b)
  return (start, since = Infinity) => {
    const own = grants.get(`${start.job}@${start.t}:${start.fence}`)
    const at = own !== undefined && queued.has(own) ? Math.min(start.at, own.at) : start.at
    const later = bySlot.get(`${start.job}@${start.t}`)?.find((t) => t >= since)
    return later !== undefined && later < at ? later : at
  }
}

/**
 * The grants of `release`s (renewals and recoveries left out) that queue a time behind an earlier
 * time of the same job in one submission: every grant of a release but its earliest time's.
 */
const queuedGrants = (grants: Iterable<GrantLine>): Set<GrantLine> => {
  // per release (process, job, send time): its grants; the earliest time heads its submission
  const releases = new Map<string, Array<GrantLine>>()
  for (const g of grants) {
    if (g.how !== "release") continue
    const release = `${g.pid}:${g.job}:${g.from}`
    const gs = releases.get(release)
    if (gs === undefined) releases.set(release, [g])
    else gs.push(g)
  }
  const queued = new Set<GrantLine>()
  for (const gs of releases.values()) {
    if (gs.length < 2) continue
    const head = Math.min(...gs.map((g) => g.t!))
    for (const g of gs) if (g.t !== head) queued.add(g)
  }
  return queued
}

/** A time span, `from` inclusive, `to` exclusive (ms). */
export interface Span {
  readonly from: number
  readonly to: number
}

/**
 * The spans in which at least `max` of `runs` overlap (a job at its `maxInstances`, from the
 * spans its runs held a valid lease), merged and in order.
 */
export const fullSpans = (runs: ReadonlyArray<Span>, max: number): Array<Span> => {
  const events = runs.flatMap((r) => (r.to > r.from ? [{ at: r.from, d: 1 }, { at: r.to, d: -1 }] : []))
  events.sort((a, b) => a.at - b.at || a.d - b.d)
  const out: Array<Span> = []
  let n = 0
  let since = 0
  for (const e of events) {
    const was = n >= max
    n += e.d
    if (!was && n >= max) since = e.at
    else if (was && n < max) {
      const last = out[out.length - 1]
      if (last !== undefined && last.to === since) out[out.length - 1] = { from: last.from, to: e.at }
      else if (e.at > since) out.push({ from: since, to: e.at })
    }
  }
  return out
}

/** How much of `from..to` the (ordered, disjoint) `spans` cover, in ms. */
export const covered = (spans: ReadonlyArray<Span>, from: number, to: number): number => {
  let ms = 0
  for (const s of spans) {
    if (s.from >= to) break
    const a = Math.max(s.from, from)
    const b = Math.min(s.to, to)
    if (b > a) ms += b - a
  }
  return ms
}
