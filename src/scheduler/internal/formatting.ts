/**
 * Text for people: instants in the scheduler's time zone and the job table of `printJobs`.
 */
import { DateTime } from "luxon"
import type * as Job from "../../job/Job.js"
import type { Instant } from "../../triggers/Trigger.js"

/** An instant in a zone as `yyyy-MM-dd HH:mm:ss ZZZZ`; `null` reads "paused". */
export const formatTime = (zone: string, t: Instant | null): string =>
  t === null ? "paused" : DateTime.fromMillis(t, { zone }).toFormat("yyyy-MM-dd HH:mm:ss ZZZZ")

/** The rows of a job table (id, name, trigger, next run at); pending jobs read "pending". */
export const table = (zone: string, jobs: ReadonlyArray<Job.Job>, pendingIds: ReadonlySet<string>): Array<string> => {
  const rows = jobs.map((j) => [
    j.id,
    j.name,
    j.trigger.toString(),
    pendingIds.has(j.id) ? "pending" : formatTime(zone, j.nextRunTime)
  ])
  const header = ["id", "name", "trigger", "next run at"]
  // loops, not spreads: a table of a million jobs must not overflow the stack
  const widths = header.map((h) => h.length)
  for (const row of rows) for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length)
  const line = (r: ReadonlyArray<string>) => "    " + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  const out = [line(header), line(widths.map((w) => "-".repeat(w)))]
  for (const row of rows) out.push(line(row))
  return out
}
