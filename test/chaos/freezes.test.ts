/**
 * The chaos harness's account of its freezes (bench/chaos/freezes.ts): a frozen process's runs
 * are classed by their log lines, and the demands fail when a freeze of a process running jobs
 * stopped nothing stale or a run wrote after its lease ended while frozen.
 */
import { describe, expect, it } from "@effect/vitest"
import { freezeDemands, freezeOutcomes, openRuns, type RunLine } from "../../bench/chaos/freezes.js"

const PID = 100
const PEER = 200
// the freeze: from 10 000 to 18 000 (a 5 s lease + 3 s)
const freeze = { pid: PID, from: 10_000, to: 18_000 }
const start = (job: string, at: number, pid = PID, fence = 1): RunLine => ({ pid, ev: "start", at, job, t: 1_000, fence })
const leaseSignal = (job: string, at: number): RunLine => ({
  pid: PID,
  ev: "aborted",
  how: "signal",
  reason: "its lease could not be renewed in time",
  at,
  job,
  t: 1_000,
  fence: 1
})
const end = (job: string, at: number, wat: number, accepted: boolean, pid = PID): RunLine => ({
  pid,
  ev: "end",
  at,
  wat,
  accepted,
  job,
  t: 1_000,
  fence: 1
})

describe("chaos freeze account", () => {
  it("a run stopped by its lost lease after the resume is held and lease-aborted: the demands are met", () => {
    const lines = [start("a", 9_000), leaseSignal("a", 18_005), start("b", 9_500), { ...leaseSignal("b", 18_006), how: "lease-check", reason: undefined }]
    const [o] = freezeOutcomes(lines, [freeze])
    expect(o).toMatchObject({ held: 2, inFlight: 0, leaseAborted: 2, refused: 0, leaseIgnored: 0 })
    expect(freezeDemands([o!])).toEqual([])
  })

  it("a write begun before the freeze that the sink refused after it is in flight and refused: the demands are met", () => {
    const [o] = freezeOutcomes([start("a", 9_000), end("a", 18_010, 9_990, false)], [freeze])
    expect(o).toMatchObject({ held: 0, inFlight: 1, refused: 1, leaseIgnored: 0 })
    expect(freezeDemands([o!])).toEqual([])
  })

  it("a held run that writes after the resume (no lease check) fails, whether the sink refuses it or not", () => {
    for (const accepted of [true, false]) {
      const [o] = freezeOutcomes([start("a", 9_000), end("a", 18_020, 18_010, accepted)], [freeze])
      expect(o).toMatchObject({ held: 1, leaseAborted: 0, leaseIgnored: 1, refused: accepted ? 0 : 1 })
      expect(freezeDemands([o!])).toContain("lease_ignored=1 (freeze of pid100)")
    }
  })

  it("a freeze whose held runs all end without a stale outcome fails (nothing stale was stopped)", () => {
    // stopped by the shutdown, not by its lease: no stale outcome
    const lines = [start("a", 9_000), { ...leaseSignal("a", 30_000), reason: "the scheduler shut down without waiting" }]
    const [o] = freezeOutcomes(lines, [freeze])
    expect(o).toMatchObject({ held: 1, leaseAborted: 0, refused: 0 })
    expect(freezeDemands([o!])).toEqual([
      "freeze of pid100 held 1 run(s): lease_aborted=0 and stale_rejected=0",
      "no stale outcome in 1 freeze(s): lease_aborted=0 and stale_rejected=0"
    ])
  })

  it("runs ended before the resume, started after the freeze, or of another process are not held; freezes that stopped nothing stale fail", () => {
    const lines = [
      start("a", 8_000),
      end("a", 9_500, 9_400, true),
      start("b", 18_100),
      leaseSignal("b", 25_000),
      start("c", 9_000, PEER),
      end("c", 18_100, 18_050, true, PEER)
    ]
    const [o] = freezeOutcomes(lines, [freeze])
    expect(o).toMatchObject({ held: 0, inFlight: 0, leaseAborted: 0, refused: 0, leaseIgnored: 0 })
    expect(freezeDemands([o!])).toEqual(["no stale outcome in 1 freeze(s): lease_aborted=0 and stale_rejected=0"])
    expect(freezeDemands([])).toEqual([])
  })

  it("open runs: starts without an end or an abort", () => {
    expect(openRuns([start("a", 1), start("b", 2), end("a", 3, 3, true), start("c", 4), leaseSignal("c", 5)])).toBe(1)
    expect(openRuns([])).toBe(0)
  })
})
