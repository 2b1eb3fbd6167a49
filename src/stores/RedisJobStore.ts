/**
 * A job store in Redis, on the claiming contract (ARCHITECTURE §2), over the `ioredis` client
 * (loaded by dynamic import only when a Redis store is configured). APScheduler:
 * `RedisJobStore`.
 *
 * Every key lives under a configurable prefix `P` (default `"apscheduler"`), in key layout 4
 * (the full list in `internal/redisScripts.ts`):
 * - jobs: `P:jobs` (hash id → the job's JSON record, schema version 1), `P:state` (hash id →
 *   the job's version, next run time, fence and lease as one text, `<version> <next> <fence>
 *   <lease>`, the lease `<lease end>|<owner>` or `''`: what acquire and release read and write
 *   per job, one `HMGET` and one `HSET` per batch), `P:quarantine` (hash id → reason), and
 *   `P:due`, a sorted set of the scheduled jobs by effective due time
 *   (`max(next run time, lease end)`): `acquire` is one `ZRANGEBYSCORE`, `getNextRunTime` one
 *   `ZRANGE 0 0`. A job's version is drawn from `P:version_seq` by every write of it, so it is
 *   never given twice under a prefix (not even to a job removed and added again): a store keeps
 *   the records it has written or read by `(id, version)`, `acquire` returns versions only, and
 *   the records a store does not hold at the version acquired are read in one more call (1,000
 *   due jobs: the acquire reply went from 337 KB to 63 KB). A record changed behind the store's
 *   back without a new version is not read again by a store that holds it;
 * - runs, each named `<scheduledTime>|<jobId>`: `P:runs` (one hash of every run as JSON: a
 *   second insert of a key is a no-op), `P:run_index` (a job's runs, by `ZRANGEBYLEX`),
 *   `P:live_runs` (hash id → the scheduled times of its live runs, for `maxInstances`), `P:live`
 *   (sorted set of the live runs' lease ends), `P:live_jobs` (one entry per job with leased live
 *   runs, a lower bound of their earliest lease end: `recover` scans jobs, not runs, so the
 *   expired runs of a job at its `maxInstances` never keep other jobs' runs from being taken
 *   over), `P:ended` (ended runs by end time, for the purge), `P:fence_max`. A release writes each of these keys
 *   with one variadic command for the whole batch: its Redis commands do not grow with the
 *   number of jobs (14 for 1,000 due jobs whose runs are held until completed, 16 with leased
 *   runs: `P:live` and `P:live_jobs`; layout 3 ran 18 and 20, layout 1, with a hash and a
 *   sorted set per job, 3 per job);
 * - `P:schema` (the persisted schema version), `P:layout` (`4`), `P:version_seq` and
 *   `P:memo:<token>` (short-lived answers, below).
 *
 * Key layout 3 (the job's state in four hashes, `P:version`, `P:next`, `P:fence`, `P:lease`) is
 * upgraded in place by the first script that reads or writes a job's state (a pass over the jobs,
 * once: 100,000 jobs hold Redis 0.4 s): each job's four fields become its `P:state` field and
 * `P:layout` is set to 4; a store of the version before then refuses the prefix on every write
 * and claim with a `StoreError` naming the layout ("key layout 4, newer than this version knows
 * (3)"). Key layout 2 (layout 3's keys, versions counted per job from 1) is upgraded the same way,
 * straight to 4, its next versions drawn from the time in µs on. Key layout 1 (`P:runs:<jobId>`, `P:live:<jobId>`,
 * `P:leases`; never released) is not migrated: a store finding it refuses every write with a
 * `StoreError` that names the layout.
 * Needs Redis 6.2 or later (`ZMSCORE`).
 *
 * `acquire`, `release` and `complete` are each one Lua script (loaded once with `SCRIPT LOAD`,
 * called by hash with `EVALSHA`, loaded again after a `NOSCRIPT` reply), reading the time with
 * Redis `TIME` — never the caller's clock — unless `clock: "effect"` is chosen (tests, and one
 * scheduler on its store: a `TestClock` then drives the store). `release` compares and sets on
 * the job's `version` and lease owner. A claim whose reply is lost (connection cut) is sent
 * again with the same token and answered from its memo: it is never applied twice, and the
 * runs it recorded are still started.
 *
 * Promises: zero duplicate runs holds on a single Redis primary with `appendfsync always`. With
 * asynchronous replication a failover to a replica can lose the last acknowledged writes (the
 * Redis documentation says so), so a run recorded just before a failover can be recorded — and
 * run — again.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import { ConfigError, ConflictingIdError, StoreError } from "../errors.js"
import type { Instant } from "../triggers/Trigger.js"
import {
  type AcquiredRows,
  type EncodedCompletion,
  type EncodedDriver,
  type EncodedJob,
  type EncodedOptions,
  type EncodedRow,
  type EncodedRun,
  makeEncoded,
  type RecoveredRows,
  type RowOutcome
} from "./EncodedJobStore.js"
import { JobStore, type JobStoreService } from "./JobStore.js"
import { KEY_NAMES, SCRIPTS, type ScriptName } from "./internal/redisScripts.js"
import { CONFIGURE, retryingStart } from "./internal/startRetry.js"

/**
 * The part of an `ioredis` client the store uses (so this module needs no type from `ioredis`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisClient {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  script(subcommand: "LOAD", script: string): Promise<unknown>
  zrange(key: string, start: number, stop: number, withScores: "WITHSCORES"): Promise<Array<string>>
  hgetall(key: string): Promise<Record<string, string>>
  multi(): { hgetall(key: string): unknown; exec(): Promise<Array<[Error | null, unknown]> | null> }
  connect(): Promise<void>
  quit(): Promise<unknown>
  disconnect(): void
  readonly status: string
}

/**
 * Which clock the store reads: `"redis"` (the default: Redis `TIME`, one clock for every
 * scheduler sharing the store; it judges leases and misfire grace) or `"effect"` (Effect's
 * `Clock`, passed to the scripts: tests with `TestClock`, or one scheduler on its store).
 *
 * @since 0.1.0
 * @category models
 */
