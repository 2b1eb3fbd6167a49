/**
 * The in-memory job store: the claiming primitives of {@link JobStoreService} in plain code, one
 * `Effect.sync` per call, time from Effect's `Clock` (so `TestClock` drives it).
 *
 * - Jobs (functions included) sit in an id map and an indexed binary heap ordered by their
 *   *effective due time* (then id): the next run time of a job not leased, `max(next run time,
 *   lease end)` of a leased one; paused jobs are not in the heap. `acquire` takes up to `limit`
 *   entries from the top whose key is `<= now` and pushes them back with the lease end as key:
 *   O(k log n) for k jobs, the others untouched. A live lease is thereby skipped for free, an
 *   expired one is due again, and `getNextRunTime` (the heap's top, O(1)) is also the end of the
 *   earliest lease. Add, update, remove are O(log n).
 * - Runs live in a history per job id (a `Map` by scheduled time) that hangs on the job's entry
 *   and outlives the job: a removed job's runs can still be completed and read, and a job added
 *   again with the same id takes its history back (its fences go on increasing, its live runs
 *   count for `maxInstances`). `removeAll` removes jobs only: the history is left to the purge.
 *   Run records are immutable: `complete` stores a new record, so a run `release` returned is a
 *   snapshot. `release` counts every live run for `maxInstances` (one whose holder's lease expired
 *   holds its slot until `recover` takes it over); `recover` counts the runs holding a valid lease.
 * - Purge, amortized in `release` / `complete` (never a scan of all runs): a finished run (or one
 *   that never started) is dropped once older than the retention (by `finishedAt`, else
 *   `recordedAt`; each job's ended runs queue in the order they ended, and a heap of jobs by their
 *   oldest ended run finds the next to drop), and a job keeps at most `maxRunsPerJob` runs (the
 *   first ended go first). Live runs are never purged.
 *
 * APScheduler: `MemoryJobStore`.
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ConflictingIdError, JobLookupError } from "../errors.js"
import type { Job } from "../job/Job.js"
import { isJsonEncodable, modify } from "../job/Job.js"
import type { Instant } from "../triggers/Trigger.js"
import type {
  Completion,
  Decision,
  JobStoreService,
  LeasedJob,
  RecoveredRun,
  ReleaseOutcome,
  Run,
  RunKey,
  RunState
} from "./JobStore.js"
import { compareJobs, DEFAULT_RUN_RETENTION_MS, isLive, JobStore } from "./JobStore.js"

/**
 * Options of a memory store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long finished runs are kept, in ms (default `DEFAULT_RUN_RETENTION_MS`, 7 days). */
  readonly runRetentionMs?: number | undefined
  /** At most this many runs are kept per job (default {@link DEFAULT_MAX_RUNS_PER_JOB}). */
  readonly maxRunsPerJob?: number | undefined
}

/**
 * How many runs a memory store keeps per job by default: 1000 (a per-second job would otherwise
 * keep 600,000 runs for the 7 days of retention).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_RUNS_PER_JOB = 1000

/** A stored job: its lease, version and heap place (`pos` -1: paused, not in the heap). */
interface Entry {
  readonly id: string
  job: Job
  /** The effective due time: next run time, or `max(next run time, acquiredUntil)` when leased. */
  key: number
  pos: number
  version: number
  acquiredBy: string | null
  acquiredUntil: number | null
  /** The job's run history, once it has one. */
  history: History | undefined
}

/** The runs of one job id (outlives the job). */
interface History {
  readonly jobId: string
  /** Runs by scheduled time (mostly in time order; `runs` sorts on read). */
  readonly runs: Map<number, Run>
  /** The last fence given (kept with the runs, so fences keep increasing when a job is re-added). */
  fenceSeq: number
  /** The job as it was when a `release` removed it after starting runs (recovery runs them from it). */
  removed: Job | undefined
  /** The latest scheduled time recorded: a later one is new without a lookup. */
  latest: number
  /** Runs in a live state (`ready` / `running`), expired leases included until recovered or completed. */
  live: Array<Run>
  /** Finished (or never started) runs in the order they ended: the purge queue. */
  done: Array<Run | undefined>
  doneHead: number
  /** When the first run of `done` ended (may lag behind after a cap purge: only ever smaller). */
  purgeKey: number
  inPurge: boolean
}

