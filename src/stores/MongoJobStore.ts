/**
 * A job store in MongoDB, on the claiming contract (ARCHITECTURE §2), over the official
 * `mongodb` driver (loaded by dynamic import only when a MongoDB store is configured).
 * APScheduler: `MongoDBJobStore`.
 *
 * Collections in one database (default `apscheduler`), named after `collection` (default
 * `jobs`):
 * - `jobs`: one document per job — `_id` (the job id), `nextRunTime`, `data` (the JSON record,
 *   schema version 1), `version`, `fenceSeq`, `acquiredBy`, `acquiredUntil`, `quarantined`, and
 *   `due` = `max(nextRunTime, acquiredUntil)` (`null` when paused or quarantined); indexes on
 *   `{ nextRunTime, _id }` (the due query) and `{ due }` (the next wake-up);
 * - `jobs_runs`: one document per run, unique index on `{ jobId, scheduledTime }` (a second
 *   insert of a key is a no-op: an upsert with `$setOnInsert`), indexes on `{ jobId, fence }`
 *   and `{ endedAt }` (the purge), `{ acquiredUntil }` (the runs to recover);
 * - `jobs_meta`: `{ _id: "schema", version: 1 }`.
 *
 * `acquire`, `release` and `complete` each run in one transaction; `acquire` and `release`
 * compare and set on the job's `version` and lease (a find-then-update without it has the ABA
 * race of APScheduler 4's MongoDB store). **Transactions need a replica set** (a single-node
 * replica set will do: `mongod --replSet rs0`, then `rs.initiate()`) or a sharded cluster: on a
 * standalone server the store fails at start with a `StoreError` saying so. Time comes from the
 * server (`hello`'s `localTime`) unless `clock: "effect"` is chosen (tests with `TestClock`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { ConfigError, ConflictingIdError, StoreError } from "../errors.js"
import {
  type EncodedDriver,
  type EncodedJob,
  type EncodedOptions,
  type EncodedRow,
  type EncodedRun,
  makeEncoded,
  maxInstancesOf,
  type RecoveredRows,
  type RowOutcome,
  SCHEMA_VERSION
} from "./EncodedJobStore.js"
import {
  dueOf,
  expiredRunsFilter,
  type JobDoc,
  needsLive,
  newRun,
  planRelease,
  recoverInRounds,
  type RecoverStep,
  runUntilOf,
  supportsTransactions,
  toRow,
  toRun
} from "./internal/mongo.js"
import { JobStore, type JobStoreService } from "./JobStore.js"

/**
 * Which clock the store reads: `"mongodb"` (the default: the server's `localTime`) or `"effect"`
 * (Effect's `Clock`: tests with `TestClock`, or one scheduler on its store).
 *
 * @since 0.1.0
 * @category models
 */
export type ClockSource = "mongodb" | "effect"

/**
 * Options of the MongoDB store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends EncodedOptions {
  /** A MongoDB URL (`mongodb://host:27017/?replicaSet=rs0`); default `mongodb://127.0.0.1:27017`. */
  readonly url?: string | undefined
  /** The database (default `"apscheduler"`). APScheduler: `database`. */
  readonly database?: string | undefined
  /** The jobs collection; runs go to `<collection>_runs` (default `"jobs"`). APScheduler: `collection`. */
  readonly collection?: string | undefined
  /** The store's clock source (default `"mongodb"`). */
  readonly clock?: ClockSource | undefined
  /** Options handed to `MongoClient`. */
  readonly connection?: Readonly<Record<string, unknown>> | undefined
  /** A connected `MongoClient` of your own (not closed by the store). */
  readonly client?: unknown
}

const NAME = "mongodb"

/**
 * The reason of the `StoreError` a standalone server (no transactions) gets at start.
 *
 * @since 0.1.0
 * @category constants
 */
export const STANDALONE_REASON =
  "MongoDB transactions need a replica set or a sharded cluster, and this server is standalone " +
  "(start mongod with --replSet rs0, then run rs.initiate(); a single-node replica set will do)"

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

// the driver's objects, untyped here so this module needs no type from `mongodb`
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any

const isDuplicateKey = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === 11000

