/**
 * A Redis outage longer than `jobstoreRetryInterval`, through a small loopback TCP proxy
 * (test/support/tcpProxy.ts) that cuts every connection and refuses new ones for a while: the
 * scheduler keeps running (store errors are logged and retried), nothing is lost (every scheduled time
 * runs once the store is back: no grace limit, no coalescing) and nothing runs twice. Real
 * time; counts asserted, never timings.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { EventBus } from "../../src/events/EventBus.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import * as Lock from "../../src/stores/Lock.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { startTcpProxy } from "../support/tcpProxy.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("outage")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

/** A proxy to Redis (test/support/tcpProxy.ts) and its URL. */
const makeProxy = async () => {
  const target = new URL(REDIS_URL)
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
  return { ...proxy, url: `redis://127.0.0.1:${proxy.port}` }
}

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const JOBS = 10

/** The warnings logged (and nothing printed). */
const warnings: Array<string> = []
const logger = Logger.make(({ logLevel, message }) => {
  if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) warnings.push(String(message))
})

describe("RedisJobStore through an outage", () => {
  it.live("an outage longer than jobstoreRetryInterval: no crash, no loss, no duplicate", () =>
    Effect.gen(function*() {
      const proxy = yield* Effect.acquireRelease(Effect.promise(makeProxy), (p) => Effect.promise(p.close))
      const ctx = yield* Layer.build(
        SchedulerModule.layerDefault({ timezone: "UTC", jobstoreRetryInterval: 1 }).pipe(
          Layer.provide(Layer.merge(
            RedisJobStore.layer({ url: proxy.url, prefix, retryWindowMs: 20_000 }),
            Lock.leased({ owner: "outage" })
          ))
        )
      )
      const scheduler = Context.get(ctx, Scheduler)
      yield* Context.get(ctx, TaskRegistry).register("tick", () => "ok")
      const events = yield* Context.get(ctx, EventBus).subscribe
      const first = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000)
      for (let i = 0; i < JOBS; i++) {
        yield* scheduler.addJob("tick", {
          id: `job-${i}`,
          trigger: "interval",
          triggerArgs: { seconds: 1, startDate: first },
          coalesce: false,
          misfireGraceTime: null,
          maxInstances: 10
        })
      }
      yield* scheduler.start()
      yield* sleep(2_500)
      proxy.cut()
      yield* sleep(2_500) // longer than jobstoreRetryInterval (1 s)
      expect(yield* scheduler.state).toBe("running")
      proxy.restore()
      yield* sleep(3_000)
      expect(yield* scheduler.state).toBe("running")
      const lastDue = Date.now() - 1500 // every time due before this has surely been planned
      yield* scheduler.shutdown()

      // the outage was seen: the loop logged store errors and went on
      expect(warnings.some((w) => w.includes("Error getting due jobs"))).toBe(true)
      const byJob = new Map<string, Array<number>>()
      for (const e of yield* events.takeAll) {
        expect(e._tag).not.toBe("JobMaxInstances")
        expect(e._tag).not.toBe("JobMissed")
        if (e._tag !== "JobExecuted") continue
        byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e.scheduledRunTime])
      }
      expect(byJob.size).toBe(JOBS)
      for (const [jobId, times] of byJob) {
        times.sort((x, y) => x - y)
        expect(new Set(times).size, jobId).toBe(times.length) // no duplicate
        // no loss: every second from the first, through the outage, up to the end
        expect(times.map((t, k) => t - first.getTime() - k * 1000), jobId).toEqual(times.map(() => 0))
        expect(times[times.length - 1]!, jobId).toBeGreaterThanOrEqual(Math.floor(lastDue / 1000) * 1000 - 1000)
        // the store: one run per time, each completed once the store was back
        const runs = yield* scheduler.getRuns(jobId)
        expect(runs.map((r) => r.scheduledTime), jobId).toEqual(times)
        expect(new Set(runs.map((r) => r.state)), jobId).toEqual(new Set(["succeeded"]))
      }
    }).pipe(
      Effect.scoped,
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    ), 60_000)
})