const REFUSED: ReleaseOutcome = Object.freeze({ _tag: "Refused" })
const EMPTY: ReadonlyArray<Run> = Object.freeze([])
const RELEASED_NOTHING: ReleaseOutcome = Object.freeze({ _tag: "Released", runs: EMPTY, skipped: false })
const RELEASED_SKIPPED: ReleaseOutcome = Object.freeze({ _tag: "Released", runs: EMPTY, skipped: true })

const less = (a: Entry, b: Entry): boolean => a.key < b.key || (a.key === b.key && a.id < b.id)

const keyOf = (nextRunTime: number, acquiredUntil: number | null): number =>
  acquiredUntil === null || acquiredUntil <= nextRunTime ? nextRunTime : acquiredUntil

const endOf = (run: Run): number => run.finishedAt ?? run.recordedAt

const newRun = (
  jobId: string,
  scheduledTime: Instant,
  recordedAt: Instant,
  state: RunState,
  fence: number,
  acquiredBy: string | null,
  acquiredUntil: Instant | null,
  count: number,
  lastTime: Instant
): Run => ({
  jobId,
  scheduledTime,
  recordedAt,
  state,
  fence,
  attempt: fence === 0 ? 0 : 1,
  acquiredBy,
  acquiredUntil,
  startedAt: null,
  finishedAt: null,
  result: undefined,
  error: null,
  count,
  lastTime
})

const ascending = (times: ReadonlyArray<Instant>): boolean => {
  for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) return false
  return true
}

/**
 * The state behind a memory store, synchronous, with the time passed in: the job heap, leases and
 * run history. Exported for tests and benchmarks (its `steps` count the heap's work); the scheduler
 * goes through {@link JobStoreService} only.
 *
 * @since 0.1.0
 * @category models
 */
export class JobIndex {
  private readonly heap: Array<Entry> = []
  private readonly byId = new Map<string, Entry>()
  /** The histories of job ids with no job (removed jobs whose runs are kept); the others hang on their entry. */
  private readonly orphans = new Map<string, History>()
  /** Histories that have (or had) live runs with a lease end: where `recover` looks. */
  private readonly leasedHistories = new Set<History>()
  /** Histories with finished runs, a min-heap by `purgeKey` (root operations and pushes only). */
  private readonly purgeHeap: Array<History> = []
  private readonly retentionMs: number
  private readonly maxRuns: number
  /** Heap steps (sift moves and comparisons) since creation: what the tests count instead of timing. */
  steps = 0

  constructor(options: Options = {}) {
    this.retentionMs = options.runRetentionMs ?? DEFAULT_RUN_RETENTION_MS
    this.maxRuns = Math.max(1, options.maxRunsPerJob ?? DEFAULT_MAX_RUNS_PER_JOB)
  }

  /** Number of jobs. */
  get size(): number {
    return this.byId.size
  }

  /** The job with this id. */
  get(id: string): Job | undefined {
    return this.byId.get(id)?.job
  }

  /** Adds a job; `false` when the id exists (unless `replace`: then it is replaced, version bumped). */
  add(job: Job, replace: boolean): boolean {
    const existing = this.byId.get(job.id)
    if (existing !== undefined) {
      if (!replace) return false
      this.set(existing, job)
      return true
    }
    const entry: Entry = {
      id: job.id,
      job,
      key: 0,
      pos: -1,
      version: 1,
      acquiredBy: null,
      acquiredUntil: null,
      history: this.orphans.get(job.id)
    }
    if (entry.history !== undefined) {
      this.orphans.delete(job.id)
      entry.history.removed = undefined
    }
    this.byId.set(job.id, entry)
    this.place(entry)
    return true
  }

  /** Replaces a job (its lease stays; version bumped); `false` when there is none with its id. */
  update(job: Job): boolean {
    const entry = this.byId.get(job.id)
    if (entry === undefined) return false
    this.set(entry, job)
    return true
  }

  /** Removes a job (its runs stay); `false` when there is none with this id. */
  remove(id: string): boolean {
    const entry = this.byId.get(id)
    if (entry === undefined) return false
    this.drop(entry)
    return true
  }