export type ClockSource = "redis" | "effect"

/**
 * Options of the Redis store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends EncodedOptions {
  /** A Redis URL (`redis://user:pass@host:6379/0`); default `redis://127.0.0.1:6379`. */
  readonly url?: string | undefined
  /** Connection options handed to `ioredis` (host, port, db, password, tls …), over the URL's. */
  readonly connection?: Readonly<Record<string, unknown>> | undefined
  /** A client of your own (not closed by the store); its options are yours to set. */
  readonly client?: RedisClient | undefined
  /** The prefix of every key (default `"apscheduler"`). Use a hash tag (`"{sched}"`) on a Cluster. */
  readonly prefix?: string | undefined
  /** The store's clock source (default `"redis"`). */
  readonly clock?: ClockSource | undefined
  /**
   * How long a claim whose reply was lost is sent again (same token) before it fails, in ms
   * (default 30 s).
   */
  readonly retryWindowMs?: number | undefined
  /** A command with no reply after this long fails (default 10 s). */
  readonly commandTimeoutMs?: number | undefined
  /** How long the store waits for its first connection (default 10 s). */
  readonly connectTimeoutMs?: number | undefined
  /** Purge ended runs at most this often, in ms of the Effect clock (default 60 s). */
  readonly purgeIntervalMs?: number | undefined
  /**
   * How long the store keeps trying to connect and load its scripts when it is built while Redis
   * is unreachable, in ms (default 60,000; 0: fail at once). Each failed attempt is logged and
   * retried after 0.2 s, doubling up to 5 s; past the bound it fails with the last `StoreError`.
   * A user's own `client` is not connected by the store: only the script load is retried.
   */
  readonly startRetryMs?: number | undefined
}

/**
 * The default key prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PREFIX = "apscheduler"

const NAME = "redis"

/** How many job records a driver holds (see `records` in {@link makeDriver}). */
const RECORD_CACHE_SIZE = 200_000

/**
 * The most completions one `complete` script stores. A script holds the whole server while it
 * runs, and the loop may hand over the ends of a burst of several thousand runs in one call: a
 * longer batch goes as several scripts, each atomic on its own (every completion is judged on its
 * own fence).
 *
 * @since 0.1.0
 * @category constants
 */
export const COMPLETE_BATCH = 1_000

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex")

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** An error reply from the server (a script error, NOSCRIPT): the command was applied or refused. */
const isReply = (e: unknown) => e instanceof Error && e.name === "ReplyError"

