/**
 * Running jobs now (APScheduler: `add_job` without a trigger; `modify_job(id,
 * next_run_time=now)`): a job added without a trigger runs once at once; a daily job is made to
 * run now by setting its next run time, and keeps its schedule after. Run: `npx tsx examples/run-now.ts`.
 */
import { signal } from "./signal.js"
import { BackgroundScheduler } from "../src/index.js"

const scheduler = new BackgroundScheduler({ timezone: "UTC" })
await scheduler.start()
const ran = signal()
await scheduler.addJob(() => {
  console.log("ran once, now (no trigger)")
  ran.resolve()
})
await ran.done

const report = signal()
const daily = await scheduler.addJob(() => {
  console.log("daily report ran now")
  report.resolve()
}, "cron", { hour: 6, id: "daily-report" })
await daily.modify({ nextRunTime: new Date() })
await report.done
await new Promise((resolve) => setTimeout(resolve, 50)) // the run's end is recorded
const next = (await scheduler.getJob("daily-report"))?.nextRunTime
console.log(`daily-report next runs at ${next === null || next === undefined ? "never" : new Date(next).toISOString().slice(11, 19)} UTC`)
await scheduler.shutdown()
