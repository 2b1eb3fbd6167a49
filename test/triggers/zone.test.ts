import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { getZone, standardIsEarlier } from "../../src/triggers/internal/zone.js"

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

/** The transitions of a compiled TZif file (64-bit section): instant (ms) and the UTC offset and DST flag after it. */
const readTzif = (file: string): Array<{ at: number; offset: number; isdst: boolean }> | undefined => {
  const d = fs.readFileSync(file)
  if (d.length < 44 || d.toString("latin1", 0, 4) !== "TZif" || d[4]! < 0x32) return undefined
  const counts = (off: number) => [0, 1, 2, 3, 4, 5].map((i) => d.readInt32BE(off + 20 + 4 * i))
  const [isutc, isstd, leap, timecnt, typecnt, charcnt] = counts(0) as [number, number, number, number, number, number]
  const v2 = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isutc
  const [, , , n, types] = counts(v2) as [number, number, number, number, number, number]
  let p = v2 + 44
  const times = Array.from({ length: n }, (_, i) => Number(d.readBigInt64BE(p + 8 * i)) * 1000)
  p += 8 * n
  const idx = Array.from({ length: n }, (_, i) => d[p + i]!)
  p += n
  const info = Array.from({ length: types }, (_, i) => ({ offset: d.readInt32BE(p + 6 * i), isdst: d[p + 6 * i + 4] === 1 }))
  return times.map((at, i) => ({ at, ...info[idx[i]!]! }))
}

const ZONEINFO = "/usr/share/zoneinfo"

describe("standard-time occurrence of an ambiguous wall time (pytz localize(is_dst=False))", () => {
  it("negative-DST falls back to the earlier occurrence; positive DST, and standard-offset changes, to the later", () => {
    expect(standardIsEarlier("Europe/Dublin", Date.UTC(2024, 9, 27, 1))).toBe(true)
    expect(standardIsEarlier("europe/dublin", Date.UTC(2024, 9, 27, 1))).toBe(true)
    expect(standardIsEarlier("Europe/London", Date.UTC(2024, 9, 27, 1))).toBe(false)
    expect(standardIsEarlier("Africa/Casablanca", Date.UTC(2024, 2, 10, 2))).toBe(true)
    expect(standardIsEarlier("Africa/Casablanca", Date.UTC(2018, 4, 13, 2))).toBe(false)
    expect(standardIsEarlier("Africa/Windhoek", Date.UTC(2017, 3, 2))).toBe(true)
    expect(standardIsEarlier("America/New_York", Date.UTC(2024, 10, 3, 6))).toBe(false)
  })

  // Debian's tzdata (the data of the conformance vectors) carries tzdata's DST flag: check the
  // table against every fall-back change it lists, where the machine has it
  it.runIf(fs.existsSync(path.join(ZONEINFO, "Europe", "Dublin")))("agrees with the isdst flags of the system's compiled tzdata for every fall-back change 1901–2037", () => {
    const names: Array<string> = []
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(path.join(ZONEINFO, dir), { withFileTypes: true })) {
        const rel = dir === "" ? e.name : `${dir}/${e.name}`
        if (e.isDirectory()) {
          if (!["posix", "right"].includes(rel)) walk(rel)
        } else if (/^[A-Z]/.test(e.name) && !e.name.includes(".")) names.push(rel)
      }
    }
    walk("")
    let fallBacks = 0
    const wrong: Array<string> = []
    for (const name of names) {
      let list
      try {
        list = readTzif(path.join(ZONEINFO, name))
      } catch {
        continue
      }
      if (list === undefined) continue
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1]!
        const b = list[i]!
        if (b.offset >= a.offset || b.at < Date.UTC(1901, 11, 14) || b.at > Date.UTC(2038, 0, 19)) continue
        fallBacks++
        const expected = !a.isdst && b.isdst
        if (standardIsEarlier(name, b.at) !== expected) wrong.push(`${name} ${new Date(b.at).toISOString()} expected ${expected}`)
      }
    }
    expect(fallBacks).toBeGreaterThan(10_000)
    expect(wrong).toEqual([])
  })
})
