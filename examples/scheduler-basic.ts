/**
 * The Effect scheduler, live: an interval job, a cron job, a one-off job, a listener, then a clean
 * shutdown. Run: `npx tsx examples/scheduler-basic.ts` (about 5 seconds).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { SchedulerEvent } from "../src/index.js"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as SchedulerModule from "../src/scheduler/Scheduler.js"

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler

  yield* scheduler.addListener(
    (event) => Console.log(`[event] ${event._tag} ${"jobId" in event ? event.jobId : ""}`),
    SchedulerEvent.JOB_EXECUTED | SchedulerEvent.JOB_ERROR | SchedulerEvent.JOB_MISSED
  )

  yield* scheduler.addJob(() => Console.log("tick"), { id: "tick", trigger: "interval", triggerArgs: { seconds: 1 } })
  yield* scheduler.addJob(() => Console.log("every 2 s (cron)"), {
    id: "cron",
    trigger: "cron",
    triggerArgs: { second: "*/2" }
  })
  yield* scheduler.addJob((name: string) => Promise.resolve(`hello ${name}`), { id: "once", args: ["world"] })

  yield* scheduler.start()
  yield* scheduler.printJobs()
  yield* Effect.sleep("5 seconds")
  yield* scheduler.shutdown({ wait: true })
})

Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(SchedulerModule.layer({ timezone: "UTC" })),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
)
