/**
 * Recovery's limit and maxInstances on the Redis store (a key prefix of its own): the expired runs
 * of a job at its maxInstances never crowd the recovery of other jobs' runs out of a call.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { JobStore } from "../../src/stores/JobStore.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { A, acquire, B, makeJob, plan, started } from "./jobStoreSuite.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const T0 = Date.UTC(2024, 0, 1)
const prefix = randomPrefix("recslots")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

describe("RedisJobStore recover and maxInstances", () => {
  it.effect("a job at its maxInstances with more expired runs than the limit does not starve another job's expired run", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.add(makeJob("full", T0 - 3000, { maxInstances: 1 }))
        yield* store.add(makeJob("other", T0, { maxInstances: 1 }))
        const got = yield* acquire(store, { owner: A })
        const byId = new Map(got.jobs.map((l) => [l.job.id, l]))
        // "full" holds three runs (planned at once), "other" one; each leased for 1 s
        const outcomes = yield* store.release(A, [
          { leased: byId.get("full")!, plan: plan({ runTimes: [T0 - 3000, T0 - 2000, T0 - 1000], nextRunTime: T0 + 3_600_000 }) },
          { leased: byId.get("other")!, plan: plan({ runTimes: [T0], nextRunTime: T0 + 3_600_000 }) }
        ], 1000)
        expect(outcomes.map((o) => started(o).length)).toEqual([3, 1])
        yield* TestClock.setTime(T0 + 10_000) // every lease expired; owner A is gone
        // limit 2: the two earliest expired runs are "full"'s, and "full" has one slot
        const first = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(first.runs.map((x) => `${x.run.jobId}@${x.run.scheduledTime - T0}`).sort()).toEqual(["full@-3000", "other@0"])
        // "full" now holds a live run: its other expired runs wait for its slot
        const second = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(second.runs).toEqual([])
      }).pipe(Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix, clock: "effect" })))
    }))

  it.effect("recover reads on past several rounds of a slotless job's expired runs and never returns more than the limit", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const store = yield* JobStore
        yield* store.add(makeJob("full", T0 - 5000, { maxInstances: 1 }))
        yield* store.add(makeJob("a", T0, { maxInstances: 1 }))
        yield* store.add(makeJob("b", T0, { maxInstances: 1 }))
        const got = yield* acquire(store, { owner: A })
        const byId = new Map(got.jobs.map((l) => [l.job.id, l]))
        const later = T0 + 3_600_000
        const outcomes = yield* store.release(A, [
          { leased: byId.get("full")!, plan: plan({ runTimes: [T0 - 5000, T0 - 4000, T0 - 3000, T0 - 2000, T0 - 1000], nextRunTime: later }) },
          { leased: byId.get("a")!, plan: plan({ runTimes: [T0], nextRunTime: later }) },
          { leased: byId.get("b")!, plan: plan({ runTimes: [T0], nextRunTime: later }) }
        ], 1000)
        expect(outcomes.map((o) => started(o).length)).toEqual([5, 1, 1])
        yield* TestClock.setTime(T0 + 10_000)
        const key = (x: { readonly run: { readonly jobId: string; readonly scheduledTime: number } }) =>
          `${x.run.jobId}@${x.run.scheduledTime - T0}`
        // limit 2: "full"'s four slotless runs take three rounds to read past; "a" fills the limit
        const first = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(first.runs.map(key).sort()).toEqual(["a@0", "full@-5000"])
        const second = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(second.runs.map(key)).toEqual(["b@0"])
        const third = yield* store.recover({ owner: B, limit: 2, leaseMs: 30_000 })
        expect(third.runs).toEqual([])
      }).pipe(Effect.provide(RedisJobStore.layer({ url: REDIS_URL, prefix: `${prefix}:rounds`, clock: "effect" })))
    }))
})
