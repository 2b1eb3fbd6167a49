/**
 * A cron job with the promise API (APScheduler's "cron" trigger): every second (`second: "*"`),
 * stopped after two runs; then the next three times of a weekday 09:30 New York job, computed by
 * the pure trigger alone. Run: `npx tsx examples/cron.ts`.
 */
import { signal } from "./signal.js"
import { BackgroundScheduler, Trigger } from "../src/index.js"

const scheduler = new BackgroundScheduler({ timezone: "UTC" })
let runs = 0
const done = signal()
const job = await scheduler.addJob(() => {
  console.log(`cron run ${++runs} at second ${new Date().getUTCSeconds()}`)
  if (runs === 2) done.resolve()
}, "cron", { second: "*", id: "every-second" })
console.log(`added ${job.id}: ${job.trigger}`)
await scheduler.start()
await done.done
await scheduler.shutdown()

// the same trigger model, without a scheduler: crontab text, and APScheduler's fields
const weekdays = Trigger.unsafeCompile({ type: "cron", dayOfWeek: "mon-fri", hour: 9, minute: 30, timezone: "America/New_York" })
let t = weekdays.next(undefined, Date.UTC(2024, 0, 5))
for (let i = 0; i < 3 && t !== undefined; i++, t = weekdays.next(t, t)) console.log(`${weekdays} fires at ${new Date(t).toISOString()}`)
