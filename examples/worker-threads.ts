/**
 * CPU-bound jobs on worker threads (APScheduler's `ProcessPoolExecutor`, alias "processpool"):
 * the job is a task reference `"<module path>:<export>"` that each worker thread imports (a
 * function cannot be sent to a thread), with JSON arguments; the main thread stays free. Needs
 * `@effect/platform-node` installed (an optional peer dependency). Run: `npx tsx examples/worker-threads.ts`.
 */
import * as path from "node:path"
import { BackgroundScheduler, SchedulerEvent } from "../src/index.js"
import { signal } from "./signal.js"

const scheduler = new BackgroundScheduler(
  { timezone: "UTC", executors: { processpool: { type: "processpool", maxWorkers: 2 } } },
  { allowImports: true } // task references may name modules to import
)
const fib = `${path.join(import.meta.dirname, "tasks.ts")}:fib`
const results = new Map<string, unknown>()
const done = signal()
await scheduler.addListener((event) => {
  if (event._tag === "JobExecuted") results.set(event.jobId, event.retval)
  if (event._tag === "JobError") results.set(event.jobId, String(event.exception))
  if (results.size === 2) done.resolve()
}, SchedulerEvent.JOB_EXECUTED | SchedulerEvent.JOB_ERROR)
await scheduler.addJob(fib, undefined, { id: "fib-25", executor: "processpool", args: [25] })
await scheduler.addJob(fib, undefined, { id: "fib-27", executor: "processpool", args: [27] })
await scheduler.start()
await done.done
await scheduler.shutdown()
for (const id of [...results.keys()].sort()) console.log(`${id} = ${results.get(id)} (computed in a worker thread)`)
