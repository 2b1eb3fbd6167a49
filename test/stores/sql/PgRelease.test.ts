/**
 * PostgreSQL `release` is one statement that writes with a compare-and-set on what its snapshot
 * saw (no row lock taken by the read): a job changed between the read and the write is refused as
 * if the read had seen the change — nothing written, its lease cleared. It numbers the fences of
 * new runs itself: a planned time that exists takes none.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type { LeasedJob } from "../../../src/stores/JobStore.js"
import { JobStore } from "../../../src/stores/JobStore.js"
import { tables } from "../../../src/stores/sql/migrations.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { makeJob } from "../jobStoreSuite.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("cas")
afterAll(() => dropTables(pgClient(), prefix))

describe("SqlJobStore release (PostgreSQL)", () => {
  it.live("a user write committed between release's read and its write: refused, no run recorded, the lease cleared", () =>
    Effect.gen(function*() {
      const store = yield* JobStore
      const other = yield* pgClient()
      const J = other(tables(prefix).jobs)
      const { now } = yield* store.acquire({ owner: "probe", limit: 0, leaseMs: 60_000 })
      yield* store.add(makeJob("cas-a", now - 1_000), false)
      const { jobs: [leased] } = yield* store.acquire({ owner: "A", limit: 10, leaseMs: 60_000 })
      expect(leased?.job.id).toBe("cas-a")
      // a peer's user write, held uncommitted: it holds the row lock, the release's read sees the old version
      const written = yield* Deferred.make<void>()
      const commit = yield* Deferred.make<void>()
      const writer = yield* other.withTransaction(Effect.gen(function*() {
        yield* other`UPDATE ${J} SET version = version + 1 WHERE id = 'cas-a'`
        yield* Deferred.succeed(written, undefined)
        yield* Deferred.await(commit)
      })).pipe(Effect.fork)
      yield* Deferred.await(written)
      const release = yield* store.release("A", [{
        leased: leased!,
        plan: {
          due: true,
          runTimes: [leased!.job.nextRunTime!],
          missed: [],
          missedSummary: undefined,
          nextRunTime: leased!.job.nextRunTime! + 60_000,
          jobRemoved: false
        }
      }], null).pipe(Effect.fork)
      yield* Effect.sleep("1 second") // the release's write waits on the row lock
      yield* Deferred.succeed(commit, undefined)
      yield* Fiber.join(writer)
      expect(yield* Fiber.join(release)).toEqual([{ _tag: "Refused" }])
      expect(yield* store.getRuns("cas-a")).toEqual([])
      const [row] = yield* other`SELECT next_run_time, acquired_by, acquired_until FROM ${J} WHERE id = 'cas-a'`
      expect([Number(row!.next_run_time), row!.acquired_by, Number(row!.acquired_until)]).toEqual([now - 1_000, "A", 0]) // the lease ended (0), the owner column kept
    }).pipe(
      Effect.provide(Layer.fresh(SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2 }))),
      Effect.scoped
    ), 30_000)

  it.live("a plan whose first ready time exists: the second gets the next fence, and the job's fence sequence follows it", () =>
    Effect.gen(function*() {
      const store = yield* JobStore
      const { now } = yield* store.acquire({ owner: "probe", limit: 0, leaseMs: 60_000 })
      const t0 = now - 10_000
      yield* store.add(makeJob("part-a", t0, { maxInstances: 5 }), false)
      const cycle = (runTimes: ReadonlyArray<number>, nextRunTime: number) =>
        Effect.gen(function*() {
          const { jobs } = yield* store.acquire({ owner: "A", limit: 10, leaseMs: 60_000 })
          const leased = jobs.find((l: LeasedJob) => l.job.id === "part-a")!
          const [outcome] = yield* store.release("A", [{
            leased,
            plan: { due: true, runTimes, missed: [], missedSummary: undefined, nextRunTime, jobRemoved: false }
          }], null)
          return outcome!._tag === "Released" ? outcome!.runs.map((r) => [r.scheduledTime, r.fence]) : []
        })
      const [[, f1]] = yield* cycle([t0], t0)
      expect(yield* cycle([t0, t0 + 1_000], t0 + 2_000)).toEqual([[t0 + 1_000, f1! + 1]])
      expect(yield* cycle([t0 + 2_000], t0 + 3_000)).toEqual([[t0 + 2_000, f1! + 2]])
      expect((yield* store.getRuns("part-a")).map((r) => [r.scheduledTime, r.fence])).toEqual([
        [t0, f1],
        [t0 + 1_000, f1! + 1],
        [t0 + 2_000, f1! + 2]
      ])
    }).pipe(
      Effect.provide(Layer.fresh(SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2 }))),
      Effect.scoped
    ), 30_000)
})
