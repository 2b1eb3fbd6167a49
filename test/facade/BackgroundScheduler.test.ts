/**
 * The promise facade on the live clock: APScheduler's surface, rejections with the library's own
 * error classes, job handles, pending jobs, the blocking scheduler. Real-time tests assert what ran
 * and in which state things end, never how long they took.
 */
import { describe, expect, it } from "vitest"
import {
  ConflictingIdError,
  InvalidArgumentError,
  JobLookupError,
  SchedulerNotRunningError,
  TriggerError
} from "../../src/errors.js"
import { JOB_EXECUTED } from "../../src/events/SchedulerEvent.js"
import { BackgroundScheduler, BlockingScheduler, Job } from "../../src/facade/BackgroundScheduler.js"
import * as SchedulerConfig from "../../src/scheduler/SchedulerConfig.js"

/** A promise resolved by the n-th call of the returned function. */
const calls = (n: number) => {
  let count = 0
  let done!: () => void
  const reached = new Promise<void>((resolve) => (done = resolve))
  return {
    fn: () => {
      if (++count === n) done()
      return count
    },
    reached,
    count: () => count
  }
}

describe("BackgroundScheduler", () => {
  it("adds jobs with APScheduler's keyword style (trigger fields and job options together) and runs them", async () => {
    const scheduler = new BackgroundScheduler({ timezone: "UTC" })
    try {
      const tick = calls(3)
      const job = await scheduler.addJob(tick.fn, "interval", { seconds: 0.02, id: "tick", max_instances: 2 })
      expect(job).toBeInstanceOf(Job)
      expect(job.id).toBe("tick")
      expect(job.trigger).toBe("interval[0:00:00.020000]")
      const once = calls(1)
      await scheduler.addJob(once.fn, undefined, { id: "now" }) // no trigger: once, at start
      expect((await scheduler.getJobs()).map((j) => j.id)).toEqual(["tick", "now"])
      expect(await scheduler.state()).toBe("stopped")
      await scheduler.start()
      expect(await scheduler.running()).toBe(true)
      await Promise.all([tick.reached, once.reached])
      expect((await scheduler.getJob("tick"))!.job.maxInstances).toBe(2)
      expect(await scheduler.getJob("now")).toBeUndefined() // a date job is removed after its run
    } finally {
      await scheduler.shutdown()
    }
  })

  it("rejects with the library's own error classes and original messages", async () => {
    const scheduler = new BackgroundScheduler({ timezone: "UTC" })
    try {
      const missing = await scheduler.removeJob("nope").catch((e: unknown) => e)
      expect(missing).toBeInstanceOf(JobLookupError)
      expect((missing as Error).message).toBe(new JobLookupError({ jobId: "nope" }).message)
      const field = await scheduler.addJob(() => 1, "interval", { secs: 3 } as never).catch((e: unknown) => e)
      expect(field).toBeInstanceOf(TriggerError)
      expect((field as TriggerError).field).toBe("secs")
      const noTrigger = await scheduler.addJob(() => 1, undefined, { seconds: 3 } as never).catch((e: unknown) => e)
      expect(noTrigger).toBeInstanceOf(InvalidArgumentError)
      expect((noTrigger as InvalidArgumentError).field).toBe("seconds")
      await scheduler.addJob(() => 1, "interval", { seconds: 5, id: "a" })
      expect(await scheduler.addJob(() => 1, "interval", { seconds: 5, id: "a" }).catch((e: unknown) => e))
        .toBeInstanceOf(ConflictingIdError)
      expect(await scheduler.pause().catch((e: unknown) => e)).toBeInstanceOf(SchedulerNotRunningError)
    } finally {
      await scheduler.shutdown().catch(() => undefined) // never started: SchedulerNotRunningError
    }
  })

  it("a job handle tells a pending job (added before start) from a paused one", async () => {
    const scheduler = new BackgroundScheduler({ timezone: "UTC" })
    try {
      const waiting = await scheduler.addJob(() => 1, "interval", { hours: 1, id: "w" })
      const paused = await scheduler.addJob(() => 1, "interval", { hours: 1, id: "p", next_run_time: null })
      expect([waiting.nextRunTime, waiting.pending, waiting.paused]).toEqual([null, true, false])
      expect([paused.nextRunTime, paused.pending, paused.paused]).toEqual([null, false, true])
      await scheduler.start()
      const started = (await scheduler.getJob("w"))!
      expect([started.nextRunTime instanceof Date, started.pending, started.paused]).toEqual([true, false, false])
    } finally {
      await scheduler.shutdown()
    }
  })

  it("job handles modify, reschedule, pause, resume and remove their job", async () => {
    const scheduler = new BackgroundScheduler({ timezone: "UTC" })
    try {
      await scheduler.start({ paused: true })
      const job = await scheduler.addJob(() => 1, "interval", { hours: 1, id: "h" })
      const first = job.nextRunTime!
      expect(first).toBeInstanceOf(Date)
      await job.modify({ name: "hourly", maxInstances: 3 })
      expect(job.name).toBe("hourly")
      await job.reschedule("cron", { minute: 30 })
      expect(job.trigger).toContain("cron[minute='30']")
      expect(job.nextRunTime!.getUTCMinutes()).toBe(30)
      await job.pause()
      expect(job.nextRunTime).toBe(null)
      await job.resume()
      expect(job.nextRunTime).toBeInstanceOf(Date)
      expect((await scheduler.getJob("h"))!.name).toBe("hourly")
      await job.remove()
      expect(await scheduler.getJob("h")).toBeUndefined()
      expect(await scheduler.printJobs()).toContain("No scheduled jobs")
    } finally {
      await scheduler.shutdown()
    }
  })

  it("listeners receive events with their mask; configure() and scheduledJob() before start", async () => {
    const scheduler = new BackgroundScheduler(SchedulerConfig.flat({ "apscheduler.timezone": "UTC" }))
    try {
      await scheduler.configure({ jobDefaults: { maxInstances: 4 } })
      const ran = calls(2)
      const decorated = scheduler.scheduledJob("interval", { seconds: 0.02, id: "dec" })(ran.fn)
      expect(decorated).toBe(ran.fn)
      const seen: Array<string> = []
      await scheduler.addListener((event) => void seen.push(event._tag), JOB_EXECUTED)
      await scheduler.start()
      await ran.reached
      expect((await scheduler.getJob("dec"))!.job.maxInstances).toBe(4)
      await scheduler.shutdown()
      expect(seen.length).toBeGreaterThanOrEqual(1)
      expect(new Set(seen)).toEqual(new Set(["JobExecuted"]))
    } finally {
      await scheduler.shutdown().catch(() => undefined)
    }
  })

  it("an error in a scheduledJob() addition rejects start()", async () => {
    const scheduler = new BackgroundScheduler({ timezone: "UTC" })
    scheduler.scheduledJob("interval", { second: 3 } as never)(() => 1)
    const error = await scheduler.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TriggerError)
    await scheduler.shutdown().catch(() => undefined)
  })
})

describe("BlockingScheduler", () => {
  it("start() resolves once the scheduler shuts down; its signal handlers are removed", async () => {
    const scheduler = new BlockingScheduler({ timezone: "UTC" })
    const before = process.listenerCount("SIGTERM")
    let runs = 0
    await scheduler.addJob(() => {
      if (++runs === 2) void scheduler.shutdown({ wait: false })
    }, "interval", { seconds: 0.02 })
    await scheduler.start()
    expect(runs).toBe(2)
    expect(process.listenerCount("SIGTERM")).toBe(before)
  })
})
