/**
 * An interval job with the promise API (APScheduler's "interval" trigger): a tick every 0.3 s,
 * stopped after three ticks. Run: `npx tsx examples/interval.ts`.
 */
import { signal } from "./signal.js"
import { BackgroundScheduler } from "../src/index.js"

const scheduler = new BackgroundScheduler({ timezone: "UTC" })
let ticks = 0
const done = signal()
await scheduler.addJob(() => {
  console.log(`tick ${++ticks}`)
  if (ticks === 3) done.resolve()
}, "interval", { seconds: 0.3, id: "tick" })
await scheduler.start()
await done.done
await scheduler.shutdown()
console.log("interval example done after 3 ticks")
