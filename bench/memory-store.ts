/**
 * BENCH memory-store: one million cron and interval jobs in a MemoryJobStore in one process;
 * heap bytes per job (jobs share interned compiled triggers) and adds per second.
 * Target: ≤ 1,000 bytes per job. Run with --expose-gc for exact heap figures.
 */
import * as Effect from "effect/Effect"
import * as Job from "../src/job/Job.js"
import * as MemoryJobStore from "../src/stores/MemoryJobStore.js"
import { unsafeCompile } from "../src/triggers/compile.js"
import type { CompiledTrigger } from "../src/triggers/Trigger.js"

const N = 1_000_000
const T0 = Date.UTC(2024, 0, 1)

const gc = (globalThis as { gc?: () => void }).gc
const heap = () => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

// fifty schedules: 25 cron, 25 interval (what a million jobs typically share)
const triggers: Array<CompiledTrigger> = []
for (let i = 0; i < 25; i++) {
  triggers.push(unsafeCompile({ type: "cron", minute: String(i), hour: "*/2", timezone: "UTC" }))
  triggers.push(unsafeCompile({ type: "interval", minutes: i + 1, startDate: "2024-01-01T00:00:00Z", timezone: "UTC" }))
}
const task = () => undefined

const main = Effect.gen(function*() {
  const store = yield* MemoryJobStore.make
  const before = heap()
  const start = performance.now()
  for (let i = 0; i < N; i++) {
    const trigger = triggers[i % triggers.length]!
    yield* store.add(
      Job.make({
        id: `job-${i}`,
        task,
        trigger,
        nextRunTime: trigger.next(undefined, T0 + (i % 3600) * 1000)!
      })
    )
  }
  const elapsed = performance.now() - start
  const after = heap()
  const count = (yield* store.getAll).length
  if (count !== N) throw new Error(`expected ${N} jobs, got ${count}`)
  console.log(
    `BENCH memory-store bytes_per_job=${Math.round((after - before) / N)} adds_per_s=${
      Math.round(N / (elapsed / 1000))
    } jobs=${N}${gc === undefined ? " (no --expose-gc)" : ""}`
  )
})

Effect.runSync(main)