/**
 * The row-level driver over a connected `MongoClient`: what {@link make} wraps with
 * `makeEncoded`. Creates the indexes and checks that the server runs transactions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDriver = (client: unknown, options: Options = {}): Effect.Effect<EncodedDriver, StoreError> =>
  Effect.gen(function*() {
    const mongo = client as Any
    const db = mongo.db(options.database ?? "apscheduler")
    const name = options.collection ?? "jobs"
    const jobs = db.collection(name)
    const runs = db.collection(`${name}_runs`)
    const meta = db.collection(`${name}_meta`)
    const effectClock = options.clock === "effect"

    const fail = (operation: string) => (e: unknown) => new StoreError({ store: NAME, operation, reason: messageOf(e) })
    const attempt = <A>(operation: string, f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: fail(operation) })

    const hello = yield* attempt("connect", (): Promise<Record<string, unknown>> => db.admin().command({ hello: 1 }))
    if (!supportsTransactions(hello)) {
      return yield* new StoreError({ store: NAME, operation: "connect", reason: STANDALONE_REASON })
    }
    yield* attempt("create indexes", async () => {
      await jobs.createIndex({ nextRunTime: 1, _id: 1 })
      await jobs.createIndex({ due: 1 })
      await runs.createIndex({ jobId: 1, scheduledTime: 1 }, { unique: true })
      await runs.createIndex({ jobId: 1, fence: -1 })
      await runs.createIndex({ endedAt: 1 })
      await runs.createIndex({ acquiredUntil: 1 })
      await meta.updateOne({ _id: "schema" }, { $setOnInsert: { version: SCHEMA_VERSION } }, { upsert: true })
    })

    /** The store's now: the server's clock, or Effect's. */
    const now = (): Effect.Effect<number, StoreError> =>
      effectClock ? Clock.currentTimeMillis : attempt("clock", async () => {
        const reply = await db.admin().command({ hello: 1 })
        return (reply.localTime as Date).getTime()
      })

    /** One transaction; a newer persisted schema version refuses it. */
    const transaction = <A>(operation: string, body: (session: Any, at: number) => Promise<A>) =>
      Effect.flatMap(effectClock ? Clock.currentTimeMillis : Effect.succeed(NaN), (effectNow) =>
        attempt(operation, async () => {
          const session = mongo.startSession()
          try {
            return await session.withTransaction(async () => {
              const schema = await meta.findOne({ _id: "schema" }, { session })
              if (schema !== null && Number(schema.version) > SCHEMA_VERSION) {
                throw new Error(
                  `the store holds persisted schema version ${schema.version}, newer than this version knows (${SCHEMA_VERSION}): refusing to claim`
                )
              }
              const at = effectClock ? effectNow : ((await db.admin().command({ hello: 1 })).localTime as Date).getTime()
              return await body(session, at)
            }) as A
          } finally {
            await session.endSession()
          }
        }))

    /** A fresh job's fenceSeq: the greatest fence among the runs kept for its id. */
    const greatestFence = async (id: string, session?: Any) => {
      const top = await runs.find({ jobId: id }, { session }).sort({ fence: -1 }).limit(1).toArray()
      return top.length === 0 ? 0 : Number(top[0].fence)
    }

    const freshDoc = async (job: EncodedJob, session?: Any): Promise<JobDoc> => ({
      _id: job.id,
      nextRunTime: job.nextRunTime,
      data: job.data,
      version: 1,
      fenceSeq: await greatestFence(job.id, session),
      acquiredBy: null,
      acquiredUntil: null,
      due: dueOf(job.nextRunTime, null, null),
      quarantined: null
    })

    const visible = { quarantined: null }

    const driver: EncodedDriver = {
      name: NAME,
      insert: (job) =>
        Effect.flatMap(
          Effect.tryPromise({
            try: async () => {
              await jobs.insertOne(await freshDoc(job))
              return true
            },
            catch: (e) => (isDuplicateKey(e) ? "duplicate" as const : fail("insert")(e))
          }).pipe(Effect.catchIf((e) => e === "duplicate", () => Effect.succeed(false))),
          (inserted) => (inserted ? Effect.void : Effect.fail(new ConflictingIdError({ jobId: job.id })))
        ) as Effect.Effect<void, ConflictingIdError | StoreError>,
      upsert: (job) =>
        transaction("upsert", async (session) => {
          const doc = await jobs.findOne({ _id: job.id }, { session })
          if (doc === null) {
            await jobs.insertOne(await freshDoc(job, session), { session })
            return
          }
          await jobs.updateOne({ _id: job.id }, {
            $set: {
              nextRunTime: job.nextRunTime,
              data: job.data,
              quarantined: null,
              due: dueOf(job.nextRunTime, doc.acquiredUntil ?? null, null)
            },
            $inc: { version: 1 }
          }, { session })
        }),
      update: (job) =>
        transaction("update", async (session) => {
          const doc = await jobs.findOne({ _id: job.id, ...visible }, { session })
          if (doc === null) return false
          await jobs.updateOne({ _id: job.id }, {
            $set: { nextRunTime: job.nextRunTime, data: job.data, due: dueOf(job.nextRunTime, doc.acquiredUntil ?? null, null) },
            $inc: { version: 1 }
          }, { session })
          return true
        }),
      delete: (id) => attempt("delete", async () => (await jobs.deleteOne({ _id: id })).deletedCount > 0),
      deleteAll: attempt("deleteAll", async () => void (await jobs.deleteMany({}))),
      select: (id) =>
        attempt("select", async () => {
          const doc = await jobs.findOne({ _id: id, ...visible })
          return doc === null ? Option.none() : Option.some(toRow(doc))
        }),
      selectAll: attempt("selectAll", async () => {
        const scheduled = await jobs.find({ ...visible, nextRunTime: { $ne: null } }).sort({ nextRunTime: 1, _id: 1 })
          .toArray()
        const paused = await jobs.find({ ...visible, nextRunTime: null }).sort({ _id: 1 }).toArray()
        return [...scheduled, ...paused].map(toRow)
      }),
      getNextRunTime: attempt("getNextRunTime", async () => {
        const [first] = await jobs.find({ due: { $ne: null } }).sort({ due: 1 }).limit(1).toArray()
        return first === undefined ? Option.none() : Option.some(Number(first.due))
      }),
      acquire: ({ horizonMs, leaseMs, limit, owner }) =>
        transaction("acquire", async (session, at) => {
          if (limit <= 0) return { now: at, rows: [] }
          const candidates: Array<JobDoc> = await jobs.find({
            ...visible,
            nextRunTime: { $ne: null, $lte: at + Math.max(0, horizonMs ?? 0) },
            $or: [{ acquiredUntil: null }, { acquiredUntil: { $lte: at } }]
          }, { session }).sort({ nextRunTime: 1, _id: 1 }).limit(limit).toArray()
          const until = at + leaseMs
          const rows: Array<EncodedRow> = []
          for (const doc of candidates) {
            // compare and set on the version and the lease read
            const r = await jobs.updateOne(
              { _id: doc._id, version: doc.version, acquiredUntil: doc.acquiredUntil ?? null },
              { $set: { acquiredBy: owner, acquiredUntil: until, due: dueOf(doc.nextRunTime, until, null) } },
              { session }
            )
            if (r.modifiedCount === 1) rows.push({ ...toRow(doc), acquiredBy: owner, acquiredUntil: until })
          }
          return { now: at, rows }
        }),
      release: (owner, decisions, runLeaseMs) =>
        decisions.length === 0 ? Effect.succeed([]) : transaction("release", async (session, at) => {
          const docs: Array<JobDoc> = await jobs.find({ _id: { $in: decisions.map((d) => d.id) } }, { session }).toArray()
          const byId = new Map(docs.map((d) => [d._id, d]))
          const seen = new Set<string>()
          const outcomes: Array<RowOutcome> = []
          for (const d of decisions) {
            const doc = seen.has(d.id) ? undefined : byId.get(d.id)
            seen.add(d.id)
            const live = doc !== undefined && needsLive(d)
              ? await runs.countDocuments({ jobId: d.id, state: { $in: ["ready", "running"] } }, { session })
              : 0
            const plan = planRelease(doc, d, owner, at, live)
            if (plan._tag === "Refused") {
              if (plan.clearLease) {
                await jobs.updateOne({ _id: d.id }, {
                  $set: { acquiredBy: null, acquiredUntil: null, due: dueOf(doc!.nextRunTime, null, doc!.quarantined) }
                }, { session })
              }
              outcomes.push({ _tag: "Refused" })
              continue
            }
            let fenceSeq = Number(doc!.fenceSeq ?? 0)
            const runUntil = runUntilOf(runLeaseMs, doc!.acquiredUntil, at)
            const started = []
            for (const planned of plan.runs) {
              const run = newRun(d.id, planned, at, owner, fenceSeq + 1, runUntil, d.next === null ? d.removedData ?? null : null)
              const { jobId: _, scheduledTime: __, ...fields } = run
              // a second insert of a key is a no-op
              const r = await runs.updateOne(
                { jobId: d.id, scheduledTime: planned.scheduledTime },
                { $setOnInsert: fields },
                { upsert: true, session }
              )
              if (r.upsertedCount === 1 && run.state === "ready") {
                fenceSeq++
                started.push(run)
              }
            }
            // compare and set on version and owner (read in this transaction)
            const cas = { _id: d.id, version: d.version, acquiredBy: owner }
            if (plan.next === null) {
              await jobs.deleteOne(cas, { session })
            } else {
              await jobs.updateOne(cas, {
                $set: {
                  nextRunTime: plan.next.nextRunTime,
                  fenceSeq,
                  acquiredBy: null,
                  acquiredUntil: null,
                  due: dueOf(plan.next.nextRunTime, null, null)
                }
              }, { session })
            }
            outcomes.push({ _tag: "Released", runs: started, skipped: plan.skipped })
          }
          return outcomes
        }),
      complete: (completions) =>
        completions.length === 0 ? Effect.succeed([]) : transaction("complete", async (session) => {
          const accepted: Array<boolean> = []
          for (const c of completions) {
            const r = await runs.updateOne(
              { jobId: c.jobId, scheduledTime: c.scheduledTime, fence: c.fence, state: { $in: ["ready", "running"] } },
              {
                $set: {
                  state: c.state,
                  startedAt: c.startedAt,
                  finishedAt: c.finishedAt,
                  result: c.result,
                  error: c.error,
                  endedAt: c.finishedAt,
                  acquiredBy: null,
                  acquiredUntil: null
                }
              },
              { session }
            )
            accepted.push(r.modifiedCount === 1)
          }
          return accepted
        }),
      renewRuns: (owner, keys, leaseMs) =>
        keys.length === 0 ? Effect.succeed([]) : transaction("renewRuns", async (session, at) => {
          const renewed: Array<boolean> = []
          for (const k of keys) {
            const r = await runs.updateOne(
              {
                jobId: k.jobId,
                scheduledTime: k.scheduledTime,
                fence: k.fence,
                state: { $in: ["ready", "running"] },
                acquiredBy: owner,
                acquiredUntil: { $ne: null, $gt: at }
              },
              { $set: { acquiredUntil: at + leaseMs } },
              { session }
            )
            renewed.push(r.matchedCount === 1)
          }
          return renewed
        }),
      recover: ({ leaseMs, limit, owner }) =>
        transaction("recover", async (session, at) => {
          const none: RecoveredRows = { now: at, runs: [], abandoned: [] }
          if (limit <= 0) return none
          const out: Array<{ readonly run: EncodedRun; readonly job: EncodedRow }> = []
          const abandoned: Array<EncodedRun> = []
          // free instance slots per job: maxInstances minus its runs holding a valid lease
          const slots = new Map<string, number>()
          const step = async (doc: Record<string, unknown>): Promise<RecoverStep> => {
            const run = toRun(doc)
            const key = { jobId: run.jobId, scheduledTime: run.scheduledTime, fence: run.fence, state: run.state }
            let job: JobDoc | null = await jobs.findOne({ _id: run.jobId, quarantined: null }, { session })
            if (job === null && typeof run.jobData === "string" && (await jobs.countDocuments({ _id: run.jobId }, { session })) === 0) {
              // the last run of a one-shot job its release removed: run again from the record it carries
              const [top] = await runs.find({ jobId: run.jobId }, { session }).sort({ fence: -1 }).limit(1).toArray()
              job = {
                _id: run.jobId,
                nextRunTime: null,
                data: run.jobData,
                version: 0,
                fenceSeq: Number(top?.fence ?? run.fence),
                acquiredBy: null,
                acquiredUntil: null
              } as unknown as JobDoc
            }
            if (job === null) {
              const r = await runs.updateOne(key, {
                $set: { state: "abandoned", acquiredBy: null, acquiredUntil: null, endedAt: at }
              }, { session })
              if (r.modifiedCount !== 1) return "gone"
              abandoned.push({ ...run, state: "abandoned", acquiredBy: null, acquiredUntil: null, endedAt: at })
              return "done"
            }
            let free = slots.get(run.jobId)
            if (free === undefined) {
              free = maxInstancesOf(String(job.data)) - await runs.countDocuments({
                jobId: run.jobId,
                state: { $in: ["ready", "running"] },
                $or: [{ acquiredUntil: null }, { acquiredUntil: { $gt: at } }]
              }, { session })
            }
            if (free <= 0) return "skip" // stays expired: taken over once a slot is free
            slots.set(run.jobId, free - 1)
            const fence = Number(job.fenceSeq ?? 0) + 1
            if (Number(job.version) !== 0) await jobs.updateOne({ _id: run.jobId }, { $set: { fenceSeq: fence } }, { session })
            const again: EncodedRun = {
              ...run,
              state: "ready",
              fence,
              attempt: run.attempt + 1,
              acquiredBy: owner,
              acquiredUntil: at + leaseMs,
              startedAt: null
            }
            const r = await runs.updateOne(key, {
              $set: {
                state: "ready",
                fence,
                attempt: again.attempt,
                acquiredBy: owner,
                acquiredUntil: again.acquiredUntil,
                startedAt: null
              }
            }, { session })
            if (r.modifiedCount !== 1) return "gone"
            out.push({ run: again, job: { ...toRow(job), fenceSeq: fence } })
            return "done"
          }
          // the limit counts runs, not free slots: each round leaves out the jobs read before
          await recoverInRounds(
            limit,
            (seen, n) =>
              runs.find(expiredRunsFilter(at, seen), { session, projection: { _id: 0 } })
                .sort({ acquiredUntil: 1, scheduledTime: 1 }).limit(n).toArray(),
            step
          )
          return { now: at, runs: out, abandoned }
        }),
      selectRuns: (jobId) =>
        attempt("selectRuns", async () =>
          (await runs.find({ jobId }, { projection: { _id: 0 } }).sort({ scheduledTime: 1 }).toArray()).map(toRun)),
      purgeRuns: (retentionMs) =>
        Effect.flatMap(now(), (at) =>
          attempt("purgeRuns", async () => void (await runs.deleteMany({ endedAt: { $ne: null, $lt: at - retentionMs } })))),
      quarantine: (id, reason) =>
        attempt("quarantine", async () =>
          void (await jobs.updateOne({ _id: id }, {
            $set: { quarantined: reason, acquiredBy: null, acquiredUntil: null, due: null }
          })))
    }
    return driver
  })

