/**
 * The pure parts of the MongoDB store: documents ↔ rows, the effective due time, and the
 * claim decisions of `release` — what to write for one decision given the job's document, the
 * store's `now` and the job's live runs. No I/O here, so it is unit-tested without a server.
 */
import type { EncodedRow, EncodedRun, PlannedRun, RowDecision } from "../EncodedJobStore.js"

/** A job document (schema version 1). `_id` is the job id. */
export interface JobDoc {
  readonly _id: string
  readonly nextRunTime: number | null
  readonly data: string
  readonly version: number
  readonly fenceSeq: number
  readonly acquiredBy: string | null
  readonly acquiredUntil: number | null
  /** `max(nextRunTime, acquiredUntil)`; `null` when paused or quarantined (indexed). */
  readonly due: number | null
  /** Why the row is kept aside, else `null`. */
  readonly quarantined: string | null
}

/** A run document: an {@link EncodedRun} (unique index on `{ jobId, scheduledTime }`). */
export type RunDoc = EncodedRun

/** The effective due time of a job: `null` when paused or quarantined. */
export const dueOf = (nextRunTime: number | null, acquiredUntil: number | null, quarantined: string | null) =>
  nextRunTime === null || quarantined !== null
    ? null
    : acquiredUntil === null
    ? nextRunTime
    : Math.max(nextRunTime, acquiredUntil)

/** A job document as a row. */
export const toRow = (doc: JobDoc): EncodedRow => ({
  id: doc._id,
  nextRunTime: num(doc.nextRunTime),
  data: doc.data,
  version: num(doc.version) ?? 1,
  fenceSeq: num(doc.fenceSeq) ?? 0,
  acquiredBy: doc.acquiredBy ?? null,
  acquiredUntil: num(doc.acquiredUntil)
})

/** A run document as a run row (numbers from BSON doubles or longs). */
export const toRun = (doc: Record<string, unknown>): EncodedRun => ({
  jobId: String(doc.jobId),
  scheduledTime: num(doc.scheduledTime) ?? 0,
  recordedAt: num(doc.recordedAt) ?? 0,
  state: doc.state as EncodedRun["state"],
  fence: num(doc.fence) ?? 0,
  attempt: num(doc.attempt) ?? 0,
  acquiredBy: (doc.acquiredBy as string | null | undefined) ?? null,
  acquiredUntil: num(doc.acquiredUntil),
  startedAt: num(doc.startedAt),
  finishedAt: num(doc.finishedAt),
  result: (doc.result as string | null | undefined) ?? null,
  error: (doc.error as string | null | undefined) ?? null,
  count: num(doc.count) ?? 1,
  lastTime: num(doc.lastTime) ?? 0,
  endedAt: num(doc.endedAt),
  jobData: (doc.jobData as string | null | undefined) ?? null
})

const num = (v: unknown): number | null =>
  v === null || v === undefined ? null : typeof v === "number" ? v : Number(v as never)

/** A run `release` records: a planned run whose `ready` may have become `skipped`. */
export type ReleaseRun = Omit<PlannedRun, "state"> & { readonly state: "missed" | "skipped" | "ready" }

/** Is a lease until `until` live at `now`? */
export const isLiveLease = (until: number | null, now: number) => until !== null && now < until

/**
 * What `release` writes for one decision:
 * - `Refused`: nothing (`clearLease`: except clearing the lease, when the version changed);
 * - `Released`: the runs to insert (each with its tentative fence, counted only when the insert
 *   is new), whether they are `skipped`, and the job's update (or removal).
 */
export type ReleasePlan =
  | { readonly _tag: "Refused"; readonly clearLease: boolean }
  | {
    readonly _tag: "Released"
    readonly skipped: boolean
    /** The runs in time order, missed / skipped / ready, before fences are given. */
    readonly runs: ReadonlyArray<ReleaseRun>
    /** The job's update; `null`: remove the job. */
    readonly next: RowDecision["next"]
  }

/**
 * Decides one decision of `release` from the job's document (`undefined`: gone), the store's
 * `now`, the owner, and the number of the job's live runs (only read when it matters).
 */
