/**
 * A one-off job with the promise API (APScheduler's "date" trigger): it runs once at its date,
 * then is gone from the job store. Run: `npx tsx examples/date.ts`.
 */
import { signal } from "./signal.js"
import { BackgroundScheduler } from "../src/index.js"

const scheduler = new BackgroundScheduler({ timezone: "UTC" })
const done = signal()
await scheduler.addJob((text: string) => {
  console.log(`date job ran: ${text}`)
  done.resolve()
}, "date", { runDate: new Date(Date.now() + 500), args: ["hello"], id: "once" })
await scheduler.start()
console.log(`jobs before the run: ${(await scheduler.getJobs()).map((job) => job.id).join(", ")}`)
await done.done
await new Promise((resolve) => setTimeout(resolve, 50)) // the run's end is recorded
console.log(`jobs after the run: ${(await scheduler.getJobs()).length}`)
await scheduler.shutdown()
