/**
 * The chaos harness's account of its freezes (scenarios B and F): what became of the runs a
 * process was running when it was frozen (SIGSTOP for the lease + 3 s, then SIGCONT).
 *
 * Such a run has lost its lease when the process resumes: no renewal can be sent while it is
 * stopped, and the freeze outlasts the lease. Two kinds:
 *
 * - held: its sink write had not begun. Its lease check must stop it: the heartbeat stops runs
 *   whose local deadline passed (the `AbortSignal` fires, reason "its lease could not be renewed
 *   in time", or "… taken over …"), or the body's synchronous `isLeaseValid` refuses the write
 *   (`how: "lease-check"`); counted in `leaseAborted`. A held run that began its write after the
 *   resume passed its lease check although its lease had ended: `leaseIgnored`.
 * - in flight: the check let its write through before the freeze (the lease held then) and the
 *   write landed after the resume: only the fenced sink can refuse it, when the run's successor
 *   presented a higher fence meanwhile (`refused`, a stale rejection).
 *
 * The demands: each freeze of a process that held runs shows at least one stale outcome (a lease
 * stop or a sink refusal: the stale holder was stopped, by one or the other), no held run ignored
 * its lost lease, and at least one freeze stopped a stale run (a freeze of an idle process
 * proves nothing). Without the lease check, the held runs would write after the resume:
 * `leaseIgnored` counts them, whether the sink refused them or not.
 */

/** The fields of a process's log line (worker.ts) that the freeze account reads. */
export interface RunLine {
  readonly pid: number
  readonly ev: string
  readonly at: number
  readonly job?: string
  readonly t?: number
  readonly fence?: number
  readonly how?: string
  readonly reason?: string
  readonly wat?: number
  readonly accepted?: boolean | null
}

/** A freeze: the process `pid` stopped from `from` to `to` (the harness's times, ms). */
export interface Freeze {
  readonly pid: number
  readonly from: number
  readonly to: number
}

/** What became of the runs a frozen process held. */
export interface FreezeOutcome extends Freeze {
  /** Runs in their body at the freeze that had not begun their sink write: their lease check was to come. */
  readonly held: number
  /** Runs whose sink write had begun before the freeze and ended after the resume. */
  readonly inFlight: number
  /** Held runs stopped by the process's lease check (signal for a lost lease, or `isLeaseValid`). */
  readonly leaseAborted: number
  /** Held or in-flight runs whose completion the sink refused as stale. */
  readonly refused: number
  /** Held runs that began their sink write after the resume: the lease check let them through. */
  readonly leaseIgnored: number
}

/** Whether a body's `aborted` line says its lease stopped it (not the shutdown). */
export const isLeaseStop = (l: RunLine): boolean =>
  l.ev === "aborted" && (l.how === "lease-check" || (l.reason !== undefined && /\blease\b/.test(l.reason)))

const runKey = (l: RunLine) => `${l.job}@${l.t}/f${l.fence}`

/** Whether a line ends a run's body: its completion written (`end`) or not (`aborted`). */
const ends = (l: RunLine) => l.ev === "end" || l.ev === "aborted"

/**
 * The runs of one process's log still in their body (a `start` without an `end` or `aborted`):
 * how the harness picks a process to freeze that holds runs (those `keep` accepts: the harness keeps
 * the runs whose body lasts past its SIGSTOP).
 */
export const openRuns = (lines: ReadonlyArray<RunLine>, keep: (start: RunLine) => boolean = () => true): number => {
  const open = new Map<string, RunLine>()
  for (const l of lines) {
    if (l.job === undefined) continue
    if (l.ev === "start") open.set(runKey(l), l)
    else if (ends(l)) open.delete(runKey(l))
  }
  let n = 0
  for (const start of open.values()) if (keep(start)) n++
  return n
}

/**
 * The outcome of each freeze, from the processes' log lines (any order). A run of the frozen
 * process counts when it logged its start before the freeze and neither its end nor its abort
 * before the resume: in flight when its sink write (`wat`) began before the resume (a write the
 * lease check let through while the lease held), else held.
 */
export const freezeOutcomes = (lines: ReadonlyArray<RunLine>, freezes: ReadonlyArray<Freeze>): Array<FreezeOutcome> =>
  freezes.map((f) => {
    const started: Array<string> = []
    const ended = new Map<string, RunLine>()
    for (const l of lines) {
      if (l.pid !== f.pid || l.job === undefined) continue
      if (l.ev === "start" && l.at < f.from) started.push(runKey(l))
      else if (ends(l)) ended.set(runKey(l), l)
    }
    let held = 0
    let inFlight = 0
    let leaseAborted = 0
    let refused = 0
    let leaseIgnored = 0
    for (const k of started) {
      const e = ended.get(k)
      if (e !== undefined && e.at < f.to) continue
      if (e?.ev === "end" && e.accepted === false) refused++
      if (e?.ev === "end" && e.wat !== undefined && e.wat < f.to) {
        inFlight++
        continue
      }
      held++
      if (e === undefined) continue
      if (isLeaseStop(e)) leaseAborted++
      if (e.ev === "end") leaseIgnored++
    }
    return { ...f, held, inFlight, leaseAborted, refused, leaseIgnored }
  })

/**
 * The check's complaints about the freezes (empty when they are met): every freeze of a process
 * that held runs stopped at least one stale run (a lease stop or a sink refusal), no held run
 * began its write after the resume, and, when there were freezes, at least one stopped a stale run
 * (a freeze of an idle process proves nothing).
 */
export const freezeDemands = (outcomes: ReadonlyArray<FreezeOutcome>): Array<string> => {
  const failed: Array<string> = []
  for (const o of outcomes) {
    if (o.held > 0 && o.leaseAborted + o.refused === 0) {
      failed.push(`freeze of pid${o.pid} held ${o.held} run(s): lease_aborted=0 and stale_rejected=0`)
    }
    if (o.leaseIgnored > 0) failed.push(`lease_ignored=${o.leaseIgnored} (freeze of pid${o.pid})`)
  }
  if (outcomes.length > 0 && outcomes.every((o) => o.leaseAborted + o.refused === 0)) {
    failed.push(`no stale outcome in ${outcomes.length} freeze(s): lease_aborted=0 and stale_rejected=0`)
  }
  return failed
}