/** The client refused to send the command (not connected): nothing was applied. */
const notSent = (e: unknown) => e instanceof Error && e.message.startsWith("Stream isn't writeable")

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v))
const numOrNull = (v: unknown): number | null => (v === null || v === undefined || v === false ? null : num(v))
const str = (v: unknown): string | null => (v === null || v === undefined || v === false ? null : String(v))

/**
 * A job's row from its record and its `P:state` text, `<version> <next> <fence> <lease>` (next
 * `''`: paused; lease `''` or `<lease end>|<owner>`); without a state: version 1, not scheduled.
 */
const stateRow = (id: string, data: string, state: string | undefined): EncodedRow => {
  const [version = "1", next = "", fence = "0", ...rest] = state === undefined ? [] : state.split(" ")
  // the owner may hold spaces: the lease is the rest of the text
  const lease = rest.join(" ")
  const bar = lease.indexOf("|")
  return {
    id,
    data,
    nextRunTime: next === "" ? null : num(next),
    version: num(version),
    fenceSeq: num(fence),
    acquiredBy: bar < 0 ? null : lease.slice(bar + 1),
    acquiredUntil: bar < 0 ? null : num(lease.slice(0, bar))
  }
}

const byOrder = (a: EncodedRow, b: EncodedRow) =>
  a.nextRunTime !== b.nextRunTime
    ? (a.nextRunTime ?? Infinity) - (b.nextRunTime ?? Infinity)
    : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/**
 * The row-level driver over a connected client: what {@link make} wraps with `makeEncoded`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDriver = (client: RedisClient, options: Options = {}): Effect.Effect<EncodedDriver> =>
  Effect.gen(function*() {
    const prefix = options.prefix ?? DEFAULT_PREFIX
    const keys = KEY_NAMES.map((k) => `${prefix}:${k}`)
    const retryWindowMs = options.retryWindowMs ?? 30_000
    const memoTtl = String(Math.ceil(retryWindowMs / 1000) + 60)
    const purgeIntervalMs = options.purgeIntervalMs ?? 60_000
    const effectClock = options.clock === "effect"
    // tokens: this driver's random id and a counter (a lost reply is asked for again by token)
    let instance = ""
    for (let i = 0; i < 4; i++) instance += (yield* Random.nextIntBetween(0, 0x10000)).toString(16).padStart(4, "0")
    let counter = 0
    const token = () => `${instance}-${(counter++).toString(36)}`
    const shas = Object.fromEntries(
      Object.entries(SCRIPTS).map(([name, source]) => [name, sha1(source)])
    ) as Record<ScriptName, string>
    let lastPurge = -Infinity

    const fail = (operation: string) => (e: unknown) => new StoreError({ store: NAME, operation, reason: messageOf(e) })

    /** EVALSHA, loading the script again after a NOSCRIPT reply (a restarted or flushed server). */
    const evalScript = (name: ScriptName, args: ReadonlyArray<string | number>) =>
      Effect.tryPromise({
        try: async () => {
          try {
            return await client.evalsha(shas[name], keys.length, ...keys, ...args)
          } catch (e) {
            if (!(isReply(e) && messageOf(e).startsWith("NOSCRIPT"))) throw e
            await client.script("LOAD", SCRIPTS[name])
            return await client.evalsha(shas[name], keys.length, ...keys, ...args)
          }
        },
        catch: (e) => e
      })

    const now = effectClock ? Effect.map(Clock.currentTimeMillis, String) : Effect.succeed("")

    /** A call that is not idempotent: on a lost reply, sent again with the same token (in `args`). */
    const claim = (operation: string, name: ScriptName, args: ReadonlyArray<string | number>) =>
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        let sent = false
        let delay = 50
        for (;;) {
          const result = yield* Effect.either(evalScript(name, args))
          if (result._tag === "Right") return result.right
          const e = result.left
          if (isReply(e) || (!sent && notSent(e))) return yield* Effect.fail(fail(operation)(e))
          sent = true // it may have been applied: only its memo tells
          if ((yield* Clock.currentTimeMillis) - start > retryWindowMs) {
            return yield* new StoreError({
              store: NAME,
              operation,
              reason: `no reply within ${retryWindowMs} ms (last error: ${messageOf(e)})`
            })
          }
          yield* Effect.sleep(Duration.millis(delay))
          delay = Math.min(delay * 2, 500)
        }
      })

    const simple = (operation: string, name: ScriptName, args: ReadonlyArray<string | number>) =>
      Effect.mapError(evalScript(name, args), fail(operation))

    // the job records this driver holds, by id, with their version: a version is never given
    // twice under a prefix (layout 3), so a record held at the version acquire returns is the
    // stored one and is not read again. Filled by writes, reads and the records acquire reads;
    // bounded (cleared when it outgrows RECORD_CACHE_SIZE).
    const records = new Map<string, { readonly version: number; readonly data: string }>()
    const remember = (id: string, version: number, data: string) => {
      if (records.size >= RECORD_CACHE_SIZE && !records.has(id)) records.clear()
      records.set(id, { version, data })
    }

    const wakeupChannel = `${prefix}:wakeup`
    /** A user write: `OK` (and the job's record is held at its new version), `CONFLICT`, `MISSING`. */
    const write = (mode: "insert" | "upsert" | "update", job: EncodedJob) =>
      Effect.map(
        simple(mode, "write", [mode, job.id, job.nextRunTime === null ? "" : String(job.nextRunTime), job.data, wakeupChannel]),
        (reply) => {
          const text = String(reply)
          if (!text.startsWith("OK ")) return text
          remember(job.id, Number(text.slice(3)), job.data)
          return "OK"
        }
      )

    const driver: EncodedDriver = {
      name: NAME,
      insert: (job) =>
        Effect.flatMap(write("insert", job), (r) =>
          r === "CONFLICT" ? Effect.fail(new ConflictingIdError({ jobId: job.id })) : Effect.void),
      upsert: (job) => Effect.asVoid(write("upsert", job)),
      update: (job) => Effect.map(write("update", job), (r) => r === "OK"),
      delete: (id) =>
        Effect.map(simple("delete", "delete", [id]), (n) => {
          records.delete(id)
          return num(n) > 0
        }),
      deleteAll: Effect.map(simple("deleteAll", "deleteAll", []), () => records.clear()),
      select: (id) =>
        Effect.map(simple("select", "select", [id]), (reply) => {
          const [data, next, version, fence, owner, until, quarantined] = reply as Array<unknown>
          if (data === null || data === undefined || num(quarantined) === 1) return Option.none()
          remember(id, num(version), String(data))
          return Option.some<EncodedRow>({
            id,
            data: String(data),
            nextRunTime: numOrNull(next),
            version: num(version),
            fenceSeq: num(fence ?? 0),
            acquiredBy: str(owner),
            acquiredUntil: numOrNull(until)
          })
        }),
      // the prefix checked (and upgraded from layout 2 or 3) first: the hashes read are layout 4's
      selectAll: Effect.zipRight(
        simple("selectAll", "upgrade", []),
        Effect.tryPromise({
          try: async () => {
            const m = client.multi()
            for (const k of ["jobs", "state", "quarantine"]) m.hgetall(`${prefix}:${k}`)
            const replies = await m.exec()
            if (replies === null) throw new Error("transaction aborted")
            const [jobs, state, quarantine] = replies.map(([err, value]) => {
              if (err !== null) throw err
              return value as Record<string, string>
            })
            const rows: Array<EncodedRow> = []
            for (const [id, data] of Object.entries(jobs!)) {
              if (quarantine![id] !== undefined) continue
              const row = stateRow(id, data, state![id])
              if (state![id] !== undefined) remember(id, row.version, data)
              rows.push(row)
            }
            return rows.sort(byOrder)
          },
          catch: fail("selectAll")
        })
      ),
      getNextRunTime: Effect.tryPromise({
        try: () => client.zrange(`${prefix}:due`, 0, 0, "WITHSCORES"),
        catch: fail("getNextRunTime")
      }).pipe(Effect.map((r) => (r.length >= 2 ? Option.some(Number(r[1])) : Option.none<Instant>()))),
      acquire: ({ horizonMs, leaseMs, limit, owner }) =>
        Effect.gen(function*() {
          const reply = (yield* claim("acquire", "acquire", [
            yield* now,
            owner,
            Math.max(0, Math.floor(limit)),
            Math.ceil(leaseMs),
            prefix,
            token(),
            memoTtl,
            Math.max(0, Math.floor(horizonMs ?? 0))
          ])) as [number, number, Array<string>, string, string, string]
          const [at, until, ids] = reply
          // the columns as texts of numbers, '-' where absent
          const column = (text: string) => (ids.length === 0 ? [] : String(text).split(" "))
          const [nexts, versions, fences] = [column(reply[3]), column(reply[4]), column(reply[5])]
          // the records not held at the version acquired, read in one call (a read: sent again on
          // a lost reply). A record changed since (a user write) comes with the version acquired:
          // its release is refused (compare-and-set) and the job planned again; a job removed
          // since is left out.
          const datas: Array<string | undefined> = []
          const missing: Array<number> = []
          for (let i = 0; i < ids.length; i++) {
            const held = records.get(ids[i]!)
            if (held !== undefined && held.version === num(versions[i])) datas.push(held.data)
            else {
              datas.push(undefined)
              missing.push(i)
            }
          }
          if (missing.length > 0) {
            const [got, current] = (yield* claim("acquire", "records", missing.map((i) => ids[i]!))) as [
              Array<unknown>,
              Array<unknown>
            ]
            missing.forEach((i, j) => {
              if (got[j] === null || got[j] === undefined) return
              const data = String(got[j])
              datas[i] = data
              remember(ids[i]!, num(current[j]), data)
            })
          }
          const rows: Array<EncodedRow> = []
          for (let i = 0; i < ids.length; i++) {
            const data = datas[i]
            if (data === undefined) continue
            rows.push({
              id: ids[i]!,
              data,
              nextRunTime: nexts[i] === "-" ? null : num(nexts[i]),
              version: num(versions[i]),
              fenceSeq: fences[i] === "-" ? 0 : num(fences[i]),
              acquiredBy: owner,
              acquiredUntil: num(until)
            })
          }
          return { now: num(at), rows } satisfies AcquiredRows
        }),
      release: (owner, decisions, runLeaseMs) =>
        decisions.length === 0 ? Effect.succeed([]) : Effect.gen(function*() {
          const lease = runLeaseMs === undefined ? "" : runLeaseMs === null ? "null" : String(Math.ceil(runLeaseMs))
          // the numbers as one text (see RELEASE), then the ids, then the removed jobs' records
          // (one string built as it goes: no array of thousands of small texts to join)
          let numbers = ""
          const removed: Array<string> = []
          for (const d of decisions) {
            const next = d.next === null ? "-" : d.next.nextRunTime === null ? "p" : String(d.next.nextRunTime)
            if (d.next === null) removed.push(d.removedData ?? "")
            numbers += `${numbers === "" ? "" : " "}${d.version} ${next} ${d.maxInstances} ${d.runs.length}`
            for (const r of d.runs) {
              const ready = r.state === "ready"
              numbers += r.count === 1 && r.lastTime === r.scheduledTime
                ? ` ${r.scheduledTime} ${ready ? "r" : "m"}`
                : ` ${r.scheduledTime} ${ready ? "R" : "M"} ${r.count} ${r.lastTime}`
            }
          }
          const args: Array<string | number> = [yield* now, prefix, owner, lease, token(), memoTtl, decisions.length, numbers]
          for (const d of decisions) args.push(d.id)
          for (const data of removed) args.push(data)
          const lines = String(yield* claim("release", "release", args)).split("\n")
          const at = Number(lines[0])
          return decisions.map((d, i): RowOutcome => {
            const line = lines[i + 1]!
            if (line === "R") return { _tag: "Refused" }
            const [skipped, jobUntil, ...started] = line.split(" ")
            const runUntil = runLeaseMs === undefined ? Number(jobUntil) : runLeaseMs === null ? null : at + Math.ceil(runLeaseMs)
            return {
              _tag: "Released",
              skipped: skipped === "1",
              runs: started.map((item): EncodedRun => {
                const colon = item.indexOf(":")
                const t = Number(item.slice(0, colon))
                const planned = d.runs.find((r) => r.scheduledTime === t)
                return {
                  jobId: d.id,
                  scheduledTime: t,
                  recordedAt: at,
                  state: "ready",
                  fence: Number(item.slice(colon + 1)),
                  attempt: 1,
                  acquiredBy: owner,
                  acquiredUntil: runUntil,
                  startedAt: null,
                  finishedAt: null,
                  result: null,
                  error: null,
                  count: planned?.count ?? 1,
                  lastTime: planned?.lastTime ?? t,
                  endedAt: null
                }
              })
            }
          })
        }),
      complete: (completions) => {
        const script = (batch: ReadonlyArray<EncodedCompletion>) =>
          Effect.map(
            claim("complete", "complete", [prefix, token(), memoTtl, JSON.stringify(batch)]),
            (reply) => Array.from(String(reply), (c) => c === "1")
          )
        if (completions.length === 0) return Effect.succeed([])
        if (completions.length <= COMPLETE_BATCH) return script(completions)
        const batches: Array<ReadonlyArray<EncodedCompletion>> = []
        for (let i = 0; i < completions.length; i += COMPLETE_BATCH) batches.push(completions.slice(i, i + COMPLETE_BATCH))
        return Effect.map(Effect.forEach(batches, script), (replies) => replies.flat())
      },
      selectRuns: (jobId) =>
        Effect.map(simple("selectRuns", "selectRuns", [jobId]), (texts) =>
          (texts as Array<string>).map((text) => normalizeRun(JSON.parse(text), jobId)).sort((a, b) =>
            a.scheduledTime - b.scheduledTime
          )),
      purgeRuns: (retentionMs) =>
        Effect.gen(function*() {
          const t = yield* Clock.currentTimeMillis
          if (t - lastPurge < purgeIntervalMs) return
          lastPurge = t
          const at = yield* now
          // housekeeping: a failure is logged and tried again on the next call, never fatal
          yield* Effect.gen(function*() {
            for (;;) {
              const n = num(yield* simple("purgeRuns", "purge", [at, prefix, Math.floor(retentionMs), 1000]))
              if (n < 1000) break
            }
          }).pipe(
            Effect.catchAll((e) =>
              Effect.zipRight(
                Effect.sync(() => (lastPurge = -Infinity)),
                Effect.logWarning(`Cannot purge old runs in job store "${NAME}"`, e)
              )
            )
          )
        }),
      quarantine: (id, reason) => Effect.asVoid(simple("quarantine", "quarantine", [id, reason])),
      renewRuns: (owner, runs, leaseMs) =>
        runs.length === 0 ? Effect.succeed([]) : Effect.gen(function*() {
          const args: Array<string | number> = [yield* now, prefix, owner, Math.ceil(leaseMs)]
          for (const r of runs) args.push(r.jobId, String(r.scheduledTime), String(r.fence))
          const reply = String(yield* simple("renewRuns", "renew", args))
          return runs.map((_, i) => reply[i] === "1")
        }),
      // not resent on a lost reply: runs taken over unknowingly are taken over again when their lease ends
      recover: ({ leaseMs, limit, owner }) =>
        Effect.gen(function*() {
          const reply = (yield* simple("recover", "recover", [
            yield* now,
            prefix,
            owner,
            Math.ceil(leaseMs),
            Math.max(0, Math.floor(limit))
          ])) as [unknown, ...Array<[string, string, string, string, string, string, string]>]
          const [at, ...items] = reply
          const runs: Array<{ readonly run: EncodedRun; readonly job: EncodedRow }> = []
          const abandoned: Array<EncodedRun> = []
          for (const [kind, text, data, next, version, fence, jobId] of items) {
            const run = normalizeRun(JSON.parse(text) as Record<string, unknown>, jobId)
            if (kind === "a") abandoned.push(run)
            else {
              if (version !== "0") remember(run.jobId, num(version), data)
              runs.push({
                run,
                job: {
                  id: run.jobId,
                  data,
                  nextRunTime: next === "" ? null : num(next),
                  version: num(version),
                  fenceSeq: num(fence),
                  acquiredBy: null,
                  acquiredUntil: null
                }
              })
            }
          }
          return { now: num(at), runs, abandoned } satisfies RecoveredRows
        })
    }
    return driver
  })

