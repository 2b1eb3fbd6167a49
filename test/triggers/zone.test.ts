import { describe, expect, it } from "@effect/vitest"
import { getZone } from "../../src/triggers/internal/zone.js"

const wall = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi)

describe("zone", () => {
  it("rejects unknown names", () => {
    expect(getZone("Mars/Olympus")).toBeUndefined()
    expect(getZone("America/NewYork")).toBeUndefined()
    expect(getZone("utc+2")).toBeUndefined()
    expect(getZone("")).toBeUndefined()
  })

  it("reads offsets across a year", () => {
    const ny = getZone("America/New_York")!
    expect(ny.offsetAt(Date.UTC(2024, 0, 15))).toBe(-5 * 3600_000)
    expect(ny.offsetAt(Date.UTC(2024, 6, 15))).toBe(-4 * 3600_000)
    // the change itself: 2024-03-10 07:00Z
    expect(ny.offsetAt(Date.UTC(2024, 2, 10, 6, 59, 59))).toBe(-5 * 3600_000)
    expect(ny.offsetAt(Date.UTC(2024, 2, 10, 7))).toBe(-4 * 3600_000)
  })

  it("a wall time in a spring-forward gap is shifted by the gap", () => {
    const ny = getZone("America/New_York")!
    const r = ny.resolve(wall(2024, 3, 10, 2, 30))
    expect(r.kind).toBe("gap")
    expect(new Date(r.earlier).toISOString()).toBe("2024-03-10T07:30:00.000Z") // 03:30 EDT
  })

  it("a midnight gap (Sao Paulo 2018-11-04)", () => {
    const sp = getZone("America/Sao_Paulo")!
    const r = sp.resolve(wall(2018, 11, 4, 0, 30))
    expect(r.kind).toBe("gap")
    expect(new Date(r.earlier).toISOString()).toBe("2018-11-04T03:30:00.000Z") // 01:30 -02:00
  })

  it("an ambiguous wall time has two occurrences, DST first", () => {
    const ny = getZone("America/New_York")!
    const r = ny.resolve(wall(2024, 11, 3, 1, 30))
    expect(r.kind).toBe("overlap")
    expect(new Date(r.earlier).toISOString()).toBe("2024-11-03T05:30:00.000Z")
    expect(new Date(r.later).toISOString()).toBe("2024-11-03T06:30:00.000Z")
  })

  it("30-minute DST (Lord Howe) and +12:45 (Chatham)", () => {
    const lh = getZone("Australia/Lord_Howe")!
    expect(lh.offsetAt(Date.UTC(2024, 0, 1)) / 60_000).toBe(660)
    expect(lh.offsetAt(Date.UTC(2024, 6, 1)) / 60_000).toBe(630)
    const r = lh.resolve(wall(2024, 4, 7, 1, 45)) // fall back 02:00 -> 01:30
    expect(r.kind).toBe("overlap")
    expect(r.later - r.earlier).toBe(30 * 60_000)
    const ch = getZone("Pacific/Chatham")!
    expect(ch.offsetAt(Date.UTC(2024, 6, 1)) / 60_000).toBe(765)
    expect(ch.offsetAt(Date.UTC(2024, 0, 1)) / 60_000).toBe(825)
  })

  it("uses real rules after 2037", () => {
    const berlin = getZone("Europe/Berlin")!
    expect(berlin.offsetAt(Date.UTC(2050, 6, 1)) / 60_000).toBe(120)
    expect(berlin.offsetAt(Date.UTC(2050, 0, 1)) / 60_000).toBe(60)
  })

  it("lists offset changes from its transition table", () => {
    const ny = getZone("America/New_York")!
    const spring = Date.UTC(2024, 2, 10, 7)
    const fall = Date.UTC(2024, 10, 3, 6)
    expect(ny.nextTransition(Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1))).toBe(spring)
    expect(ny.nextTransition(spring, Date.UTC(2025, 0, 1))).toBe(fall)
    expect(ny.nextTransition(spring - 1, spring)).toBe(spring) // (after, limit]
    expect(ny.nextTransition(spring, fall - 1)).toBeUndefined()
    expect(ny.nextTransition(fall, Date.UTC(2030, 0, 1))).toBe(Date.UTC(2025, 2, 9, 7)) // across a year
    expect(getZone("Asia/Kolkata")!.nextTransition(Date.UTC(2000, 0, 1), Date.UTC(2030, 0, 1))).toBeUndefined()
    expect(getZone("UTC")!.nextTransition(0, Date.UTC(2030, 0, 1))).toBeUndefined()
    // every change it reports is one: the offset differs on either side
    const berlin = getZone("Europe/Berlin")!
    for (let t = berlin.nextTransition(Date.UTC(1990, 0, 1), Date.UTC(2060, 0, 1)); t !== undefined; t = berlin.nextTransition(t, Date.UTC(2060, 0, 1))) {
      expect(berlin.offsetAt(t - 1000)).not.toBe(berlin.offsetAt(t))
    }
  })
})
