/**
 * Two schedulers in one process share one Redis store (`Lock.leased`, Redis TIME): 50 jobs
 * every second, on the live clock, for 20 s of real time. Each scheduled time fires exactly once, across both schedulers, and none is
 * skipped. Counts are asserted, never timings.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Queue from "effect/Queue"
import { EventBus } from "../../src/events/EventBus.js"
import type { SchedulerEvent } from "../../src/events/SchedulerEvent.js"
import { TaskRegistry } from "../../src/job/TaskRegistry.js"
import { Scheduler } from "../../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../../src/scheduler/Scheduler.js"
import * as Lock from "../../src/stores/Lock.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import { cleanup, randomPrefix, rawClient, REDIS_URL } from "./redisHelpers.js"

const prefix = randomPrefix("two")
const raw = rawClient()
afterAll(async () => {
  await cleanup(raw, prefix)
  raw.disconnect()
})

const JOBS = 50
const RUN_MS = 20_000

const schedulerLayer = (owner: string) =>
  SchedulerModule.layerDefault({ timezone: "UTC" }).pipe(
    Layer.provide(Layer.merge(RedisJobStore.layer({ url: REDIS_URL, prefix }), Lock.leased({ owner })))
  )

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("RedisJobStore shared by two schedulers", () => {
  it.live(`${JOBS} jobs every second for ${RUN_MS / 1000} s: each scheduled time fires exactly once`, () =>
    Effect.gen(function*() {
      const a = yield* Layer.build(schedulerLayer("scheduler-a"))
      const b = yield* Layer.build(schedulerLayer("scheduler-b"))
      const subscriptions: Array<Queue.Dequeue<SchedulerEvent>> = []
      for (const ctx of [a, b]) {
        yield* Context.get(ctx, TaskRegistry).register("tick", () => "ok")
        subscriptions.push(yield* Context.get(ctx, EventBus).subscribe)
      }
      const sa = Context.get(a, Scheduler)
      const sb = Context.get(b, Scheduler)
      const first = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000)
      for (let i = 0; i < JOBS; i++) {
        yield* sa.addJob("tick", {
          id: `job-${i}`,
          trigger: "interval",
          triggerArgs: { seconds: 1, startDate: first },
          coalesce: false,
          misfireGraceTime: null,
          maxInstances: 3
        })
      }
      yield* sa.start()
      yield* sb.start()
      yield* sleep(RUN_MS)
      yield* sa.shutdown()
      yield* sb.shutdown()

      // every JOB_EXECUTED of both schedulers, by job
      const byJob = new Map<string, Array<number>>()
      const perScheduler = [0, 0]
      for (const [i, events] of subscriptions.entries()) {
        for (const e of yield* events.takeAll) {
          expect(e._tag).not.toBe("JobMaxInstances")
          expect(e._tag).not.toBe("JobError")
          if (e._tag !== "JobExecuted") continue
          perScheduler[i]!++
          const list = byJob.get(e.jobId) ?? []
          list.push(e.scheduledRunTime)
          byJob.set(e.jobId, list)
        }
      }
      expect(byJob.size).toBe(JOBS)
      let total = 0
      for (const [jobId, times] of byJob) {
        times.sort((x, y) => x - y)
        // never twice
        expect(new Set(times).size, jobId).toBe(times.length)
        // none lost: every second from the first to the last one run
        expect(times[0], jobId).toBe(first.getTime())
        expect(times.map((t, k) => t - first.getTime() - k * 1000), jobId).toEqual(times.map(() => 0))
        // the store has one run record per scheduled time, all succeeded
        const runs = yield* sa.getRuns(jobId)
        expect(runs.map((r) => r.scheduledTime), jobId).toEqual(times)
        expect(new Set(runs.map((r) => r.state)), jobId).toEqual(new Set(["succeeded"]))
        total += times.length
      }
      // the window held several seconds of runs (a count, not a timing)
      expect(total).toBeGreaterThanOrEqual(JOBS * 10)
      console.log(`two schedulers: ${total} runs (a: ${perScheduler[0]}, b: ${perScheduler[1]}), no duplicate, none lost`)
    }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning)), 60_000)
})
