/**
 * Redis wake-up hints: a job a peer adds (PUBLISH inside the write script, a subscriber connection
 * in the running scheduler) starts on time although the running scheduler polls only every minute.
 * Live clock; the assertion is that the job ran at all within a few seconds, which only a hint can
 * make happen.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import { JobStore } from "../../src/stores/JobStore.js"
import * as Lock from "../../src/stores/Lock.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("wakeup")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** A scheduler on its own connection to the shared keys, polling once a minute. */
const schedulerLayer = (owner: string, calls: Array<number>) =>
  SchedulerModule.layerDefault({ timezone: "UTC" }, { waitOnClose: false, tasks: { record: () => void calls.push(Date.now()) } }).pipe(
    Layer.provideMerge(RedisJobStore.layer({ url: REDIS_URL, prefix })),
    Layer.provide(Lock.leased({ owner, pollMs: 60_000 }))
  )

describe("Redis wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (PUBLISH/SUBSCRIBE)", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const worker = yield* Layer.build(schedulerLayer("worker", calls))
      const producer = yield* Layer.build(schedulerLayer("producer", calls))
      expect(Context.get(worker, JobStore).changes).toBeDefined()
      yield* Context.get(worker, Scheduler).start()
      yield* Context.get(producer, Scheduler).start({ paused: true })
      yield* sleep(1_000) // the worker has looked (no jobs: it sleeps for its poll) and subscribed
      const runDate = Date.now() + 1_500
      yield* Context.get(producer, Scheduler).addJob("record", {
        id: "from-peer",
        trigger: "date",
        triggerArgs: { runDate: new Date(runDate) }
      })
      yield* sleep(4_000)
      expect(calls.length).toBe(1)
      expect(calls[0]!).toBeGreaterThanOrEqual(runDate)
      const runs = yield* Context.get(worker, Scheduler).getRuns("from-peer")
      expect(runs.map((r) => r.state)).toEqual(["succeeded"])
    }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)), 30_000)
})
