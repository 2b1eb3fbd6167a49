/**
 * `npm start`: a scheduler on the live clock for about three seconds, its jobs kept in a SQLite
 * file, so they survive a restart.
 *
 * The first run adds
 * - an interval job every second,
 * - a cron job every second whose seconds are even (`second: "*\/2"`),
 * - a one-off date job 1.5 s from now,
 * then shuts down cleanly (waiting for running jobs). Events are printed as they happen. The jobs
 * are task references (names in the task registry), so they can be stored as data; the file is
 * `data/jobs.sqlite` (git-ignored; `EXAMPLE_DB=path/to/file.sqlite` picks another one).
 *
 * A second run finds the jobs in the file, says how many it restored and from where, and runs
 * them (the one-off job ran and is gone). Start afresh with `npm start -- --fresh` (or delete the
 * file).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { Scheduler, SchedulerEvent, Trigger } from "../src/index.js"

const file = path.resolve(process.env.EXAMPLE_DB ?? path.join("data", "jobs.sqlite"))
if (process.argv.includes("--fresh")) {
  for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
  console.log(`starting afresh: removed ${file}`)
}
fs.mkdirSync(path.dirname(file), { recursive: true })

// the job functions, registered by name: a stored job refers to its task by that name
let ticks = 0
const tasks = {
  tick: () => ++ticks,
  evenSecond: () => console.log("  even second:", new Date().toISOString()),
  oneOff: () => console.log("  one-off date job ran")
}

const program = Effect.gen(function*() {
  const scheduler = yield* Scheduler.Scheduler
  const printer = yield* scheduler.events().pipe(
    Stream.runForEach((event) => Effect.sync(() => console.log(`event ${event._tag}${"jobId" in event ? ` job=${event.jobId}` : ""}`))),
    Effect.fork
  )

  const restored = yield* scheduler.getJobs()
  if (restored.length > 0) {
    console.log(`restored ${restored.length} jobs from ${file}: ${restored.map((job) => job.id).sort().join(", ")}`)
  } else {
    console.log(`no jobs in ${file} yet: adding 3`)
    yield* scheduler.addJob("tick", { id: "tick", trigger: "interval", triggerArgs: { seconds: 1 } })
    yield* scheduler.addJob("evenSecond", { id: "even", trigger: "cron", triggerArgs: { second: "*/2" } })
    yield* scheduler.addJob("oneOff", {
      id: "once",
      trigger: "date",
      triggerArgs: { run_date: new Date(Date.now() + 1500) }
    })
  }
  yield* scheduler.start()
  yield* scheduler.printJobs() // prints the table (and returns it)

  // the pure core on its own: the next three fire times of a weekday 09:30 New York job
  const trigger = Either.getOrThrow(Trigger.compile({ type: "cron", dayOfWeek: "mon-fri", hour: 9, minute: 30, timezone: "America/New_York" }))
  let t = trigger.next(undefined, Date.now())
  for (let i = 0; i < 3 && t !== undefined; i++, t = trigger.next(t, t)) console.log(`  ${trigger} fires at ${new Date(t).toISOString()}`)

  yield* Effect.sleep("3200 millis")
  yield* scheduler.shutdown({ wait: true })
  yield* Fiber.interrupt(printer)
  const kept = yield* scheduler.getJobs()
  console.log(`done: the interval job ran ${ticks} times; events masks: EVENT_ALL=${SchedulerEvent.EVENT_ALL}`)
  console.log(`${kept.length} jobs stay in ${file} for the next run (start afresh: npm start -- --fresh)`)
})

Effect.runPromise(
  program.pipe(
    Effect.provide(
      Scheduler.layerDefault({ timezone: "UTC", jobstores: { default: { type: "sqlite", filename: file } } }, { tasks })
    ),
    Effect.scoped,
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
