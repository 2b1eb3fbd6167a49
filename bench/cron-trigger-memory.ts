/**
 * BENCH cron-trigger-memory: retained heap per compiled cron trigger (spec included), over
 * 100,000 distinct triggers, each asked for its next fire time once (warm caches included).
 * Run with --expose-gc (bench/run.ts does).
 */
import * as Either from "effect/Either"
import { compileCron, type CronTrigger } from "../src/triggers/CronTrigger.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run node with --expose-gc")

const ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham"]
const COUNT = 100_000
const NOW = Date.UTC(2024, 0, 1)

const make = (i: number): CronTrigger =>
  Either.getOrThrow(compileCron({
    type: "cron",
    minute: i % 60,
    hour: `${Math.floor(i / 60) % 24}`,
    day: 1 + (Math.floor(i / 1440) % 28),
    month: `${1 + (Math.floor(i / 40_320) % 12)}`,
    dayOfWeek: i % 7 === 0 ? "mon-fri" : undefined,
    timezone: ZONES[i % ZONES.length]
  }))

// warm up zones and code paths so that shared caches are not counted
for (let i = 0; i < 1000; i++) make(COUNT + i).next(undefined, NOW)

gc()
gc()
const before = process.memoryUsage().heapUsed
const kept: Array<CronTrigger> = new Array(COUNT)
for (let i = 0; i < COUNT; i++) {
  const t = make(i)
  t.next(undefined, NOW)
  kept[i] = t
}
gc()
gc()
const after = process.memoryUsage().heapUsed
const perTrigger = (after - before - COUNT * 8) / COUNT // minus the array slots
if (kept.length !== COUNT) console.log(kept.length)
console.log(`BENCH cron-trigger-memory bytes_per_trigger=${Math.round(perTrigger)}`)