  /** Removes every job (run history stays until purged). */
  clear(): void {
    for (const entry of this.byId.values()) this.orphan(entry)
    for (const entry of this.heap) entry.pos = -1
    this.heap.length = 0
    this.byId.clear()
  }

  /** The earliest effective due time (a leased job counts with its lease end). */
  nextRunTime(): Instant | undefined {
    return this.heap.length === 0 ? undefined : this.heap[0]!.key
  }

  /** Every job, ordered (paused last). */
  all(): Array<Job> {
    const out: Array<Job> = []
    for (const entry of this.byId.values()) out.push(entry.job)
    return out.sort(compareJobs)
  }

  /**
   * Leases up to `limit` jobs whose effective due time is `<= now + horizonMs` (and whose lease,
   * if any, ended by `now`) to `owner` until `now + leaseMs`, taken in (effective due time, id)
   * order, returned ordered by next run time then id. O(k log n) for k jobs taken.
   */
  acquire(owner: string, limit: number, leaseMs: number, now: Instant, horizonMs = 0): Array<LeasedJob> {
    const heap = this.heap
    const taken: Array<Entry> = []
    const bound = now + Math.max(0, horizonMs)
    let leased: Array<Entry> | undefined // live leases ending inside the horizon: put back
    while (taken.length < limit && heap.length > 0 && heap[0]!.key <= bound) {
      const entry = heap[0]!
      this.removeAt(0)
      if (entry.acquiredUntil !== null && entry.acquiredUntil > now) (leased ??= []).push(entry)
      else taken.push(entry)
    }
    if (leased !== undefined) for (const entry of leased) this.push(entry)
    const k = taken.length
    if (k === 0) return []
    const until = now + leaseMs
    const out: Array<LeasedJob> = new Array(k)
    let sorted = true
    for (let i = 0; i < k; i++) {
      const entry = taken[i]!
      entry.acquiredBy = owner
      entry.acquiredUntil = until
      entry.key = keyOf(entry.job.nextRunTime as number, until)
      this.push(entry)
      out[i] = { job: entry.job, version: entry.version }
      if (sorted && i > 0 && compareJobs(out[i - 1]!.job, entry.job) > 0) sorted = false
    }
    return sorted ? out : out.sort((a, b) => compareJobs(a.job, b.job))
  }

  /** Records the plans of leased jobs; one outcome per decision, in order (see `JobStore`). */
  release(
    owner: string,
    decisions: ReadonlyArray<Decision>,
    now: Instant,
    runLeaseMs?: number | null
  ): Array<ReleaseOutcome> {
    this.purge(now)
    const out: Array<ReleaseOutcome> = new Array(decisions.length)
    const runLease = runLeaseMs === undefined ? undefined : runLeaseMs === null ? null : now + runLeaseMs
    for (let i = 0; i < decisions.length; i++) out[i] = this.releaseOne(owner, decisions[i]!, now, runLease)
    return out
  }

  /** Stores the ends of runs: `true` per accepted completion (live run, same fence), else `false`. */
  complete(completions: ReadonlyArray<Completion>, now: Instant): Array<boolean> {
    this.purge(now)
    const out: Array<boolean> = new Array(completions.length)
    for (let i = 0; i < completions.length; i++) out[i] = this.completeOne(completions[i]!)
    return out
  }

  /** Renews (or, with `leaseMs` 0, hands back) the leases of runs `owner` holds (see `JobStore`). */
  renewRuns(owner: string, keys: ReadonlyArray<RunKey>, leaseMs: number, now: Instant): Array<boolean> {
    const out: Array<boolean> = new Array(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      const history = this.historyOf(k.jobId)
      const run = history?.runs.get(k.scheduledTime)
      if (
        run === undefined || run.fence !== k.fence || !isLive(run.state) || run.acquiredBy !== owner ||
        run.acquiredUntil === null || !(now < run.acquiredUntil)
      ) {
        out[i] = false
        continue
      }
      this.replaceLive(history!, run, { ...run, acquiredUntil: now + leaseMs })
      out[i] = true
    }
    return out
  }