/**
 * A run as the scripts wrote it: the job id is its key's, a field left out is `null` (`count` 1,
 * `lastTime` the scheduled time).
 */
const normalizeRun = (r: Record<string, unknown>, jobId: string): EncodedRun => ({
  jobId,
  scheduledTime: num(r.scheduledTime),
  recordedAt: num(r.recordedAt),
  state: r.state as EncodedRun["state"],
  fence: num(r.fence),
  attempt: num(r.attempt),
  acquiredBy: str(r.acquiredBy),
  acquiredUntil: numOrNull(r.acquiredUntil),
  startedAt: numOrNull(r.startedAt),
  finishedAt: numOrNull(r.finishedAt),
  result: str(r.result),
  error: str(r.error),
  count: r.count === undefined ? 1 : num(r.count),
  lastTime: r.lastTime === undefined ? num(r.scheduledTime) : num(r.lastTime),
  endedAt: numOrNull(r.endedAt),
  jobData: str(r.jobData)
})

interface IoRedisModule {
  readonly default: new(url: string, options: Record<string, unknown>) => RedisClient & {
    on(event: "error", listener: (e: unknown) => void): unknown
    on(event: "message", listener: (channel: string, message: string) => void): unknown
    subscribe(channel: string): Promise<unknown>
  }
}

