/**
 * BENCH sqlite-add: 10,000 cron jobs added one at a time through `store.add` to a SQLite file
 * (WAL, synchronous NORMAL). APScheduler's SQLAlchemyJobStore on SQLite needs 2.6 ms per job on
 * this machine. Target: ≤ 0.26 ms per job.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Job from "../src/job/Job.js"
import * as TaskRef from "../src/job/TaskRef.js"
import * as SqlJobStore from "../src/stores/sql/SqlJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"

const N = 10_000
const T0 = Date.UTC(2024, 0, 1)

const triggers = Array.from({ length: 50 }, (_, i) =>
  unsafeCompile({ type: "cron", minute: String(i), hour: `*/${(i % 4) + 1}`, timezone: "UTC" }))
const task = TaskRef.make("report")

const main = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eas-bench-add-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  const store = yield* SqlJobStore.makeSqlite({ filename: path.join(dir, "jobs.sqlite") })
  const jobs = Array.from({ length: N }, (_, i) => {
    const trigger = triggers[i % triggers.length]!
    return Job.make({ id: `job-${i}`, task, args: [i], trigger, nextRunTime: trigger.next(undefined, T0)! })
  })
  const start = performance.now()
  for (const job of jobs) yield* store.add(job)
  const elapsed = performance.now() - start
  const count = (yield* store.getAll).length
  if (count !== N) throw new Error(`expected ${N} jobs, got ${count}`)
  console.log(`BENCH sqlite-add ms_per_job=${(elapsed / N).toFixed(4)} jobs=${N}`)
})

Effect.runPromise(Effect.scoped(main)).catch((e) => {
  console.error(e)
  process.exit(1)
})
