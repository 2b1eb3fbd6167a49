/**
 * Type-level test, checked by `tsc --noEmit` (part of `npm test`): fifteen ordinary mistakes a new
 * user makes (issue 12) must not compile, each marked `@ts-expect-error` (an unused marker is
 * itself a compile error, so each line is a real check), and the right spellings must compile.
 * Nothing here runs.
 */
import type * as Effect from "effect/Effect"
import { DateTime } from "luxon"
import { BackgroundScheduler } from "../../src/facade/BackgroundScheduler.js"
import * as Scheduler from "../../src/scheduler/Scheduler.js"
import * as SchedulerConfig from "../../src/scheduler/SchedulerConfig.js"
import * as TestScheduler from "../../src/testing/TestScheduler.js"
import { unsafeCompile } from "../../src/triggers/compile.js"

declare const scheduler: Scheduler.SchedulerService
declare const facade: BackgroundScheduler
const tick = () => undefined

/** The Effect API's mistakes. */
export const effectMistakes: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
  // 1. APScheduler's keyword style in the options object: a trigger field beside the job's options
  // @ts-expect-error `seconds` belongs in triggerArgs
  scheduler.addJob(tick, { trigger: "interval", seconds: 3600 }),
  // 2. a misspelt option name
  // @ts-expect-error `trigerArgs`
  scheduler.addJob(tick, { trigger: "interval", trigerArgs: { seconds: 5 } }),
  // 3. a cron field in the wrong case
  // @ts-expect-error `dayofweek` (dayOfWeek / day_of_week)
  scheduler.addJob(tick, { trigger: "cron", triggerArgs: { dayofweek: "mon" } }),
  // 4. a misspelt field in a spec object
  // @ts-expect-error `hourr`
  scheduler.addJob(tick, { trigger: { type: "cron", hourr: 9 } }),
  // 5. an interval field given to a cron trigger
  // @ts-expect-error `hours` is not a cron field (`hour` is)
  scheduler.addJob(tick, { trigger: "cron", triggerArgs: { hours: 9 } }),
  // 6. a date as epoch seconds (seconds or milliseconds? refused, as APScheduler refuses it)
  // @ts-expect-error runDate is a date string, a Date or a DateTime
  scheduler.addJob(tick, { trigger: "date", triggerArgs: { runDate: 1767225600 } }),
  // 7. a duration as text
  // @ts-expect-error seconds is a number
  scheduler.addJob(tick, { trigger: "interval", triggerArgs: { seconds: "10" } }),
  // 8. a job option misspelt in the singular
  // @ts-expect-error `maxInstance`
  scheduler.addJob(tick, { maxInstance: 2 }),
  // 9. a grace time as text
  // @ts-expect-error misfireGraceTime is seconds (or null)
  scheduler.addJob(tick, { misfireGraceTime: "30s" }),
  // 10. a date trigger without its date
  // @ts-expect-error runDate is required
  scheduler.addJob(tick, { trigger: { type: "date" } }),
  // 11. a mistake inside a nested and/or spec
  scheduler.addJob(tick, {
    trigger: "and",
    // @ts-expect-error `minute` is not an interval field
    triggerArgs: { triggers: [{ type: "cron", day_of_week: "mon-fri" }, { type: "interval", minute: 5 }] }
  }),
  // 12. an unknown change
  // @ts-expect-error `foo`
  scheduler.modifyJob("report", { foo: 1 }),
  // 13. the scheduler's configuration: `timeZone` for `timezone`
  // @ts-expect-error `timeZone`
  Scheduler.make({ timeZone: "Europe/Berlin" })
]

// 13 again, as a layer; 14. a job default misspelt
// @ts-expect-error `timeZone`
Scheduler.layer({ timeZone: "Europe/Berlin" })
// @ts-expect-error `maxInstance`
Scheduler.layer({ jobDefaults: { maxInstance: 3 } })
// @ts-expect-error `max_instance`
TestScheduler.layer({ job_defaults: { max_instance: 3 } })

