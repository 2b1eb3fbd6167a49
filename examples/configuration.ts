/**
 * The manual's three ways of configuring a scheduler, each with two job stores (memory, the
 * default, and a SQLite file named "sqlite") and two executors (fibers, the default, with 20
 * workers, and worker threads named "processpool" with 5), and job defaults: coalesce off, at
 * most 3 instances of a job at once. Run: `npx tsx examples/configuration.ts`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BackgroundScheduler, SchedulerConfig } from "../src/index.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-configuration-"))
const file = (name: string) => path.join(dir, `${name}.sqlite`)
const report = () => undefined
// worker threads run task references that they import: "<module path>:<export>"
const fib = `${path.join(import.meta.dirname, "tasks.ts")}:fib`
const options = { tasks: { report }, allowImports: true }

/** Adds a job to the SQLite store, shows where everything went, and shuts the scheduler down. */
const show = async (method: string, scheduler: BackgroundScheduler) => {
  await scheduler.start({ paused: true }) // accept jobs, run none
  const memoryJob = await scheduler.getJob("in-memory")
  console.log(`${method}: job "in-memory" in store ${memoryJob?.jobstore}, coalesce=${memoryJob?.job.coalesce}, maxInstances=${memoryJob?.job.maxInstances}`)
  await scheduler.addJob(fib, "interval", { minutes: 5, id: "stored", jobstore: "sqlite", executor: "processpool", args: [20] })
  const stored = await scheduler.getJob("stored")
  console.log(`${method}: job "stored" in store ${stored?.jobstore}, executor ${stored?.executor}`)
  await scheduler.shutdown()
}

// 1. a configuration object (camelCase; snake_case works too) given to the constructor
const first = new BackgroundScheduler({
  timezone: "UTC",
  jobstores: { sqlite: { type: "sqlite", filename: file("first") } },
  executors: { default: { type: "threadpool", maxWorkers: 20 }, processpool: { type: "processpool", maxWorkers: 5 } },
  jobDefaults: { coalesce: false, maxInstances: 3 }
}, options)
await first.addJob(report, "interval", { minutes: 1, id: "in-memory" })
await show("1. config object", first)

// 2. APScheduler's flat "apscheduler." dictionary (string values, as from an .ini file)
const second = new BackgroundScheduler(SchedulerConfig.flat({
  "apscheduler.timezone": "UTC",
  "apscheduler.jobstores.sqlite": { type: "sqlite", filename: file("second") },
  "apscheduler.executors.default": { type: "threadpool", max_workers: "20" },
  "apscheduler.executors.processpool": { type: "processpool", max_workers: "5" },
  "apscheduler.job_defaults.coalesce": "false",
  "apscheduler.job_defaults.max_instances": "3"
}), options)
await second.addJob(report, "interval", { minutes: 1, id: "in-memory" })
await show("2. flat dictionary", second)

// 3. a bare scheduler, jobs added first, then configure() before start (the job defaults reach
//    the jobs added before it, as in APScheduler)
const third = new BackgroundScheduler({}, options)
await third.addJob(report, "interval", { minutes: 1, id: "in-memory" })
await third.configure({
  timezone: "UTC",
  jobstores: { sqlite: { type: "sqlite", filename: file("third") } },
  executors: { default: { type: "threadpool", maxWorkers: 20 }, processpool: { type: "processpool", maxWorkers: 5 } },
  jobDefaults: { coalesce: false, maxInstances: 3 }
})
await show("3. configure()", third)

fs.rmSync(dir, { recursive: true, force: true })