  /**
   * Takes over up to `limit` live runs whose lease expired (see `JobStore`), each only while its
   * job has a free instance slot (`maxInstances` minus its runs holding a valid lease, the ones
   * taken over here included); the others stay expired until a later call. O(live runs with a
   * lease end) per call.
   */
  recover(
    owner: string,
    limit: number,
    leaseMs: number,
    now: Instant
  ): { readonly runs: Array<RecoveredRun>; readonly abandoned: Array<Run> } {
    const expired: Array<{ readonly history: History; readonly run: Run }> = []
    for (const history of this.leasedHistories) {
      if (history.live.length === 0) {
        this.leasedHistories.delete(history)
        continue
      }
      for (const run of history.live) {
        if (run.acquiredUntil !== null && run.acquiredUntil <= now) expired.push({ history, run })
      }
    }
    expired.sort((a, b) => a.run.acquiredUntil! - b.run.acquiredUntil! || a.run.scheduledTime - b.run.scheduledTime)
    const runs: Array<RecoveredRun> = []
    const abandoned: Array<Run> = []
    // free instance slots per job: maxInstances minus the runs holding a valid lease
    const slots = new Map<History, number>()
    for (let i = 0, taken = 0; i < expired.length && taken < limit; i++) {
      const { history, run } = expired[i]!
      const job = this.byId.get(history.jobId)?.job ?? history.removed
      if (job !== undefined) {
        let free = slots.get(history)
        if (free === undefined) free = job.maxInstances - this.liveCount(history, now)
        if (free <= 0) continue // stays expired: taken over once a slot is free, never run beyond the limit
        slots.set(history, free - 1)
      }
      taken++
      if (job === undefined) {
        const ended: Run = { ...run, state: "abandoned", acquiredBy: null, acquiredUntil: null }
        history.runs.set(run.scheduledTime, ended)
        const live = history.live
        const j = live.indexOf(run)
        if (j >= 0) {
          live[j] = live[live.length - 1]!
          live.pop()
        }
        this.ended(history, ended)
        abandoned.push(ended)
        continue
      }
      const again: Run = {
        ...run,
        state: "ready",
        fence: ++history.fenceSeq,
        attempt: run.attempt + 1,
        acquiredBy: owner,
        acquiredUntil: now + leaseMs,
        startedAt: null
      }
      this.replaceLive(history, run, again)
      runs.push({ job, run: again })
    }
    return { runs, abandoned }
  }