/** The promise facade's mistakes. */
export const facadeMistakes = async () => {
  // 1 again, in the facade's keyword style: `second` for `seconds`
  // @ts-expect-error `second` is a cron field, not an interval one
  await facade.addJob(tick, "interval", { second: 3, id: "tick" })
  // 5 again: `hours` given to a cron trigger
  // @ts-expect-error `hours`
  await facade.rescheduleJob("tick", "cron", { hours: 9 })
  // a trigger field without a trigger to take it
  // @ts-expect-error `seconds` needs a trigger
  await facade.addJob(tick, undefined, { seconds: 3 })
  // 15. an executor option misspelt
  // @ts-expect-error `max_worker`
  new BackgroundScheduler({ executors: { default: { type: "threadpool", max_worker: 20 } } })
  // an executor option of the wrong type
  // @ts-expect-error maxWorkers is a number
  new BackgroundScheduler({ executors: { processpool: { type: "processpool", maxWorkers: "4" } } })
  // APScheduler's flat dictionary given as if it were an options object
  // @ts-expect-error use SchedulerConfig.flat({...})
  new BackgroundScheduler({ "apscheduler.timezone": "UTC" })
}

/** The right spellings compile: camelCase and snake_case, aliases, spec objects, dates. */
export const rightSpellings = async () => {
  await facade.addJob(tick, "interval", { seconds: 3, id: "tick", max_instances: 2 })
  await facade.addJob(tick, "cron", { day_of_week: "mon-fri", hour: 9, misfireGraceTime: null })
  await facade.addJob(tick, "date", { runDate: new Date(), timezone: "UTC" })
  await facade.addJob(tick, "date", { run_date: DateTime.now() })
  await facade.addJob(tick, { type: "cron", dayOfWeek: "sun", hour: 0 }, { id: "weekly" })
  await facade.addJob(tick, unsafeCompile({ type: "interval", seconds: 5 }))
  await facade.addJob(tick, "every", { seconds: 7, anything: true }) // a plugin's alias takes any options
  await facade.addJob(tick)
  facade.scheduledJob("cron", { minute: "*/5" })(tick)
  await facade.rescheduleJob("tick", "interval", { minutes: 1 })
  await facade.modifyJob("tick", { max_instances: 3, name: "tick" })
  await facade.configure({ job_defaults: { misfire_grace_time: 30 }, jobstoreRetryInterval: 5 })
  await facade.configure(SchedulerConfig.flat({ "apscheduler.timezone": "UTC" }))
  await facade.addJobstore({ type: "sqlite", filename: "jobs.sqlite" }, "sqlite")
  new BackgroundScheduler({
    timezone: "Europe/Berlin",
    jobDefaults: { coalesce: false, maxInstances: 3 },
    jobstores: { default: { type: "memory" }, sql: { type: "sqlalchemy", url: "sqlite:jobs.sqlite", table_prefix: "ap" } },
    executors: {
      default: { type: "threadpool", maxWorkers: 20 },
      processpool: { type: "processpool", max_workers: 5 },
      custom: { type: "mine", options: { anything: 1 } }
    }
  })
  return [
    scheduler.addJob(tick, { trigger: "interval", triggerArgs: { seconds: 10 }, id: "a", misfire_grace_time: 30 }),
    scheduler.addJob(tick, { trigger: "cron", trigger_args: { day_of_week: "mon", hour: "9-17/2" } }),
    scheduler.addJob(tick, { trigger: { type: "interval", minutes: 5, start_date: "2026-12-01 09:00:00" } }),
    scheduler.addJob(tick, {
      trigger: "or",
      triggerArgs: { triggers: [{ type: "cron", hour: 9 }, { type: "date", runDate: "2026-12-24 18:00:00" }] }
    }),
    scheduler.addJob("reports:daily", { trigger: "every", triggerArgs: { seconds: 7 } }),
    scheduler.modifyJob("a", { trigger: "cron", triggerArgs: { hour: 10 } }),
    scheduler.rescheduleJob("a", "date", { run_date: new Date() }),
    Scheduler.make({ timezone: "UTC", job_defaults: { max_instances: 2 } })
  ]
}

/** A decoded configuration is accepted where an options object is. */
export const decodedConfig = (config: SchedulerConfig.SchedulerConfig) => Scheduler.layer(config)