/**
 * The peers' hints (see `JobStoreService.changes`): a subscriber connection of its own on the
 * store's wake-up channel (`ioredis` subscribes again after a reconnect); opened while the stream
 * runs, closed when it stops. Pushed into a buffer of one (a hint is a wake-up: those not yet
 * taken are one), the cheapest stream per hint (as SQLite's).
 */
const subscribe = (
  Redis: IoRedisModule["default"],
  url: string,
  channel: string,
  connection: Readonly<Record<string, unknown>> | undefined
) =>
  Stream.asyncPush<void>((emit) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const sub = new Redis(url, {
          maxRetriesPerRequest: null,
          retryStrategy: (times: number) => Math.min(50 * times, 1000),
          ...connection
        })
        sub.on("error", () => {})
        sub.on("message", (ch, _id) => {
          if (ch === channel) void emit.single(undefined)
        })
        void sub.subscribe(channel).catch(() => undefined)
        return sub
      }),
      (sub) => Effect.sync(() => sub.disconnect())
    ), { bufferSize: 1, strategy: "sliding" })

/**
 * Connects to Redis with `ioredis` (imported only now) — or uses `options.client` — loads the
 * scripts and builds the store; the connection closes with the scope. While Redis is unreachable
 * the connection and the script load are tried again for up to `startRetryMs` (each failure
 * logged, each attempt with a client of its own, closed when it fails). Fails with `StoreError`
 * when `ioredis` is not installed, the prefix is empty (operation `configure`, at once) or no
 * attempt succeeds in time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<JobStoreService, StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const prefix = options.prefix ?? DEFAULT_PREFIX
    if (typeof prefix !== "string" || prefix === "") {
      return yield* new StoreError({
        store: NAME,
        operation: CONFIGURE,
        reason: `prefix must be a non-empty string, got ${JSON.stringify(prefix)}`
      })
    }
    let Redis: IoRedisModule["default"] | undefined
    if (options.client === undefined) {
      const { default: Loaded } = yield* Effect.tryPromise({
        try: () => import("ioredis") as unknown as Promise<IoRedisModule>,
        catch: (e) =>
          new StoreError({
            store: NAME,
            operation: "import",
            reason: `the Redis job store needs the 'ioredis' package (npm install ioredis): ${messageOf(e)}`
          })
      })
      Redis = Loaded
    }
    const url = options.url ?? "redis://127.0.0.1:6379"
    /** One attempt: a client of its own (closed with the attempt's scope), connected, scripts loaded. */
    const start = Effect.gen(function*() {
      let client = options.client
      if (Redis !== undefined) {
        const Loaded = Redis
        const own = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const c = new Loaded(url, {
              lazyConnect: true,
              // fail fast while disconnected: the scheduler retries after jobstoreRetryInterval,
              // and a claim in flight is asked for again by token (never resent blindly)
              enableOfflineQueue: false,
              maxRetriesPerRequest: 0,
              autoResendUnfulfilledCommands: false,
              commandTimeout: options.commandTimeoutMs ?? 10_000,
              connectTimeout: options.connectTimeoutMs ?? 10_000,
              retryStrategy: (times: number) => Math.min(50 * times, 1000),
              ...options.connection
            })
            c.on("error", () => {}) // reported through the failed commands
            return c
          }),
          // a client that never got ready (a failed attempt) is dropped at once: a QUIT would wait
          (c) =>
            c.status === "ready"
              ? Effect.promise(() => c.quit().then(() => undefined, () => c.disconnect()))
              : Effect.sync(() => c.disconnect())
        )
        yield* Effect.tryPromise({ try: () => own.connect(), catch: fail("connect") }).pipe(
          Effect.timeoutFail({
            duration: Duration.millis(options.connectTimeoutMs ?? 10_000),
            onTimeout: () => new StoreError({ store: NAME, operation: "connect", reason: `no connection to ${url}` })
          })
        )
        client = own
      }
      const c = client!
      yield* Effect.tryPromise({
        try: () => Promise.all(Object.values(SCRIPTS).map((source) => c.script("LOAD", source))),
        catch: fail("load scripts")
      })
      return c
    })
    const c = yield* retryingStart(start, options.startRetryMs)
    const driver = yield* makeDriver(c, options)
    const changes = Redis === undefined
      ? undefined
      : subscribe(Redis, url, `${prefix}:wakeup`, options.connection)
    return makeEncoded({ ...driver, changes }, options)
  })

