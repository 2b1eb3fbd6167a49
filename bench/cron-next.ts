/**
 * BENCH cron-next: chains of next-fire computations for the same cron schedules in
 * effect-apscheduler, croner and cron-parser (several zones and DST years, `L`, nth weekday,
 * seconds). Prints fires per second of each library and our speed-up ratios.
 */
import { Cron } from "croner"
import { CronExpressionParser } from "cron-parser"
import * as Either from "effect/Either"
import { compileCron, type CronTriggerSpec } from "../src/triggers/CronTrigger.js"

interface Case {
  readonly zone: string
  /** six fields with seconds, read the same way by croner and cron-parser */
  readonly pattern: string
  readonly ours: Omit<CronTriggerSpec, "type" | "timezone">
}

const CASES: ReadonlyArray<Case> = [
  { zone: "UTC", pattern: "*/15 * * * * *", ours: { second: "*/15" } },
  { zone: "America/New_York", pattern: "0 30 9 * * 1-5", ours: { dayOfWeek: "mon-fri", hour: 9, minute: 30 } },
  { zone: "Europe/Berlin", pattern: "0 30 2 * * *", ours: { hour: 2, minute: 30 } },
  { zone: "Australia/Sydney", pattern: "0 0 12 L * *", ours: { day: "last", hour: 12 } },
  { zone: "Australia/Lord_Howe", pattern: "0 15 10 * * 5#3", ours: { day: "3rd fri", hour: 10, minute: 15 } },
  { zone: "America/Sao_Paulo", pattern: "0 0 */6 * * *", ours: { hour: "*/6" } },
  { zone: "Asia/Kolkata", pattern: "0 */5 * * * *", ours: { minute: "*/5" } },
  { zone: "Pacific/Chatham", pattern: "0 0 8-18 * * 1,3,5", ours: { dayOfWeek: "mon,wed,fri", hour: "8-18", minute: 0 } }
]

const START = Date.UTC(2016, 0, 1)
const CHAIN = 2_000

const ours = (): number => {
  let fires = 0
  for (const c of CASES) {
    const t = Either.getOrThrow(compileCron({ type: "cron", timezone: c.zone, ...c.ours }))
    let prev = t.next(undefined, START)
    for (let i = 1; i < CHAIN && prev !== undefined; i++) {
      prev = t.next(prev, prev)
      fires++
    }
  }
  return fires
}

const croner = (): number => {
  let fires = 0
  for (const c of CASES) {
    const job = new Cron(c.pattern, { timezone: c.zone, paused: true })
    let prev: Date | null = job.nextRun(new Date(START - 1))
    for (let i = 1; i < CHAIN && prev !== null; i++) {
      prev = job.nextRun(prev)
      fires++
    }
  }
  return fires
}

const cronParser = (): number => {
  let fires = 0
  for (const c of CASES) {
    const it = CronExpressionParser.parse(c.pattern, { currentDate: new Date(START - 1), tz: c.zone })
    it.next()
    for (let i = 1; i < CHAIN; i++) {
      it.next()
      fires++
    }
  }
  return fires
}

const measure = (run: () => number, minMs: number): number => {
  run() // warm-up
  let fires = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < minMs) {
    fires += run()
    elapsed = performance.now() - start
  }
  return (fires / elapsed) * 1000
}

/** First `next` of freshly compiled never-matching triggers (rule 6), in µs: [median, max]. */
const neverMatch = (): [number, number] => {
  const specs: ReadonlyArray<Omit<CronTriggerSpec, "type">> = [
    { month: "feb", day: 31, timezone: "UTC" },
    { month: 2, day: 30, timezone: "America/New_York" },
    { day: "last fri", dayOfWeek: "sat-sun", minute: "*/20", timezone: "America/New_York" },
    { year: 2025, week: 53, timezone: "Europe/Berlin" },
    { day: "last thu", dayOfWeek: "0/2", hour: "1,11,21,22", timezone: "Asia/Kolkata" }
  ]
  const times: Array<number> = []
  for (let round = 0; round < 200; round++) {
    for (const s of specs) {
      // a distinct spec each time, so no per-trigger memo helps
      const t = Either.getOrThrow(compileCron({ type: "cron", ...s, second: round % 60 }))
      const start = performance.now()
      const r = t.next(undefined, START)
      const us = (performance.now() - start) * 1000
      if (r !== undefined) throw new Error("expected undefined")
      if (round >= 20) times.push(us)
    }
  }
  times.sort((a, b) => a - b)
  return [times[Math.floor(times.length / 2)]!, times[times.length - 1]!]
}

/** fastForward of a per-second trigger 10 years late (New York, DST changes included), in µs. */
const fastForward10y = (): number => {
  const t = Either.getOrThrow(compileCron({ type: "cron", second: "*", timezone: "America/New_York" }))
  const prev = Date.UTC(2014, 0, 1)
  const rounds = 200
  let sink = 0
  for (let i = 0; i < 20; i++) sink += t.fastForward(prev + i * 1000, Date.UTC(2024, 0, 1) + i).count
  const start = performance.now()
  for (let i = 0; i < rounds; i++) sink += t.fastForward(prev + i * 1000, Date.UTC(2024, 0, 1) + i * 7).count
  const us = ((performance.now() - start) * 1000) / rounds
  if (sink < 0) console.log(sink)
  return us
}

// the three libraries agree on these schedules (croner picks the second occurrence of an
// ambiguous fall-back time), so the chains are comparable
const ourRate = measure(ours, 1500)
const cronerRate = measure(croner, 1500)
const parserRate = measure(cronParser, 1500)
const never = neverMatch()
const ff = fastForward10y()
const fmt = (x: number) => Math.round(x).toString()
console.log(
  `BENCH cron-next fires_per_s=${fmt(ourRate)} croner=${fmt(cronerRate)} cron_parser=${fmt(parserRate)} ` +
    `vs_croner=${(ourRate / cronerRate).toFixed(1)} vs_cron_parser=${(ourRate / parserRate).toFixed(1)} ` +
    `never_match_us=${never[0].toFixed(1)} never_match_max_us=${never[1].toFixed(1)} ` +
    `fast_forward_10y_per_second_us=${ff.toFixed(1)}`
)
