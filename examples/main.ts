/**
 * `npm start`: a scheduler on the live clock for about three seconds.
 *
 * - an interval job every second,
 * - a cron job every second whose seconds are even (`second: "*\/2"`),
 * - a one-off date job 1.5 s from now,
 * then a clean shutdown that waits for running jobs. Events are printed as they happen.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import { Scheduler, SchedulerEvent, Triggers } from "../src/index.js"

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler.Scheduler
  const printer = yield* scheduler.events().pipe(
    Stream.runForEach((event) => Effect.sync(() => console.log(`event ${event._tag}${"jobId" in event ? ` job=${event.jobId}` : ""}`))),
    Effect.fork
  )

  let ticks = 0
  yield* scheduler.addJob(() => ++ticks, { id: "tick", trigger: "interval", triggerArgs: { seconds: 1 } })
  yield* scheduler.addJob(() => console.log("  even second:", new Date().toISOString()), {
    id: "even",
    trigger: "cron",
    triggerArgs: { second: "*/2" }
  })
  yield* scheduler.addJob(() => console.log("  one-off date job ran"), {
    id: "once",
    trigger: "date",
    triggerArgs: { run_date: new Date(Date.now() + 1500) }
  })
  yield* scheduler.start()
  yield* scheduler.printJobs() // prints the table (and returns it)

  // the pure core on its own: the next three fire times of a weekday 09:30 New York job
  const trigger = Either.getOrThrow(Triggers.compile({ type: "cron", dayOfWeek: "mon-fri", hour: 9, minute: 30, timezone: "America/New_York" }))
  let t = trigger.next(undefined, Date.now())
  for (let i = 0; i < 3 && t !== undefined; i++, t = trigger.next(t, t)) console.log(`  ${trigger} fires at ${new Date(t).toISOString()}`)

  yield* Effect.sleep("3200 millis")
  yield* scheduler.shutdown({ wait: true })
  yield* Fiber.interrupt(printer)
  console.log(`done: the interval job ran ${ticks} times; events masks: EVENT_ALL=${SchedulerEvent.EVENT_ALL}`)
})

Effect.runPromise(
  program.pipe(Effect.provide(Scheduler.layerDefault({ timezone: "UTC" })), Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning))
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