const fail = (operation: string) => (e: unknown) => new StoreError({ store: NAME, operation, reason: messageOf(e) })

/**
 * The Redis store as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<JobStore, StoreError> => Layer.scoped(JobStore, make(options))

const asNumber = (options: Readonly<Record<string, unknown>>, key: string): Effect.Effect<number | undefined, ConfigError> => {
  const v = options[key]
  if (v === undefined) return Effect.succeed(undefined)
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN
  return Number.isFinite(n) && n >= 0
    ? Effect.succeed(n)
    : Effect.fail(new ConfigError({ key, reason: `expected a non-negative number, got ${JSON.stringify(v)}` }))
}

/**
 * Reads the plugin options of alias `redis`: `url`, or APScheduler's `host` / `port` / `db` /
 * `password` / `username`; `prefix` (or APScheduler's `jobs_key` prefix); `clock`;
 * `runRetentionMs`; `retryWindowMs`; `commandTimeoutMs`; `connectTimeoutMs`; `purgeIntervalMs`;
 * `startRetryMs`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const optionsFromPlugin = (raw: Readonly<Record<string, unknown>>): Effect.Effect<Options, ConfigError> =>
  Effect.gen(function*() {
    const known = new Set([
      "url",
      "host",
      "port",
      "db",
      "password",
      "username",
      "prefix",
      "clock",
      "runRetentionMs",
      "retryWindowMs",
      "commandTimeoutMs",
      "connectTimeoutMs",
      "purgeIntervalMs",
      "startRetryMs",
      "connection"
    ])
    for (const key of Object.keys(raw)) {
      if (!known.has(key)) return yield* new ConfigError({ key, reason: "unknown option of the redis job store" })
    }
    if (raw.url !== undefined && typeof raw.url !== "string") {
      return yield* new ConfigError({ key: "url", reason: "expected a redis:// URL" })
    }
    if (raw.prefix !== undefined && (typeof raw.prefix !== "string" || raw.prefix === "")) {
      return yield* new ConfigError({ key: "prefix", reason: "expected a non-empty string" })
    }
    if (raw.clock !== undefined && raw.clock !== "redis" && raw.clock !== "effect") {
      return yield* new ConfigError({ key: "clock", reason: `expected "redis" or "effect", got ${JSON.stringify(raw.clock)}` })
    }
    const connection: Record<string, unknown> = {
      ...(typeof raw.connection === "object" && raw.connection !== null ? raw.connection : {})
    }
    if (raw.host !== undefined) connection.host = String(raw.host)
    const port = yield* asNumber(raw, "port")
    if (port !== undefined) connection.port = port
    const db = yield* asNumber(raw, "db")
    if (db !== undefined) connection.db = db
    if (raw.password !== undefined) connection.password = String(raw.password)
    if (raw.username !== undefined) connection.username = String(raw.username)
    return {
      url: raw.url as string | undefined,
      connection,
      prefix: raw.prefix as string | undefined,
      clock: raw.clock as ClockSource | undefined,
      runRetentionMs: yield* asNumber(raw, "runRetentionMs"),
      retryWindowMs: yield* asNumber(raw, "retryWindowMs"),
      commandTimeoutMs: yield* asNumber(raw, "commandTimeoutMs"),
      connectTimeoutMs: yield* asNumber(raw, "connectTimeoutMs"),
      purgeIntervalMs: yield* asNumber(raw, "purgeIntervalMs"),
      startRetryMs: yield* asNumber(raw, "startRetryMs")
    }
  })

/**
 * The job store plugin of alias `redis`: `{ type: "redis", url: "redis://…", prefix: "…" }`.
 * A failed connection is a `ConfigError` naming the alias' store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = (raw: Readonly<Record<string, unknown>>): Effect.Effect<JobStoreService, ConfigError, Scope.Scope> =>
  Effect.flatMap(optionsFromPlugin(raw), (options) =>
    Effect.mapError(make(options), (e) => new ConfigError({ key: "redis", reason: e.message })))
