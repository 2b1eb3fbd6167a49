/**
 * The chaos harness's takeover time (bench/chaos/takeover.ts), which its failover figure measures:
 * a run's start, except a backlog run that one release granted behind an earlier time of its job
 * (it waits in its submission for the bodies before it): its grant.
 */
import { describe, expect, it } from "@effect/vitest"
import { covered, fullSpans, type GrantLine, takeovers } from "../../bench/chaos/takeover.js"

const PID = 100
const grant = (job: string, t: number, fence: number, from: number, at: number, how = "release"): GrantLine => ({
  pid: PID,
  ev: "lease",
  how,
  from,
  at,
  job,
  t,
  fence
})
const start = (job: string, t: number, fence: number, at: number): GrantLine => ({ pid: PID, ev: "start", at, job, t, fence })

describe("chaos takeover time", () => {
  it("a backlog of three times granted by one release: the first is taken over at its start, the two queued behind its 15 s body at the grant", () => {
    const lines = [
      grant("j", 0, 1, 4_000, 4_010),
      grant("j", 1_000, 2, 4_000, 4_010),
      grant("j", 2_000, 3, 4_000, 4_010),
      start("j", 0, 1, 4_015),
      start("j", 1_000, 2, 19_015),
      start("j", 2_000, 3, 34_015)
    ]
    const takenOver = takeovers(lines)
    expect(lines.slice(3).map(takenOver)).toEqual([4_015, 4_010, 4_010])
  })

  it("a run alone in its release, a late start counts whole (the executor's delay is the scheduler's)", () => {
    const lines = [grant("k", 0, 1, 1_000, 1_010), start("k", 0, 1, 6_000)]
    expect(takeovers(lines)(lines[1]!)).toBe(6_000)
  })

  it("the same job's times from two releases are two heads; a recovered run and a start without a grant count at their start", () => {
    const lines = [
      grant("m", 0, 1, 1_000, 1_010),
      grant("m", 1_000, 2, 2_000, 2_010),
      grant("m", 2_000, 3, 3_000, 3_010, "recover"),
      start("m", 0, 1, 1_020),
      start("m", 1_000, 2, 9_000),
      start("m", 2_000, 3, 9_500),
      start("m", 3_000, 4, 9_900)
    ]
    const takenOver = takeovers(lines)
    expect(lines.slice(3).map(takenOver)).toEqual([1_020, 9_000, 9_500, 9_900])
  })

  it("renewals are not grants: a renewed run queued behind its head still counts from its release", () => {
    const lines = [
      grant("r", 0, 1, 1_000, 1_010),
      grant("r", 1_000, 2, 1_000, 1_010),
      grant("r", 1_000, 2, 5_000, 5_005, "renew"),
      start("r", 1_000, 2, 16_000)
    ]
    expect(takeovers(lines)(lines[3]!)).toBe(1_010)
  })
})

describe("chaos takeover: queued grants and full jobs", () => {
  it("with a kill's time, a slot's queued grant at or after it counts whichever run it granted; a release's head, a recovery and an earlier grant do not", () => {
    const lines = [
      grant("q", 0, 1, 1_000, 1_010),
      grant("q", 1_000, 2, 1_000, 1_010),
      grant("q", 1_000, 5, 9_000, 9_020, "recover"),
      { ...grant("q", 0, 6, 12_000, 12_010), pid: PID + 1 },
      { ...grant("q", 1_000, 7, 12_000, 12_010), pid: PID + 1 },
      grant("q", 1_000, 8, 3_000, 3_005),
      start("q", 1_000, 5, 30_000),
      start("q", 0, 6, 12_020)
    ]
    const takenOver = takeovers(lines)
    // the recovered start (fence 5) counts from the queued grant of fence 7, after a kill at 11 s
    expect(takenOver(lines[6]!, 11_000)).toBe(12_010)
    // after a kill at 2 s, the earliest queued grant since then: fence 7's (fence 8's heads its release)
    expect(takenOver(lines[6]!, 2_000)).toBe(12_010)
    // no kill given, or no queued grant after it: its own start
    expect(takenOver(lines[6]!)).toBe(30_000)
    expect(takenOver(lines[6]!, 13_000)).toBe(30_000)
    // a release's head counts at its start
    expect(takenOver(lines[7]!, 11_000)).toBe(12_020)
  })

  it("a job is full where at least maxInstances runs overlap; touching full spans merge", () => {
    const runs = [
      { from: 0, to: 10_000 },
      { from: 2_000, to: 5_000 },
      { from: 5_000, to: 8_000 },
      { from: 12_000, to: 13_000 },
      { from: 12_500, to: 14_000 }
    ]
    expect(fullSpans(runs, 2)).toEqual([{ from: 2_000, to: 8_000 }, { from: 12_500, to: 13_000 }])
    expect(fullSpans(runs, 1)).toEqual([{ from: 0, to: 10_000 }, { from: 12_000, to: 14_000 }])
    expect(fullSpans(runs, 3)).toEqual([])
  })

  it("covered counts the part of a window the full spans overlap", () => {
    const spans = [{ from: 2_000, to: 8_000 }, { from: 12_500, to: 13_000 }]
    expect(covered(spans, 0, 20_000)).toBe(6_500)
    expect(covered(spans, 7_000, 12_700)).toBe(1_200)
    expect(covered(spans, 8_000, 12_500)).toBe(0)
  })
})