  /** The runs kept for a job id, ordered by scheduled time. */
  runs(jobId: string): Array<Run> {
    const history = this.historyOf(jobId)
    if (history === undefined) return []
    const out = Array.from(history.runs.values())
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.scheduledTime < out[i - 1]!.scheduledTime) {
        return out.sort((a, b) => a.scheduledTime - b.scheduledTime)
      }
    }
    return out
  }

  // -------------------------------------------------------------------------------------------
  // release / complete

  /** `runLease`: the runs' lease end (`null`: held until completed; `undefined`: the job's lease end). */
  private releaseOne(owner: string, decision: Decision, now: Instant, runLease: Instant | null | undefined): ReleaseOutcome {
    const leased = decision.leased
    const entry = this.byId.get(leased.job.id)
    if (
      entry === undefined || entry.acquiredBy !== owner || entry.acquiredUntil === null || entry.acquiredUntil <= now
    ) return REFUSED
    if (entry.version !== leased.version) {
      // changed while leased: planned again at once
      this.clearLease(entry)
      return REFUSED
    }
    const job = entry.job
    const plan = decision.plan
    const runUntil = runLease === undefined ? entry.acquiredUntil : runLease
    let history = entry.history
    const summary = plan.missedSummary
    const missed = plan.missed
    if (summary !== undefined || missed.length > 0) {
      history ??= this.history(entry)
      if (summary === undefined || missed.length === summary.count) {
        for (let i = 0; i < missed.length; i++) this.record(history, missed[i]!, "missed", now, 1, missed[i]!)
      } else {
        this.record(history, summary.first, "missed", now, summary.count, summary.last)
      }
    }
    let outcome = RELEASED_NOTHING
    const times = plan.runTimes
    if (times.length > 0) {
      history ??= this.history(entry)
      const ordered = ascending(times) ? times : [...times].sort((a, b) => a - b)
      // a run whose holder's lease expired keeps its slot until recovered: the job's newer runs
      // do not take the slot it waits for
      if (history.live.length >= job.maxInstances) {
        for (let i = 0; i < ordered.length; i++) this.record(history, ordered[i]!, "skipped", now, 1, ordered[i]!)
        outcome = RELEASED_SKIPPED
      } else {
        let runs: Array<Run> | undefined
        for (let i = 0; i < ordered.length; i++) {
          const t = ordered[i]!
          if (t <= history.latest && history.runs.has(t)) continue
          const run = newRun(job.id, t, now, "ready", ++history.fenceSeq, owner, runUntil, 1, t)
          history.runs.set(t, run)
          if (t > history.latest) history.latest = t
          history.live.push(run)
          if (runUntil !== null) this.leasedHistories.add(history)
          if (runs === undefined) runs = [run]
          else runs.push(run)
        }
        if (runs !== undefined) outcome = { _tag: "Released", runs, skipped: false }
      }
    }
    if (history !== undefined) this.cap(history)
    entry.acquiredBy = null
    entry.acquiredUntil = null
    if (plan.jobRemoved) {
      if (history !== undefined && outcome._tag === "Released" && outcome.runs.length > 0) history.removed = modify(job, { nextRunTime: null })
      this.drop(entry)
    } else {
      const next = plan.nextRunTime ?? null
      if (next !== job.nextRunTime) entry.job = modify(job, { nextRunTime: next })
      this.place(entry)
    }
    return outcome
  }

  private completeOne(c: Completion): boolean {
    const history = this.historyOf(c.jobId)
    if (history === undefined) return false
    const run = history.runs.get(c.scheduledTime)
    if (run === undefined || run.fence !== c.fence || !isLive(run.state)) return false
    const result = c.result
    const ended: Run = {
      jobId: run.jobId,
      scheduledTime: run.scheduledTime,
      recordedAt: run.recordedAt,
      state: c.state,
      fence: run.fence,
      attempt: run.attempt,
      acquiredBy: null,
      acquiredUntil: null,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      result: result === undefined || isJsonEncodable(result) ? result : undefined,
      error: c.error ?? null,
      count: run.count,
      lastTime: run.lastTime
    }
    history.runs.set(run.scheduledTime, ended)
    const live = history.live
    const i = live.indexOf(run)
    if (i >= 0) {
      live[i] = live[live.length - 1]!
      live.pop()
    }
    this.ended(history, ended)
    this.cap(history)
    return true
  }

  /** Live runs whose lease has not expired (an expired one stays listed until recovered or completed). */
  private liveCount(history: History, now: Instant): number {
    const live = history.live
    let n = 0
    for (let r = 0; r < live.length; r++) {
      const until = live[r]!.acquiredUntil
      if (until === null || until > now) n++
    }
    return n
  }

  /** Replaces a live run's record (runs are immutable snapshots) in the history and the live list. */
  private replaceLive(history: History, old: Run, run: Run): void {
    history.runs.set(run.scheduledTime, run)
    const i = history.live.indexOf(old)
    if (i >= 0) history.live[i] = run
  }

  /** Records a run that never starts (missed, skipped), unless its key exists. */
  private record(history: History, t: Instant, state: RunState, now: Instant, count: number, last: Instant): void {
    if (t <= history.latest && history.runs.has(t)) return
    const run = newRun(history.jobId, t, now, state, 0, null, null, count, last)
    history.runs.set(t, run)
    if (t > history.latest) history.latest = t
    this.ended(history, run)
  }

  private history(entry: Entry): History {
    const jobId = entry.id
    const history: History = {
      jobId,
      runs: new Map(),
      removed: undefined,
      fenceSeq: 0,
      latest: -Infinity,
      live: [],
      done: [],
      doneHead: 0,
      purgeKey: 0,
      inPurge: false
    }
    entry.history = history
    return history
  }

  private historyOf(jobId: string): History | undefined {
    return this.byId.get(jobId)?.history ?? this.orphans.get(jobId)
  }

  // -------------------------------------------------------------------------------------------
  // purge

  /** Queues a run that has ended for the purge. */
  private ended(history: History, run: Run): void {
    history.done.push(run)
    if (!history.inPurge) {
      history.inPurge = true
      history.purgeKey = endOf(history.done[history.doneHead]!)
      const heap = this.purgeHeap
      let pos = heap.length
      heap.push(history)
      while (pos > 0) {
        const parent = (pos - 1) >> 1
        if (heap[parent]!.purgeKey <= history.purgeKey) break
        heap[pos] = heap[parent]!
        pos = parent
      }
      heap[pos] = history
    }
  }

  /** Drops the oldest ended runs of a job beyond `maxRunsPerJob`. */
  private cap(history: History): void {
    const done = history.done
    while (history.runs.size > this.maxRuns && history.doneHead < done.length) {
      this.dropHead(history)
    }
    this.compact(history)
  }

  /** Drops ended runs older than the retention: amortized O(log h) per run dropped. */
  private purge(now: Instant): void {
    const heap = this.purgeHeap
    const cutoff = now - this.retentionMs
    while (heap.length > 0 && heap[0]!.purgeKey < cutoff) {
      const history = heap[0]!
      const done = history.done
      while (history.doneHead < done.length && endOf(done[history.doneHead]!) < cutoff) this.dropHead(history)
      if (history.doneHead === done.length) {
        done.length = 0
        history.doneHead = 0
        history.inPurge = false
        const last = heap.pop()!
        if (heap.length > 0) {
          heap[0] = last
          this.purgeSiftDown()
        }
        this.forgetIfEmpty(history)
      } else {
        this.compact(history)
        history.purgeKey = endOf(history.done[history.doneHead]!)
        this.purgeSiftDown()
      }
    }
  }

  private dropHead(history: History): void {
    const run = history.done[history.doneHead]!
    history.done[history.doneHead++] = undefined
    if (history.runs.get(run.scheduledTime) === run) history.runs.delete(run.scheduledTime)
  }

  private compact(history: History): void {
    const head = history.doneHead
    if (head >= 64 && head * 2 >= history.done.length) {
      history.done = history.done.slice(head)
      history.doneHead = 0
    }
  }

  private purgeSiftDown(): void {
    const heap = this.purgeHeap
    const n = heap.length
    const history = heap[0]!
    let pos = 0
    for (;;) {
      const l = 2 * pos + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && heap[r]!.purgeKey < heap[l]!.purgeKey ? r : l
      if (heap[child]!.purgeKey >= history.purgeKey) break
      heap[pos] = heap[child]!
      pos = child
    }
    heap[pos] = history
  }

  /** Forgets an orphaned history with no runs left (a job's own history keeps its fence sequence). */
  private forgetIfEmpty(history: History): void {
    if (history.runs.size === 0 && !history.inPurge && this.orphans.get(history.jobId) === history) {
      this.orphans.delete(history.jobId)
    }
  }

  /** Keeps the history of a job being removed, while it has runs (or waits in the purge queue). */
  private orphan(entry: Entry): void {
    const history = entry.history
    if (history !== undefined && (history.runs.size > 0 || history.inPurge)) this.orphans.set(entry.id, history)
  }

  // -------------------------------------------------------------------------------------------
  // jobs and the heap

  private set(entry: Entry, job: Job): void {
    entry.job = job
    entry.version++
    this.place(entry)
  }

  private drop(entry: Entry): void {
    this.byId.delete(entry.id)
    if (entry.pos >= 0) this.removeAt(entry.pos)
    this.orphan(entry)
  }

  private clearLease(entry: Entry): void {
    entry.acquiredBy = null
    entry.acquiredUntil = null
    this.place(entry)
  }

  /** Puts an entry where its job and lease say (out of the heap when paused). */
  private place(entry: Entry): void {
    const next = entry.job.nextRunTime
    if (next === null) {
      if (entry.pos >= 0) this.removeAt(entry.pos)
      return
    }
    const key = keyOf(next, entry.acquiredUntil)
    if (entry.pos < 0) {
      entry.key = key
      this.push(entry)
    } else {
      const old = entry.key
      entry.key = key
      if (key < old) this.siftUp(entry.pos)
      else this.siftDown(entry.pos)
    }
  }

  private push(entry: Entry): void {
    entry.pos = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.pos)
  }

  /**
   * Removes the entry at `pos`: its hole sinks to a leaf along the smaller children, then the last
   * entry fills it and sifts up (one comparison per level instead of two).
   */
  private removeAt(pos: number): void {
    const heap = this.heap
    heap[pos]!.pos = -1
    const last = heap.pop()!
    const n = heap.length
    if (pos === n) return
    for (;;) {
      const l = 2 * pos + 1
      if (l >= n) break
      this.steps++
      const r = l + 1
      const child = r < n && less(heap[r]!, heap[l]!) ? r : l
      const c = heap[child]!
      heap[pos] = c
      c.pos = pos
      pos = child
    }
    heap[pos] = last
    last.pos = pos
    this.siftUp(pos)
  }

  private siftUp(pos: number): void {
    const heap = this.heap
    const entry = heap[pos]!
    while (pos > 0) {
      this.steps++
      const parentPos = (pos - 1) >> 1
      const parent = heap[parentPos]!
      if (!less(entry, parent)) break
      heap[pos] = parent
      parent.pos = pos
      pos = parentPos
    }
    heap[pos] = entry
    entry.pos = pos
  }

  private siftDown(pos: number): void {
    const heap = this.heap
    const n = heap.length
    const entry = heap[pos]!
    for (;;) {
      const l = 2 * pos + 1
      if (l >= n) break
      this.steps++
      const r = l + 1
      const child = r < n && less(heap[r]!, heap[l]!) ? r : l
      const c = heap[child]!
      if (!less(c, entry)) break
      heap[pos] = c
      c.pos = pos
      pos = child
    }
    heap[pos] = entry
    entry.pos = pos
  }
}