export const planRelease = (
  doc: JobDoc | undefined,
  decision: RowDecision,
  owner: string,
  now: number,
  live: number
): ReleasePlan => {
  if (
    doc === undefined || doc.quarantined !== null || doc.acquiredBy !== owner ||
    !isLiveLease(num(doc.acquiredUntil), now)
  ) return { _tag: "Refused", clearLease: false }
  if (num(doc.version) !== decision.version) return { _tag: "Refused", clearLease: true }
  const hasReady = decision.runs.some((r) => r.state === "ready")
  const skipped = hasReady && live >= decision.maxInstances
  const runs = [...decision.runs]
    .sort((a, b) => a.scheduledTime - b.scheduledTime)
    .map((r): ReleaseRun => ({ ...r, state: r.state === "ready" && skipped ? "skipped" : r.state }))
  return { _tag: "Released", skipped, runs, next: decision.next }
}

/** Whether a decision needs the job's live runs counted (it has a run to start). */
export const needsLive = (decision: RowDecision) => decision.runs.some((r) => r.state === "ready")

/**
 * A new run document: `missed` / `skipped` never start (fence 0, no lease, ended now); a `ready`
 * run gets its fence, attempt 1 and the owner's lease until `runUntil`.
 */
export const newRun = (
  jobId: string,
  planned: ReleaseRun,
  now: number,
  owner: string,
  fence: number,
  runUntil: number | null,
  jobData: string | null = null
): RunDoc => {
  const ready = planned.state === "ready"
  return {
    jobId,
    scheduledTime: planned.scheduledTime,
    recordedAt: now,
    state: planned.state,
    fence: ready ? fence : 0,
    attempt: ready ? 1 : 0,
    acquiredBy: ready ? owner : null,
    acquiredUntil: ready ? runUntil : null,
    startedAt: null,
    finishedAt: null,
    result: null,
    error: null,
    count: planned.count,
    lastTime: planned.lastTime,
    endedAt: ready ? null : now,
    ...(ready && jobData !== null ? { jobData } : {})
  }
}

/** The lease end of a new ready run: the job's lease end, until completed (`null`), or `now + ms`. */
export const runUntilOf = (runLeaseMs: number | null | undefined, jobUntil: number | null, now: number) =>
  runLeaseMs === undefined ? jobUntil : runLeaseMs === null ? null : now + runLeaseMs

/**
 * Does a `hello` reply come from a server that runs transactions (a replica set member or a
 * mongos)? A standalone server does not.
 */
export const supportsTransactions = (hello: Readonly<Record<string, unknown>>) =>
  typeof hello.setName === "string" || hello.msg === "isdbgrid"

/**
 * What `recover` did with one expired run: taken over or recorded abandoned (`done`), left
 * expired for a later call because its job has no free instance slot (`skip`), or nothing (`gone`:
 * the run changed meanwhile).
 */
export type RecoverStep = "done" | "skip" | "gone"

/** The most reads of expired runs in one `recover` call. */
export const RECOVER_ROUNDS = 4

/**
 * How `recover` reads the expired runs: in rounds of `limit` runs (`read(seenJobs, limit)`: the
 * expired runs of the jobs not in `seenJobs`, oldest lease end first), each round leaving out the
 * jobs an earlier round read, so the runs of a job at its maxInstances never crowd other jobs'
 * runs out of the call; at most {@link RECOVER_ROUNDS} rounds, and `step` is called until `limit`
 * runs are `done` (never more). Returns how many are.
 */
export const recoverInRounds = async <D extends { readonly jobId: unknown }>(
  limit: number,
  read: (seenJobs: ReadonlyArray<string>, limit: number) => Promise<ReadonlyArray<D>>,
  step: (doc: D) => Promise<RecoverStep>
): Promise<number> => {
  const want = Math.floor(limit)
  const seen: Array<string> = []
  let done = 0
  for (let round = 0; round < RECOVER_ROUNDS && done < want; round++) {
    const batch = await read(seen, want)
    for (const id of new Set(batch.map((d) => String(d.jobId)))) seen.push(id)
    for (const doc of batch) {
      if (done >= want) break
      if ((await step(doc)) === "done") done++
    }
    if (batch.length < want) break
  }
  return done
}

/** The filter of the runs `recover` reads: live runs whose lease ended by `now`, of jobs not in `seenJobs`. */
export const expiredRunsFilter = (now: number, seenJobs: ReadonlyArray<string>) => ({
  state: { $in: ["ready", "running"] },
  acquiredUntil: { $ne: null, $lte: now },
  ...(seenJobs.length > 0 ? { jobId: { $nin: [...seenJobs] } } : {})
})
