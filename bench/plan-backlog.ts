/**
 * BENCH plan-backlog: planRuns for a job firing every second that was offline for 10 years,
 * misfire grace 60 s (coalesce off: the worst case, every run in the window is planned); and for
 * a per-second `or` of two interval triggers 30 days late, coalesce on (`or_us_per_plan`).
 */
import { planRuns } from "../src/planning/planRuns.js"
import { unsafeCompile } from "../src/triggers/compile.js"

const trigger = unsafeCompile({ type: "interval", seconds: 1, startDate: "2014-01-01 00:00:00", timezone: "UTC" })
const cron = unsafeCompile({ type: "cron", second: "*", timezone: "Europe/Berlin" })
const nextRunTime = Date.UTC(2014, 0, 1)
const now = Date.UTC(2024, 0, 1)

const measure = (t: typeof trigger, rounds: number) => {
  let sink = 0
  for (let i = 0; i < 50; i++) sink += planRuns({ nextRunTime, trigger: t, now: now + i, misfireGraceTime: 60, coalesce: false }).runTimes.length
  const start = performance.now()
  for (let i = 0; i < rounds; i++) {
    sink += planRuns({ nextRunTime, trigger: t, now: now + i, misfireGraceTime: 60, coalesce: i % 2 === 0 }).runTimes.length
  }
  const us = ((performance.now() - start) * 1000) / rounds
  if (sink < 0) console.log(sink)
  return us
}

const or = unsafeCompile({
  type: "or",
  triggers: [
    { type: "interval", seconds: 1, startDate: "2024-01-01 00:00:00", timezone: "UTC" },
    { type: "interval", seconds: 3, startDate: "2024-01-01 00:00:00.500000", timezone: "UTC" }
  ]
})
const orStart = Date.UTC(2024, 0, 1)
const orNow = orStart + 30 * 86_400_000
const measureOr = (rounds: number) => {
  let sink = 0
  const start = performance.now()
  for (let i = 0; i < rounds; i++) {
    sink += planRuns({ nextRunTime: orStart, trigger: or, now: orNow + i, misfireGraceTime: 60, coalesce: true }).runTimes.length
  }
  const us = ((performance.now() - start) * 1000) / rounds
  if (sink !== rounds) throw new Error(`expected one coalesced run per plan, got ${sink}`)
  return us
}

const interval = measure(trigger, 20_000)
const cronUs = measure(cron, 200)
const orUs = measureOr(measureOr(1) > 100_000 ? 3 : 2_000)
const plan = planRuns({ nextRunTime, trigger, now, misfireGraceTime: 60, coalesce: false })
console.log(
  `BENCH plan-backlog us_per_plan=${interval.toFixed(2)} cron_us_per_plan=${cronUs.toFixed(2)} or_us_per_plan=${orUs.toFixed(2)} backlog=${plan.missedSummary?.count} run_times=${plan.runTimes.length}`
)
