/**
 * BENCH memory-store: one million cron and interval jobs in a MemoryJobStore in one process;
 * heap bytes per job (jobs share interned compiled triggers) and adds per second.
 * Target: ≤ 1,000 bytes per job. Run with --expose-gc for exact heap figures.
 *
 * BENCH memory-store-claims: the store's share of the dispatch benchmark: 10,000 jobs due at once
 * on a fresh store, claimed in batches of 256 through `acquire` → `release` (one run each) →
 * `complete`, through the store's Effects; best of several rounds. Runs per second of the store
 * alone (the scheduler's dispatch target, ≥ 200,000 runs/s, includes it).
 */
import * as Effect from "effect/Effect"
import * as Job from "../src/job/Job.js"
import type { RunPlan } from "../src/planning/planRuns.js"
import type { Completion, Decision } from "../src/stores/JobStore.js"
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

const CLAIM_JOBS = 10_000
const BATCH = 256
const ROUNDS = 10

// one pass over 10,000 due jobs on a fresh store: the dispatch benchmark's share of store work
const pass = Effect.gen(function*() {
  const store = yield* MemoryJobStore.make
  const trigger = triggers[1]!
  const due = Date.now()
  for (let i = 0; i < CLAIM_JOBS; i++) {
    yield* store.add(Job.make({ id: `job-${i}`, task, trigger, nextRunTime: due, misfireGraceTime: null }))
  }
  let runs = 0
  const begin = performance.now()
  for (;;) {
    const { jobs, now } = yield* store.acquire({ owner: "bench", limit: BATCH, leaseMs: 30_000 })
    if (jobs.length === 0) break
    const decisions: Array<Decision> = new Array(jobs.length)
    for (let i = 0; i < jobs.length; i++) {
      const t = jobs[i]!.job.nextRunTime as number
      const plan: RunPlan = {
        due: true,
        runTimes: [t],
        missed: [],
        missedSummary: undefined,
        nextRunTime: t + 60_000,
        jobRemoved: false
      }
      decisions[i] = { leased: jobs[i]!, plan }
    }
    const outcomes = yield* store.release("bench", decisions)
    const completions: Array<Completion> = []
    for (const outcome of outcomes) {
      if (outcome._tag !== "Released") continue
      for (const run of outcome.runs) {
        completions.push({
          jobId: run.jobId,
          scheduledTime: run.scheduledTime,
          fence: run.fence,
          state: "succeeded",
          startedAt: now,
          finishedAt: now
        })
      }
    }
    const accepted = yield* store.complete(completions)
    for (const ok of accepted) if (ok) runs++
  }
  const elapsed = performance.now() - begin
  if (runs !== CLAIM_JOBS) throw new Error(`expected ${CLAIM_JOBS} runs, got ${runs}`)
  return elapsed
})

const claims = Effect.gen(function*() {
  let best = Infinity
  for (let round = 0; round < ROUNDS; round++) best = Math.min(best, yield* pass)
  console.log(
    `BENCH memory-store-claims runs_per_s=${
      Math.round(CLAIM_JOBS / (best / 1000))
    } jobs=${CLAIM_JOBS} batch=${BATCH} (best of ${ROUNDS} fresh stores)`
  )
})

Effect.runSync(main)
Effect.runSync(claims)
