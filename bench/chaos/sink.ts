/**
 * The fenced sink of the chaos harness: the side effect every job body guards with its fence, in
 * a PostgreSQL database of its own (`chaos_sink`, never the store's database, never behind the
 * fault proxy). Two tables per harness run:
 *
 * - `<prefix>_sink`, one row per (job, scheduled time): `claimed`, the highest fence presented
 *   (a body presents its fence when it starts, as a fenced resource learns a new holder's token on
 *   its first contact), and `fence`, the fence of the accepted completion. A completion is the
 *   fenced upsert `INSERT … ON CONFLICT (job_id, scheduled_time) DO UPDATE SET fence =
 *   excluded.fence … WHERE sink.fence < excluded.fence AND sink.claimed <= excluded.fence`: a
 *   stale holder (a lower fence than one already written or presented) is rejected.
 * - `<prefix>_sink_log`, one row per completion attempt, written by the same statement: fence,
 *   attempt, process, whether it was accepted, and the database's time. It survives a SIGKILL
 *   between the write and the body's own log line.
 */
import pg from "pg"

/** The sink's database (on the PostgreSQL server the tests use). */
export const SINK_DB = "chaos_sink"

/** The URL of the sink's database. */
export const sinkUrl = (port = 5432) => `postgres://postgres@127.0.0.1:${port}/${SINK_DB}`

const table = (prefix: string) => `${prefix}_sink`
const logTable = (prefix: string) => `${prefix}_sink_log`

/** A body's connection to the sink. */
export interface Sink {
  /** Presents `fence` for (job, time): the sink refuses completions with a lower fence from then on. */
  readonly present: (jobId: string, time: number, fence: number) => Promise<void>
  /** Writes a completion; `true` when accepted, `false` when refused as stale. */
  readonly complete: (jobId: string, time: number, fence: number, pid: number, attempt: number) => Promise<boolean>
}

/** Opens a sink for a process (a small pool; connections are made on first use). */
export const openSink = (url: string, prefix: string): Sink => {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on("error", () => {})
  const s = table(prefix)
  const l = logTable(prefix)
  return {
    present: async (jobId, time, fence) => {
      await pool.query(
        `INSERT INTO ${s} AS s (job_id, scheduled_time, fence, claimed) VALUES ($1, $2, 0, $3)
         ON CONFLICT (job_id, scheduled_time) DO UPDATE SET claimed = GREATEST(s.claimed, excluded.claimed)`,
        [jobId, time, fence]
      )
    },
    complete: async (jobId, time, fence, pid, attempt) => {
      const r = await pool.query(
        `WITH up AS (
           INSERT INTO ${s} AS s (job_id, scheduled_time, fence, claimed, pid, attempt) VALUES ($1, $2, $3, $3, $4, $5)
           ON CONFLICT (job_id, scheduled_time) DO UPDATE
             SET fence = excluded.fence, claimed = GREATEST(s.claimed, excluded.claimed), pid = excluded.pid, attempt = excluded.attempt
             WHERE s.fence < excluded.fence AND s.claimed <= excluded.fence
           RETURNING 1)
         INSERT INTO ${l} (job_id, scheduled_time, fence, pid, attempt, accepted, at)
         SELECT $1, $2, $3, $4, $5, EXISTS (SELECT 1 FROM up), (extract(epoch FROM clock_timestamp()) * 1000)::bigint
         RETURNING accepted`,
        [jobId, time, fence, pid, attempt]
      )
      return r.rows[0].accepted === true
    }
  }
}

/** One completion attempt as the sink logged it. */
export interface SinkEntry {
  readonly job: string
  readonly t: number
  readonly fence: number
  readonly pid: number
  readonly attempt: number
  readonly accepted: boolean
  /** The database's time of the write. */
  readonly at: number
}

const admin = async <A>(url: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** Creates the sink's database (once) and the tables of one harness run. */
export const createSink = async (prefix: string, port = 5432): Promise<void> => {
  await admin(`postgres://postgres@127.0.0.1:${port}/postgres`, async (c) => {
    const found = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [SINK_DB])
    if (found.rowCount === 0) {
      await c.query(`CREATE DATABASE ${SINK_DB}`).catch((e: { code?: string }) => {
        if (e.code !== "42P04") throw e // created by a concurrent harness meanwhile
      })
    }
  })
  await admin(sinkUrl(port), async (c) => {
    await c.query(`CREATE TABLE IF NOT EXISTS ${table(prefix)} (
      job_id text NOT NULL, scheduled_time bigint NOT NULL, fence bigint NOT NULL DEFAULT 0,
      claimed bigint NOT NULL DEFAULT 0, pid integer, attempt integer, PRIMARY KEY (job_id, scheduled_time))`)
    await c.query(`CREATE TABLE IF NOT EXISTS ${logTable(prefix)} (
      job_id text NOT NULL, scheduled_time bigint NOT NULL, fence bigint NOT NULL, pid integer NOT NULL,
      attempt integer NOT NULL, accepted boolean NOT NULL, at bigint NOT NULL)`)
  })
}

/** Reads every completion attempt of a harness run, then drops its tables. */
export const readSink = async (prefix: string, port = 5432): Promise<Array<SinkEntry>> =>
  admin(sinkUrl(port), async (c) => {
    const r = await c.query(`SELECT job_id, scheduled_time, fence, pid, attempt, accepted, at FROM ${logTable(prefix)} ORDER BY at`)
    await c.query(`DROP TABLE IF EXISTS ${table(prefix)}, ${logTable(prefix)}`)
    return r.rows.map((row) => ({
      job: String(row.job_id),
      t: Number(row.scheduled_time),
      fence: Number(row.fence),
      pid: Number(row.pid),
      attempt: Number(row.attempt),
      accepted: row.accepted === true,
      at: Number(row.at)
    }))
  })