interface MongoModule {
  readonly MongoClient: new(url: string, options: Record<string, unknown>) => {
    connect(): Promise<unknown>
    close(): Promise<void>
  }
}

/**
 * Connects with the `mongodb` driver (imported only now) — or uses `options.client` — checks
 * that the server runs transactions, creates the indexes and builds the store; the client closes
 * with the scope. Fails with `StoreError` when `mongodb` is not installed, the server cannot be
 * reached, or it is standalone ({@link STANDALONE_REASON}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    let client = options.client
    if (client === undefined) {
      const { MongoClient } = yield* Effect.tryPromise({
        try: () => import("mongodb") as unknown as Promise<MongoModule>,
        catch: (e) =>
          new StoreError({
            store: NAME,
            operation: "import",
            reason: `the MongoDB job store needs the 'mongodb' package (npm install mongodb): ${messageOf(e)}`
          })
      })
      const url = options.url ?? "mongodb://127.0.0.1:27017"
      client = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const c = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, ...options.connection })
            await c.connect()
            return c
          },
          catch: (e) => new StoreError({ store: NAME, operation: "connect", reason: messageOf(e) })
        }),
        (c) => Effect.promise(() => c.close().catch(() => undefined))
      )
    }
    return makeEncoded(yield* makeDriver(client, options), options)
  })

/**
 * The MongoDB store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<JobStore, StoreError> => Layer.scoped(JobStore, make(options))

/**
 * The job store plugin of alias `mongodb`: `{ type: "mongodb", url, database, collection,
 * clock, runRetentionMs }`. A failure to start is a `ConfigError` (key `mongodb`) carrying the
 * store's reason.
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = (raw: Readonly<Record<string, unknown>>): Effect.Effect<JobStoreService, ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const known = new Set(["url", "host", "port", "database", "collection", "clock", "runRetentionMs", "connection"])
    for (const key of Object.keys(raw)) {
      if (!known.has(key)) return yield* new ConfigError({ key, reason: "unknown option of the mongodb job store" })
    }
    for (const key of ["url", "host", "database", "collection"] as const) {
      if (raw[key] !== undefined && (typeof raw[key] !== "string" || raw[key] === "")) {
        return yield* new ConfigError({ key, reason: "expected a non-empty string" })
      }
    }
    if (raw.clock !== undefined && raw.clock !== "mongodb" && raw.clock !== "effect") {
      return yield* new ConfigError({ key: "clock", reason: `expected "mongodb" or "effect", got ${JSON.stringify(raw.clock)}` })
    }
    const retention = raw.runRetentionMs === undefined ? undefined : Number(raw.runRetentionMs)
    if (retention !== undefined && !(Number.isFinite(retention) && retention >= 0)) {
      return yield* new ConfigError({ key: "runRetentionMs", reason: "expected a non-negative number" })
    }
    const url = raw.url as string | undefined ??
      (raw.host !== undefined ? `mongodb://${raw.host}:${raw.port ?? 27017}` : undefined)
    return yield* Effect.mapError(
      make({
        url,
        database: raw.database as string | undefined,
        collection: raw.collection as string | undefined,
        clock: raw.clock as ClockSource | undefined,
        runRetentionMs: retention,
        connection: raw.connection as Record<string, unknown> | undefined
      }),
      (e) => new ConfigError({ key: "mongodb", reason: e.message })
    )
  })
