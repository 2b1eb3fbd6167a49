/**
 * Event listeners (APScheduler's `add_listener(callback, mask)`): one listener for the runs that
 * ended (executed or failed), one for every event; a job that succeeds and one that throws.
 * Run: `npx tsx examples/listeners.ts`.
 */
import { BackgroundScheduler, SchedulerEvent } from "../src/index.js"
import { signal } from "./signal.js"

const scheduler = new BackgroundScheduler({ timezone: "UTC" })
const ended = signal()
let ends = 0
await scheduler.addListener((event) => {
  if (event._tag === "JobExecuted") console.log(`listener: job ${event.jobId} returned ${JSON.stringify(event.retval)}`)
  if (event._tag === "JobError") console.log(`listener: job ${event.jobId} failed: ${(event.exception as Error).message}`)
  if (++ends === 2) ended.resolve()
}, SchedulerEvent.JOB_EXECUTED | SchedulerEvent.JOB_ERROR)
const seen: Array<string> = []
const all = await scheduler.addListener((event) => void seen.push(event._tag), SchedulerEvent.EVENT_ALL)

await scheduler.start()
await scheduler.addJob(() => 6 * 7, undefined, { id: "answer" })
await scheduler.addJob(() => {
  throw new Error("disk full")
}, undefined, { id: "broken" })
await ended.done
await scheduler.removeListener(all)
await scheduler.shutdown()
console.log(`every event seen: ${[...new Set(seen)].sort().join(", ")}`)