const service = (index: JobIndex, clock: Clock.Clock): JobStoreService =>
  JobStore.of({
    add: (job, replaceExisting = false) =>
      Effect.suspend(() =>
        index.add(job, replaceExisting) ? Effect.void : Effect.fail(new ConflictingIdError({ jobId: job.id }))
      ),
    update: (job) =>
      Effect.suspend(() => index.update(job) ? Effect.void : Effect.fail(new JobLookupError({ jobId: job.id }))),
    remove: (jobId) =>
      Effect.suspend(() => index.remove(jobId) ? Effect.void : Effect.fail(new JobLookupError({ jobId }))),
    removeAll: Effect.sync(() => index.clear()),
    lookup: (jobId) => Effect.sync(() => Option.fromNullable(index.get(jobId))),
    getNextRunTime: Effect.sync(() => Option.fromNullable(index.nextRunTime())),
    getAll: Effect.sync(() => index.all()),
    acquire: (claim) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return { now, jobs: index.acquire(claim.owner, claim.limit, claim.leaseMs, now, claim.horizonMs) }
      }),
    release: (owner, decisions, runLeaseMs) =>
      Effect.sync(() => index.release(owner, decisions, clock.unsafeCurrentTimeMillis(), runLeaseMs)),
    complete: (completions) => Effect.sync(() => index.complete(completions, clock.unsafeCurrentTimeMillis())),
    renewRuns: (owner, runs, leaseMs) =>
      Effect.sync(() => index.renewRuns(owner, runs, leaseMs, clock.unsafeCurrentTimeMillis())),
    recover: (claim) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return { now, ...index.recover(claim.owner, claim.limit, claim.leaseMs, now) }
      }),
    getRuns: (jobId) => Effect.sync(() => index.runs(jobId))
  })

/**
 * Builds a memory job store with options (run retention, runs kept per job); its time is the
 * `Clock` in the context when it is built.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (options: Options = {}): Effect.Effect<JobStoreService> =>
  Effect.map(Effect.clock, (clock) => service(new JobIndex(options), clock))

/**
 * Builds a memory job store with the default options. APScheduler: `MemoryJobStore()`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<JobStoreService> = makeWith()

/**
 * The memory job store layer with options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: Options = {}): Layer.Layer<JobStore> => Layer.effect(JobStore, makeWith(options))

/**
 * The memory job store layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<JobStore> = layerWith()
