/**
 * Time travel: a month of a weekday 09:00 job in milliseconds, with TestScheduler and TestClock.
 * Run: `npx tsx examples/scheduler-testclock.ts`.
 */
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import { Scheduler } from "../src/scheduler/Scheduler.js"
import * as TestScheduler from "../src/testing/TestScheduler.js"

const program = Effect.gen(function*() {
  yield* TestClock.setTime(Date.UTC(2024, 0, 1)) // before the layer is built
  yield* Effect.gen(function*() {
    const scheduler = yield* Scheduler
    yield* scheduler.addJob(() => "report sent", {
      id: "report",
      trigger: "cron",
      triggerArgs: { day_of_week: "mon-fri", hour: 9 }
    })
    const events = yield* TestScheduler.advance("31 days")
    const runs = TestScheduler.executed(events, "report")
    console.log(`${runs.length} reports in January 2024:`)
    for (const t of runs) console.log(`  ${new Date(t).toISOString()}`)
  }).pipe(Effect.provide(TestScheduler.layer({ timezone: "Europe/London" })))
})

Effect.runPromise(
  program.pipe(Effect.provide(TestContext.TestContext), Logger.withMinimumLogLevel(LogLevel.Warning))
)
