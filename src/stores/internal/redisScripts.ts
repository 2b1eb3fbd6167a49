/**
 * The Lua scripts of the Redis job store: each claiming primitive (`acquire`, `release`,
 * `complete`) and each user write is one script, so every step is atomic on the server. They
 * read the time with `TIME` unless the caller passes its `now` (the store's `clock: "effect"`).
 *
 * Key layout 4, under a prefix `P` (see `RedisJobStore`); every key a script touches is one of
 * its KEYS (no key name is built in Lua):
 * - `P:jobs` hash id → the job's JSON record; `P:state` hash id → the job's small mutable state
 *   as one text, `<version> <next> <fence> <lease>`: its version, next run time (`''`: paused),
 *   fence (fenceSeq) and lease (`''`: not leased, or `<lease end>|<owner>`; the owner last, as
 *   it may hold any character). Acquire and release read it with one `HMGET` and write it with
 *   one `HSET` for the whole batch (layout 3 kept four hashes, `P:version`, `P:next`, `P:fence`,
 *   `P:lease`: a release read three and wrote three, an acquire read four and wrote one; 1,000
 *   due jobs of 100,000, A/B in one process: server time per acquire about 0.5 ms less (of 3.5),
 *   per release 0.5 ms less (of 8.9), 3 and 4 commands fewer, 13 MB less memory). `P:quarantine`
 *   hash id → the reason. A job's version is
 *   drawn from `P:version_seq` (`INCR`; started at Redis `TIME` in µs when absent) by every
 *   write of the job, so it is never given twice under a prefix, not even to a job removed and
 *   added again under its id: `(id, version)` names one record, which a client may keep and
 *   `acquire` does not send again (it returns versions, the records are read on their own when
 *   a client does not hold that version); `P:due` sorted set id → effective due time = max(next run time, lease end) of
 *   the scheduled, not quarantined jobs; `P:fence_max` hash id → the greatest fence given to
 *   the runs of a job that was removed (written when it is removed: while the job exists the
 *   fence in its `P:state` is the greatest), so a job added again under its id goes on above it.
 * - Runs, keyed by the member `<scheduledTime>|<jobId>` (the time first: the first `|` splits):
 *   `P:runs` one hash member → the run as JSON (fields that are `null` left out, `count` and
 *   `lastTime` too when 1 and the scheduled time; the job id is the member's); `P:run_index`
 *   sorted set, all scores 0, of `<jobId>|<scheduledTime>` (a job's runs by `ZRANGEBYLEX`);
 *   `P:live_runs` hash id → the scheduled times of the job's live runs (`ready` / `running`),
 *   space-separated (`''` or absent: none; an emptied list is deleted by the purge, with the
 *   job's last run; their number, expired leases included, is what `release` counts for
 *   `maxInstances`: a run whose holder's lease expired holds its slot until `recover` takes it
 *   over); `P:live` sorted set
 *   member → lease end of the live runs that have one (`recover` reads the expired range; a
 *   run held until completed has no entry); `P:live_jobs` sorted set job id → a lower bound
 *   of the earliest lease end of its live runs (what `recover` scans: one entry per job, so the
 *   expired runs of a job without a free slot never crowd other jobs out; a job found without a
 *   free slot is put back at the time one may free up plus 0.5, a mark for `complete`, which
 *   brings it forward, and removes a job left without live runs; the
 *   member `\255built`, score `+inf`, marks the index as built from `P:live`, which `recover`
 *   does once on a prefix written before it existed); `P:ended` sorted set member → end time (the
 *   purge's index).
 * - `P:memo:<token>` the answer of a claim, kept a short while, so a call whose reply was lost
 *   (connection cut) is answered again instead of being applied twice; `P:schema` the persisted
 *   schema version; `P:layout` the key layout (`4`).
 *
 * Layout 3 (a job's state in four hashes, `P:version`, `P:next`, `P:fence`, `P:lease`, the rest
 * as layout 4) is upgraded in place by the first script that reads or writes a job's state
 * (`schema_error`; `selectAll`, a read outside the scripts, runs UPGRADE first): one pass over
 * `P:jobs` folds each job's four fields into its `P:state` field, deletes the four hashes and sets
 * `P:layout` to 4, in one script (100,000 jobs: 0.4 s, once). A store of the version before
 * then refuses the prefix on every write and claim (its check wants layout 3: "key layout 4,
 * newer than this version knows (3)"); its plain reads (a lookup, `getJobs`) are not checked
 * and see the jobs without their state.
 * Layout 2 (layout 3's keys; a version counted per job from 1, so a job removed and added again
 * got version 1 again) is upgraded the same way, straight to 4; the next versions are drawn
 * above every version layout 2 gave (`P:version_seq`, absent, starts at Redis `TIME` in µs).
 * Layout 1 (before that: `P:runs:<jobId>` hashes, `P:live:<jobId>` sorted sets, `P:leases`)
 * is not migrated: a prefix written by it has `P:schema` without `P:layout`, and every script
 * that writes refuses it with an error naming the layout (the store had no released users).
 */

/**
 * The fixed keys every script gets, in this order (KEYS[1..18]); `next`, `version`, `fence` and
 * `lease` are layout 3's, read only by the upgrade (which deletes them).
 */
export const KEY_NAMES = [
  "jobs",
  "next",
  "version",
  "fence",
  "lease",
  "quarantine",
  "due",
  "fence_max",
  "schema",
  "ended",
  "layout",
  "runs",
  "run_index",
  "live",
  "live_runs",
  "live_jobs",
  "version_seq",
  "state"
] as const

/** The key layout this version reads and writes (`P:layout`). */
export const LAYOUT = 4

const HEADER = `
local K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_LEASE, K_QUAR, K_DUE, K_FMAX, K_SCHEMA, K_ENDED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local K_LAYOUT, K_RUNS, K_RUN_INDEX, K_LIVE, K_LIVE_RUNS = KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local K_LIVE_JOBS, K_VSEQ, K_STATE = KEYS[16], KEYS[17], KEYS[18]
-- a job's state (P:state), '<version> <next> <fence> <lease>': its four texts (next '': paused;
-- lease '' or '<lease end>|<owner>'), nil when there is no state
local function state_of(v)
  if not v then return nil end
  return string.match(v, '^([^ ]*) ([^ ]*) ([^ ]*) (.*)$')
end
local function state_text(version, nxt, fence, lease)
  return version .. ' ' .. nxt .. ' ' .. fence .. ' ' .. lease
end
-- a job's lease, '<lease end>|<owner>': the end (text) and the owner, nil when none (absent, or
-- '' once released)
local function lease_of(v)
  if not v or v == '' then return nil, nil end
  local bar = string.find(v, '|', 1, true)
  return string.sub(v, 1, bar - 1), string.sub(v, bar + 1)
end
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- the exact integer text of a number (tostring would write 1.7e+12 style for some values)
local function s(n) return string.format('%.0f', n) end
-- a value cjson decoded that is set (not missing, not null)
local function has(v) return v ~= nil and v ~= cjson.null end
-- a run member '<time>|<id>' split
local function split(member)
  local bar = string.find(member, '|', 1, true)
  return string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
end
-- the members '<time>|<id>' of the runs of job id listed in a '<id>|<time>' index (ids holding a
-- '|' share a range: only a remainder that is a whole number is this job's)
local function job_members(index, id)
  local out = {}
  local from = #id + 2
  for _, m in ipairs(redis.call('ZRANGEBYLEX', index, '[' .. id .. '|', '[' .. id .. '|\\255')) do
    local rest = string.sub(m, from)
    if string.find(rest, '^%-?%d+$') then out[#out + 1] = rest .. '|' .. id end
  end
  return out
end
-- a run leaves the live runs (completed, abandoned, stale): its lease entry and its time in the
-- job's P:live_runs
-- a P:live_runs value without the time field (nil when it is not there)
local function without(v, field)
  if not v then return nil end
  local padded = ' ' .. v .. ' '
  local at = string.find(padded, ' ' .. field .. ' ', 1, true)
  if at == nil then return nil end
  local before, after = string.sub(padded, 2, at - 1), string.sub(padded, at + #field + 2, -2)
  return (before ~= '' and after ~= '') and (before .. ' ' .. after) or (before .. after)
end
local function unlive(member)
  redis.call('ZREM', K_LIVE, member)
  local field, id = split(member)
  local rest = without(redis.call('HGET', K_LIVE_RUNS, id), field)
  if rest == nil then return end
  redis.call('HSET', K_LIVE_RUNS, id, rest)
end
-- the due score of a scheduled job: its next run time, or the end of its lease when later;
-- state: its P:state text (read when not given)
local function rescore(id, state)
  local _, n, _, l = state_of(state or redis.call('HGET', K_STATE, id))
  if n == nil or n == '' or redis.call('HEXISTS', K_QUAR, id) == 1 then
    redis.call('ZREM', K_DUE, id)
    return
  end
  local score = tonumber(n)
  local u = lease_of(l)
  if u ~= nil and tonumber(u) > score then score = tonumber(u) end
  redis.call('ZADD', K_DUE, s(score), id)
end
-- clears a job's lease; returns its new state text (nil when it has none)
local function clear_lease(id)
  local v, n, f, l = state_of(redis.call('HGET', K_STATE, id))
  if v == nil then return nil end
  local text = state_text(v, n, f, '')
  if l ~= '' then redis.call('HSET', K_STATE, id, text) end
  return text
end
-- variadic commands in chunks (Lua's unpack has a stack limit)
local function bulk(cmd, key, list)
  local out = {}
  for i = 1, #list, 2000 do
    local r = redis.call(cmd, key, unpack(list, i, math.min(i + 1999, #list)))
    if type(r) == 'table' then for _, v in ipairs(r) do out[#out + 1] = v end end
  end
  return out
end
-- a job recover put back in P:live_jobs for want of a free slot (its score ends in .5) is brought
-- forward: its maxInstances may have changed, or it is gone (its expired runs are abandoned)
local function forward_parked(id)
  local sc = redis.call('ZSCORE', K_LIVE_JOBS, id)
  if sc ~= false and tonumber(sc) % 1 ~= 0 then redis.call('ZADD', K_LIVE_JOBS, '-inf', id) end
end
-- ZADD LT (a member's score only ever lowered; a new member added) of score, member pairs
local function zadd_lt(key, list)
  for i = 1, #list, 2000 do
    redis.call('ZADD', key, 'LT', unpack(list, i, math.min(i + 1999, #list)))
  end
end
-- HMGET of ids (false where a field is absent), in chunks; one chunk's reply is the answer as is
local function hmget(key, ids)
  local total = #ids
  if total == 0 then return {} end
  if total <= 2000 then return redis.call('HMGET', key, unpack(ids)) end
  local out, k = {}, 0
  for i = 1, total, 2000 do
    local last = math.min(i + 1999, total)
    local r = redis.call('HMGET', key, unpack(ids, i, last))
    for j = 1, last - i + 1 do k = k + 1; out[k] = r[j] end
  end
  return out
end
-- jobs about to be removed: their fences go into P:fence_max, where it is lower (fences: their
-- fence texts, read from P:state when not given)
local function keep_fences(ids, fences)
  if #ids == 0 then return end
  if fences == nil then
    fences = {}
    for i, v in ipairs(hmget(K_STATE, ids)) do
      local _, _, f = state_of(v)
      fences[i] = f or false
    end
  end
  local fmaxs, set = hmget(K_FMAX, ids), {}
  for i, id in ipairs(ids) do
    if fences[i] ~= false and tonumber(fences[i]) > tonumber(fmaxs[i] or '0') then
      set[#set + 1] = id; set[#set + 1] = fences[i]
    end
  end
  if #set > 0 then bulk('HSET', K_FMAX, set) end
end
-- layout 2 or 3 upgraded in place to 4: each job's version, next run time, fence and lease, four
-- hash fields in P:version, P:next, P:fence, P:lease, become one field of P:state (a job without a
-- version was no job to acquire and gets none); one pass over the jobs, in chunks
local function upgrade()
  local ids = redis.call('HKEYS', K_JOBS)
  for i = 1, #ids, 1000 do
    local chunk = { unpack(ids, i, math.min(i + 999, #ids)) }
    local vs, ns, fs, ls = hmget(K_VERSION, chunk), hmget(K_NEXT, chunk), hmget(K_FENCE, chunk), hmget(K_LEASE, chunk)
    local set = {}
    for j, id in ipairs(chunk) do
      if vs[j] then
        set[#set + 1] = id
        set[#set + 1] = state_text(vs[j], ns[j] or '', fs[j] or '0', ls[j] or '')
      end
    end
    if #set > 0 then redis.call('HSET', K_STATE, unpack(set)) end
  end
  redis.call('DEL', K_NEXT, K_VERSION, K_FENCE, K_LEASE)
  redis.call('SET', K_LAYOUT, '${LAYOUT}')
end
-- nil, or why the prefix is refused; a new prefix is marked (schema 1, this layout), a prefix in
-- layout 2 or 3 upgraded (a store of those versions refuses it from then on: their check wants
-- their own layout)
local function schema_error()
  local v = redis.call('GET', K_SCHEMA)
  if v == false then
    redis.call('SET', K_SCHEMA, '1')
    redis.call('SET', K_LAYOUT, '${LAYOUT}')
  elseif tonumber(v) == nil or tonumber(v) > 1 then
    return 'SCHEMA the store holds persisted schema version ' .. tostring(v) .. ', newer than this version knows (1): refusing to write'
  else
    local layout = redis.call('GET', K_LAYOUT)
    if layout == '2' or layout == '3' then
      -- layout 2's versions were counted per job: the next version drawn is above any it gave
      -- (see WRITE: P:version_seq is absent)
      upgrade()
    elseif layout == false then
      return 'LAYOUT the keys under this prefix have Redis key layout 1' ..
        ' (per-job run keys), this version reads layouts 2 to ${LAYOUT} only and does not migrate it: refusing to write;' ..
        ' use a new prefix (or delete the old keys)'
    elseif layout ~= '${LAYOUT}' then
      return 'LAYOUT the keys under this prefix have Redis key layout ' .. tostring(layout) ..
        ', newer than this version knows (${LAYOUT}): refusing to write'
    end
  end
  return nil
end
`

/**
 * User writes. ARGV: mode (`insert` | `upsert` | `update`), id, next run time (`''`: paused),
 * data, wake-up channel (`''`: none; the job id is published there, a hint to the peers' loops).
 * Returns `OK <version>` (the job's new version), `CONFLICT` (insert of an existing id) or
 * `MISSING` (update of an absent or quarantined id).
 */
export const WRITE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local mode, id, nxt, data = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local exists = redis.call('HEXISTS', K_JOBS, id) == 1
if mode == 'insert' and exists then return 'CONFLICT' end
if mode == 'update' and ((not exists) or redis.call('HEXISTS', K_QUAR, id) == 1) then return 'MISSING' end
redis.call('HSET', K_JOBS, id, data)
forward_parked(id)
-- a version never given before under this prefix (absent: a new prefix, or one in layout 2, whose
-- versions are counts per job: far below the time in µs)
if redis.call('EXISTS', K_VSEQ) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', K_VSEQ, t[1] .. string.format('%06d', tonumber(t[2])))
end
local version = s(redis.call('INCR', K_VSEQ))
-- an existing job keeps its fence and lease; a new one goes on above the fences of the runs of a
-- job removed under its id, not leased
local _, _, fence, lease = state_of(redis.call('HGET', K_STATE, id))
if not (exists and fence) then fence, lease = redis.call('HGET', K_FMAX, id) or '0', '' end
local state = state_text(version, nxt, fence, lease)
redis.call('HSET', K_STATE, id, state)
redis.call('HDEL', K_QUAR, id)
rescore(id, state)
if ARGV[5] and ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], id) end
return 'OK ' .. version
`

/** Deletes a job row (quarantined or not); its runs stay. ARGV: id. Returns 1 when it existed. */
export const DELETE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local id = ARGV[1]
keep_fences({ id })
forward_parked(id)
local n = redis.call('HDEL', K_JOBS, id)
redis.call('HDEL', K_STATE, id)
redis.call('HDEL', K_QUAR, id)
redis.call('ZREM', K_DUE, id)
return n
`

/** Deletes every job row; the runs stay (the jobs' fences kept in \`P:fence_max\`). */
export const DELETE_ALL = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local all = redis.call('HKEYS', K_STATE)
for i = 1, #all, 2000 do keep_fences({ unpack(all, i, math.min(i + 1999, #all)) }) end
redis.call('DEL', K_JOBS, K_STATE, K_QUAR, K_DUE)
return 'OK'
`

/** One job row's columns. ARGV: id. */
export const SELECT = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local id = ARGV[1]
local v, n, f, l = state_of(redis.call('HGET', K_STATE, id))
local u, o = lease_of(l)
return {
  redis.call('HGET', K_JOBS, id), (n ~= nil and n ~= '') and n or false, v or false,
  f or false, o or false, u or false, redis.call('HEXISTS', K_QUAR, id)
}
`

/** Keeps a row aside. ARGV: id, reason. */
export const QUARANTINE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local id = ARGV[1]
if redis.call('HEXISTS', K_JOBS, id) == 0 then return 0 end
redis.call('HSET', K_QUAR, id, ARGV[2])
forward_parked(id)
clear_lease(id)
redis.call('ZREM', K_DUE, id)
return 1
`

/**
 * acquire. ARGV: now (\`''\`: Redis TIME), owner, limit, lease ms, prefix, token, memo ttl (s),
 * horizon ms (jobs due up to now + horizon; a live lease is judged at now).
 * Returns { now, until, ids, nexts, versions, fences }, the last three each one text of
 * space-separated numbers (\`-\` where a column is absent; one reply value instead of one per
 * job), and no records (a caller holding a job's version has its record; the others are read
 * with RECORDS).
 */
export const ACQUIRE = HEADER + `
local now = clock(ARGV[1])
local owner, limit, lease, prefix, token, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local memo_key = prefix .. ':memo:' .. token
local untl
-- the jobs leased, with their next run times, versions and fences (texts)
local ids, nexts, versions, fences, n = {}, {}, {}, {}, 0
local memo = redis.call('GET', memo_key)
if memo ~= false then
  -- a retry of a call that was applied: the rows it leased that are still ours
  local m = cjson.decode(memo)
  now, untl = m[1], m[2]
  local listed = {}
  for i = 3, #m do listed[#listed + 1] = m[i] end
  local want = s(untl) .. '|' .. owner
  for i, text in ipairs(hmget(K_STATE, listed)) do
    local v, nx, f, l = state_of(text)
    if l == want then
      n = n + 1
      ids[n], nexts[n], versions[n], fences[n] = listed[i], nx, v, f
    end
  end
else
  local bad = schema_error()
  if bad then return redis.error_reply(bad) end
  untl = now + lease
  if limit > 0 then
    -- jobs due by now + horizon, their states at once (one HMGET, not a call per id): a member
    -- without one (no job) is dropped; a live lease (judged at now) is left alone; the others
    -- get the lease, written back in one HSET of their states
    local horizon = tonumber(ARGV[8]) or 0
    local cand = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', s(now + horizon), 'LIMIT', 0, limit)
    local states = hmget(K_STATE, cand)
    local untl_text = s(untl)
    local lease_text = untl_text .. '|' .. owner
    local set, scores = {}, {}
    for i, id in ipairs(cand) do
      local v, nx, f, l = state_of(states[i])
      if v == nil then
        redis.call('ZREM', K_DUE, id)
      else
        local lease_end = lease_of(l)
        if lease_end == nil or tonumber(lease_end) <= now then
          n = n + 1
          ids[n], nexts[n], versions[n], fences[n] = id, nx, v, f
          set[2 * n - 1] = id; set[2 * n] = state_text(v, nx, f, lease_text)
          scores[2 * n - 1] = untl_text; scores[2 * n] = id
        end
      end
    end
    if n > 0 then
      bulk('HSET', K_STATE, set)
      bulk('ZADD', K_DUE, scores)
      local m = { now, untl }
      for _, id in ipairs(ids) do m[#m + 1] = id end
      redis.call('SET', memo_key, cjson.encode(m), 'EX', ttl)
    end
  end
end
if n == 0 then return { now, untl, {}, '', '', '' } end
for i = 1, n do
  if nexts[i] == '' then nexts[i] = '-' end
end
return { now, untl, ids, table.concat(nexts, ' '), table.concat(versions, ' '), table.concat(fences, ' ') }
`

/**
 * The records of jobs and their versions, read together. ARGV: ids. Returns { datas, versions }
 * (\`false\` where a job is gone).
 */
export const RECORDS = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local versions = {}
for i, text in ipairs(hmget(K_STATE, ARGV)) do versions[i] = state_of(text) or false end
return { hmget(K_JOBS, ARGV), versions }
`

/**
 * release. ARGV: now, prefix, owner, run lease (\`''\`: the job's lease end, \`'null'\`: until
 * completed, else ms), token, memo ttl (s), the number of decisions n, then the decisions (no
 * JSON to decode, a handful of arguments for the whole batch: each argument costs the client and
 * the server): their numbers as one text of space-separated tokens, per decision version, next
 * (\`-\` remove, \`p\` paused, else the next run time; the job's record is never rewritten),
 * maxInstances, the number of runs, and per run its scheduled time and state (\`r\` ready, \`m\`
 * missed, with count 1 and the scheduled time as last time; \`R\`, \`M\` followed by the count
 * and the last time: a missed summary); then the n job ids, one argument each (any text); then the records of the jobs
 * removed (next \`-\`), in their order (they go on the runs they start). Returns \`now\` then, per decision, \`R\`
 * (refused) or \`<skipped 0|1> <job lease end>\` followed by \`<time>:<fence>\` per new ready run,
 * separated by newlines: a compact answer that is also the memo.
 * The commands do not grow with the batch: the jobs' states (\`P:state\`), their live runs (\`P:live_runs\`)
 * and which runs exist are read with one \`HMGET\` each, the writes gathered into one variadic
 * command per key; no lease is read (a live run counts for maxInstances whether or not its lease expired).
 * Where Lua's time goes (measured inside the script, \`TIME\` between sections, 1,000 jobs of
 * 100,000): the decisions' text is matched character by character (\`'[^ ]+'\` about 30 %
 * cheaper than \`'%S+'\`; one \`string.match\` reads a whole one-run decision), a Lua number given
 * to a command is formatted per argument (scores go as text), and a table of 1,000 new string
 * keys grows by rehashes (only the runs found to exist are kept by member).
 */
export const RELEASE = HEADER + `
local prefix, owner, run_lease, token, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local memo_key = prefix .. ':memo:' .. token
local memo = redis.call('GET', memo_key)
if memo ~= false then return memo end
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local now = clock(ARGV[1])
local now_text = s(now)
local tonumber = tonumber
-- the columns of every job at once (the ids are arguments of their own); the writes gathered
-- into variadic commands below
local count = tonumber(ARGV[7])
local ids = {}
for i = 1, count do ids[i] = ARGV[8 + i] end
local states, lives = hmget(K_STATE, ids), hmget(K_LIVE_RUNS, ids)
local d_version, d_fence = {}, {}
-- pass 1, while the decisions are read: which apply (compare-and-set on owner, lease and
-- version), and skipped ones. The decisions are flat columns, per decision (d_) and per planned
-- run (r_): no table per decision or run. Numbers stay the texts they came as (a conversion
-- costs, and only a few are needed as numbers; a version is compared as text, both sides the
-- integer's canonical text). Tokens are split on ' ' ('[^ ]+': cheaper than '%S+'; a token is
-- read character by character, the text's length is most of the cost)
local d_next, d_data, d_first, d_n, lease_ends, skipped_of = {}, {}, {}, {}, {}, {}
local r_t, r_state, r_count, r_last, r_member = {}, {}, {}, {}, {}
local by_time = function(x, y) return tonumber(x.t) < tonumber(y.t) end
-- the text is read from pos on: a decision with one run of count 1 (the common case) in one
-- string.match, any other token by token
local numbers, pos, match = ARGV[8], 1, string.match
local function token_of()
  local v, p = match(numbers, '^([^ ]+) ?()', pos)
  pos = p
  return v
end
local removed_at = 9 + count
local k = 0
local seen = {}
local out = { now_text }
local accepted, members = {}, {}
local n_accepted, n_members = 0, 0
-- a lease text '<lease end>|<owner>' read once per distinct text (one acquire gives a batch one
-- text): whether it is owner's and still valid, and its end
local lease_ok, lease_end_of = {}, {}
for i = 1, count do
  local first = k + 1
  local has_ready = false
  local version, nxt, max, t, state, p = match(numbers, '^([^ ]+) ([^ ]+) ([^ ]+) 1 ([^ ]+) ([rm]) ?()', pos)
  local n = 1
  if version then
    pos = p
    k = k + 1
    r_t[k], r_state[k] = t, state
    has_ready = state == 'r'
  else
    version, nxt, max, n = token_of(), token_of(), token_of(), tonumber(token_of())
    for _ = 1, n do
      k = k + 1
      t, state = token_of(), token_of()
      r_t[k] = t
      if state == 'M' or state == 'R' then
        state = string.lower(state)
        r_count[k], r_last[k] = token_of(), token_of()
      end
      r_state[k] = state -- without count: count 1, last time the scheduled time
      if state == 'r' then has_ready = true end
    end
  end
  local data = ''
  if nxt == '-' then
    data = ARGV[removed_at]; removed_at = removed_at + 1
  elseif nxt == 'p' then
    nxt = ''
  end
  if n > 1 then
    -- in time order (fences are given in it)
    local list = {}
    for j = 0, n - 1 do list[j + 1] = { t = r_t[first + j], state = r_state[first + j], count = r_count[first + j], last = r_last[first + j] } end
    table.sort(list, by_time)
    for j = 0, n - 1 do
      local e = list[j + 1]
      r_t[first + j], r_state[first + j], r_count[first + j], r_last[first + j] = e.t, e.state, e.count, e.last
    end
  end
  local id = ids[i]
  local s_version, _, s_fence, held = state_of(states[i])
  local ok = false
  if held and held ~= '' then
    ok = lease_ok[held]
    if ok == nil then
      local bar = string.find(held, '|', 1, true)
      local u = string.sub(held, 1, bar - 1)
      ok = string.sub(held, bar + 1) == owner and tonumber(u) > now
      lease_ok[held], lease_end_of[held] = ok, u
    end
  end
  -- (a quarantined job holds no lease: QUARANTINE clears it, and it is never acquired)
  if seen[id] or s_version == nil or not ok then
    out[i + 1] = 'R'
  elseif s_version ~= version then
    -- a user write while leased: clear the lease, plan again on a later pass
    seen[id] = true
    rescore(id, clear_lease(id))
    out[i + 1] = 'R'
  else
    seen[id] = true
    lease_ends[i] = lease_end_of[held]
    d_version[i], d_fence[i] = version, s_fence
    d_next[i], d_data[i], d_first[i], d_n[i] = nxt, data, first, n
    for j = first, k do
      local member = r_t[j] .. '|' .. id
      r_member[j] = member
      n_members = n_members + 1
      members[n_members] = member
    end
    -- the live runs listed, expired leases included: a run whose holder's lease expired holds
    -- its slot until recover takes it over (it is not starved by the job's newer runs)
    local v = lives[i]
    if has_ready and ((v and v ~= '') or tonumber(max) <= 0) then
      max = tonumber(max)
      local c = (v and v ~= '') and select(2, string.gsub(v, ' ', ' ')) + 1 or 0
      skipped_of[i] = c >= max
    end
    n_accepted = n_accepted + 1
    accepted[n_accepted] = i
  end
end
-- a second insert of a key is a no-op: the planned runs that exist already, read at once (a time
-- planned twice by one decision is inserted once: its runs are in time order, the second one
-- follows the first; two decisions never share a job)
local exists = {}
local found = hmget(K_RUNS, members)
for j = 1, n_members do if found[j] ~= false then exists[members[j]] = true end end
local run_until, run_score = 'null', '+inf'
if run_lease == 'null' then
elseif run_lease ~= '' then
  run_until = s(now + tonumber(run_lease)); run_score = run_until
end
local owner_json = cjson.encode(owner)
local ready_head = ',"recordedAt":' .. now_text .. ',"state":"ready","fence":'
local ready_owner = ',"attempt":1,"acquiredBy":' .. owner_json
local ready_tail = run_until == 'null' and '' or (',"acquiredUntil":' .. run_until)
local runs, run_index, live, live_runs, ended = {}, {}, {}, {}, {}
local n_runs, n_live, n_live_runs, n_ended = 0, 0, 0, 0
local live_jobs, n_live_jobs = {}, 0
local set_state, due_add, due_rem, removed, removed_fences = {}, {}, {}, {}, {}
local n_set_state, n_due_add, n_due_rem = 0, 0, 0
-- pass 2: the runs to insert, the jobs to move on
for a = 1, n_accepted do
  local i = accepted[a]
  local u = lease_ends[i]
  local id = ids[i]
  local skipped = skipped_of[i]
  -- number to text conversions (sprintf in Lua) only where a value changes
  local fence_text = d_fence[i]
  local fence_seq = nil
  local score, lease_json = run_score, ready_tail
  if run_lease == '' then score, lease_json = u, ',"acquiredUntil":' .. u end
  -- the last runs of a job this release removes carry its record (recovery runs them from it)
  local nxt = d_next[i]
  local job_data = (nxt == '-' and d_data[i] ~= '') and (',"jobData":' .. cjson.encode(d_data[i])) or ''
  local started, started_times = nil, nil
  local job_low = nil
  local first = d_first[i]
  local prev_t = nil
  for j = first, first + d_n[i] - 1 do
    local member = r_member[j]
    local t = r_t[j]
    if t ~= prev_t and not exists[member] then
      prev_t = t
      local tail = ''
      local c = r_count[j]
      if c ~= nil and (c ~= '1' or r_last[j] ~= t) then tail = ',"count":' .. c .. ',"lastTime":' .. r_last[j] end
      local state = r_state[j]
      local text
      if state == 'r' and not skipped then
        fence_seq = (fence_seq or tonumber(fence_text)) + 1
        local fence = tostring(fence_seq)
        fence_text = fence
        text = '{"scheduledTime":' .. t .. ready_head .. fence .. ready_owner .. lease_json .. tail .. job_data .. '}'
        if started then
          started = started .. ' ' .. t .. ':' .. fence
          started_times = started_times .. ' ' .. t
        else
          started, started_times = t .. ':' .. fence, t
        end
        if score ~= '+inf' then
          n_live = n_live + 2
          live[n_live - 1] = score; live[n_live] = member
          if job_low ~= score then
            job_low = score
            n_live_jobs = n_live_jobs + 2
            live_jobs[n_live_jobs - 1] = score; live_jobs[n_live_jobs] = id
          end
        end
      else
        text = '{"scheduledTime":' .. t .. ',"recordedAt":' .. now_text .. ',"state":"' ..
          (state == 'r' and 'skipped' or 'missed') .. '","fence":0,"attempt":0,"endedAt":' .. now_text .. tail .. '}'
        n_ended = n_ended + 2
        ended[n_ended - 1] = now_text; ended[n_ended] = member
      end
      n_runs = n_runs + 2
      runs[n_runs - 1] = member; runs[n_runs] = text
      run_index[n_runs - 1] = '0'; run_index[n_runs] = id .. '|' .. t -- '0': a Lua number would be formatted per argument
    end
  end
  if started then
    local v = lives[i]
    n_live_runs = n_live_runs + 2
    live_runs[n_live_runs - 1] = id
    live_runs[n_live_runs] = (v and v ~= '') and (v .. ' ' .. started_times) or started_times
    out[i + 1] = (skipped and '1 ' or '0 ') .. u .. ' ' .. started
  else
    out[i + 1] = (skipped and '1 ' or '0 ') .. u
  end
  if nxt == '-' then
    removed[#removed + 1] = id
    removed_fences[#removed_fences + 1] = fence_text
  else
    -- the job's state: its next run time and fence, its lease cleared, in one field
    n_set_state = n_set_state + 2
    set_state[n_set_state - 1] = id
    set_state[n_set_state] = d_version[i] .. ' ' .. nxt .. ' ' .. fence_text .. ' '
    if nxt == '' then
      n_due_rem = n_due_rem + 1
      due_rem[n_due_rem] = id
    else
      n_due_add = n_due_add + 2
      due_add[n_due_add - 1] = nxt; due_add[n_due_add] = id
    end
  end
end
if n_runs > 0 then bulk('HSET', K_RUNS, runs); bulk('ZADD', K_RUN_INDEX, run_index) end
if n_live > 0 then bulk('ZADD', K_LIVE, live) end
if n_live_jobs > 0 then zadd_lt(K_LIVE_JOBS, live_jobs) end
if n_live_runs > 0 then bulk('HSET', K_LIVE_RUNS, live_runs) end
if n_ended > 0 then bulk('ZADD', K_ENDED, ended) end
if n_set_state > 0 then bulk('HSET', K_STATE, set_state) end
if n_due_add > 0 then bulk('ZADD', K_DUE, due_add) end
if n_due_rem > 0 then bulk('ZREM', K_DUE, due_rem) end
if #removed > 0 then
  keep_fences(removed, removed_fences)
  for _, k in ipairs({K_JOBS, K_STATE, K_QUAR}) do bulk('HDEL', k, removed) end
  bulk('ZREM', K_DUE, removed)
end
local result = table.concat(out, '\\n')
redis.call('SET', memo_key, result, 'EX', ttl)
return result
`

/**
 * complete. ARGV: prefix, token, memo ttl (s), completions (JSON). Returns `'1'`/`'0'` per
 * completion, as one string.
 */
export const COMPLETE = HEADER + `
local prefix, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local memo_key = prefix .. ':memo:' .. token
local memo = redis.call('GET', memo_key)
if memo ~= false then return memo end
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local completions = cjson.decode(ARGV[4])
local members = {}
for i, c in ipairs(completions) do members[i] = s(c.scheduledTime) .. '|' .. c.jobId end
local current = {}
for i, text in ipairs(hmget(K_RUNS, members)) do current[members[i]] = text end
-- the live runs of the jobs, read at once, written back once
local job_ids, lists, changed = {}, {}, {}
for _, c in ipairs(completions) do
  if lists[c.jobId] == nil then lists[c.jobId] = false; job_ids[#job_ids + 1] = c.jobId end
end
for j, v in ipairs(hmget(K_LIVE_RUNS, job_ids)) do lists[job_ids[j]] = v end
local out, writes, ended, unleased = {}, {}, {}, {}
for i, c in ipairs(completions) do
  local member = members[i]
  local text = current[member]
  local ok = '0'
  if text ~= false then
    local r = cjson.decode(text)
    if r.fence == c.fence and (r.state == 'ready' or r.state == 'running') then
      r.state = c.state
      r.startedAt = c.startedAt
      r.finishedAt = c.finishedAt
      r.result = c.result
      r.error = c.error
      r.endedAt = c.finishedAt
      r.acquiredBy = nil
      r.acquiredUntil = nil
      local encoded = cjson.encode(r)
      current[member] = encoded -- a second completion of the run in this call sees it done
      writes[#writes + 1] = member; writes[#writes + 1] = encoded
      unleased[#unleased + 1] = member
      local rest = without(lists[c.jobId], s(c.scheduledTime))
      if rest ~= nil then lists[c.jobId] = rest; changed[c.jobId] = true end
      ended[#ended + 1] = s(c.finishedAt); ended[#ended + 1] = member
      ok = '1'
    end
  end
  out[i] = ok
end
if #writes > 0 then
  bulk('HSET', K_RUNS, writes)
  bulk('ZADD', K_ENDED, ended)
  bulk('ZREM', K_LIVE, unleased)
  -- an emptied list stays as '' (the next release writes the field again: cheaper than a new
  -- field); the purge deletes it with the job's last run
  local set = {}
  for _, id in ipairs(job_ids) do
    if changed[id] then set[#set + 1] = id; set[#set + 1] = lists[id] end
  end
  if #set > 0 then
    bulk('HSET', K_LIVE_RUNS, set)
    -- P:live_jobs: a job left without live runs leaves it; a job recover put back for want of a
    -- free slot (its score ends in .5) is brought forward: a slot is free now
    local changed_ids = {}
    for j = 1, #set, 2 do changed_ids[#changed_ids + 1] = set[j] end
    local rem, forward = {}, {}
    for i = 1, #changed_ids, 2000 do
      local last = math.min(i + 1999, #changed_ids)
      local scores = redis.call('ZMSCORE', K_LIVE_JOBS, unpack(changed_ids, i, last))
      for j = i, last do
        local id, sc = changed_ids[j], scores[j - i + 1]
        if lists[id] == '' then
          rem[#rem + 1] = id
        elseif sc ~= false and tonumber(sc) % 1 ~= 0 then
          forward[#forward + 1] = '-inf'; forward[#forward + 1] = id
        end
      end
    end
    if #rem > 0 then bulk('ZREM', K_LIVE_JOBS, rem) end
    if #forward > 0 then bulk('ZADD', K_LIVE_JOBS, forward) end
  end
end
local result = table.concat(out, '')
redis.call('SET', memo_key, result, 'EX', ttl)
return result
`

/**
 * Purges runs that ended before now - retention. ARGV: now, prefix, retention ms, limit.
 * Returns how many were deleted (the caller calls again while it returns `limit`).
 */
export const PURGE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local now = clock(ARGV[1])
local retention, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', '(' .. s(now - retention), 'LIMIT', 0, limit)
if #old == 0 then return 0 end
local index, jobs = {}, {}
for i, member in ipairs(old) do
  local field, id = split(member)
  index[i] = id .. '|' .. field
  jobs[id] = true
end
bulk('HDEL', K_RUNS, old)
bulk('ZREM', K_RUN_INDEX, index)
bulk('ZREM', K_ENDED, old)
-- whether job id has a run left: the first entries of its index range, a few at a time (the
-- range holds the runs of ids that extend it with a '|' too), never its whole history
local function has_runs(id)
  local from = #id + 2
  local offset = 0
  while true do
    local got = redis.call('ZRANGEBYLEX', K_RUN_INDEX, '[' .. id .. '|', '[' .. id .. '|\\255', 'LIMIT', offset, 16)
    for _, m in ipairs(got) do
      if string.find(string.sub(m, from), '^%-?%d+$') then return true end
    end
    if #got < 16 then return false end
    offset = offset + 16
  end
end
-- a job none of whose runs is left: its greatest fence and its (empty) live-run list go too
for id in pairs(jobs) do
  if not has_runs(id) then redis.call('HDEL', K_FMAX, id); redis.call('HDEL', K_LIVE_RUNS, id); redis.call('ZREM', K_LIVE_JOBS, id) end
end
return #old
`

/**
 * renewRuns. ARGV: now, prefix, owner, lease ms, then per run job id, scheduled time, fence.
 * Renews each run that is live, has this fence, is held by owner and whose lease has not expired;
 * returns `'1'`/`'0'` per run, as one string. Lease 0 hands the runs back (their lease ends now).
 */
export const RENEW = HEADER + `
local now = clock(ARGV[1])
local owner, lease = ARGV[3], tonumber(ARGV[4])
local lease_end = now + lease
local members, fences = {}, {}
local i = 5
while i + 2 <= #ARGV do
  members[#members + 1] = ARGV[i + 1] .. '|' .. ARGV[i]
  fences[#fences + 1] = tonumber(ARGV[i + 2])
  i = i + 3
end
local current = {}
for j, text in ipairs(hmget(K_RUNS, members)) do current[members[j]] = text end
local out, writes, live = {}, {}, {}
for j, member in ipairs(members) do
  local text = current[member]
  local ok = '0'
  if text ~= false then
    local r = cjson.decode(text)
    if r.fence == fences[j] and (r.state == 'ready' or r.state == 'running') and r.acquiredBy == owner
      and has(r.acquiredUntil) and tonumber(r.acquiredUntil) > now then
      r.acquiredUntil = lease_end
      local encoded = cjson.encode(r)
      current[member] = encoded
      writes[#writes + 1] = member; writes[#writes + 1] = encoded
      live[#live + 1] = s(lease_end); live[#live + 1] = member
      ok = '1'
    end
  end
  out[j] = ok
end
if #writes > 0 then
  bulk('HSET', K_RUNS, writes); bulk('ZADD', K_LIVE, live)
  -- a lease handed back (lease 0) ends now: the jobs' entries in P:live_jobs are lowered to it
  local jobs, seen = {}, {}
  for j = 2, #live, 2 do
    local _, id = split(live[j])
    if not seen[id] then seen[id] = true; jobs[#jobs + 1] = live[j - 1]; jobs[#jobs + 1] = id end
  end
  zadd_lt(K_LIVE_JOBS, jobs)
end
return table.concat(out, '')
`

/**
 * recover. ARGV: now, prefix, owner, lease ms, limit. Takes over up to limit live runs whose lease
 * ended (\`P:live\` score <= now): a run whose job exists (not quarantined) gets the next fence
 * of its job, attempt + 1, state ready and a lease to owner; any other is recorded abandoned.
 * maxInstances holds: a run is taken over only while its job has a free slot (its maxInstances
 * minus its runs holding a valid lease, those taken over here included); the others stay
 * expired for a later call. It scans jobs, not runs: \`P:live_jobs\` (one entry per job, a lower
 * bound of its earliest lease end) by score <= now; each job found has its live runs' lease ends
 * read at once (\`ZMSCORE\`), its expired runs taken earliest lease end first while it has a free
 * slot, and its entry set again: to its earliest valid lease end, or, when it has no free slot,
 * to the time one may free up (that lease end, at most now + lease ms) plus 0.5 (\`complete\`
 * brings a job so marked forward), so it leaves the range and never holds other jobs' runs back. At most
 * max(4 × limit, 64) jobs are looked at per call (the rest on later calls).
 * Returns now, then per run \`{ kind ('r' | 'a'), run JSON, data, next, version, fence, job id }\`
 * (\`''\` where none).
 */
export const RECOVER = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local now = clock(ARGV[1])
local owner, limit = ARGV[3], tonumber(ARGV[5])
-- at least 1 ms: a run taken over leaves the expired range
local lease = math.max(1, tonumber(ARGV[4]))
local lease_end = now + lease
local out = { s(now) }
if limit <= 0 then return out end
-- a prefix written before P:live_jobs existed: built once from P:live (the least lease end per job)
local BUILT = '\\255built'
if redis.call('ZSCORE', K_LIVE_JOBS, BUILT) == false then
  local least, add = {}, {}
  local total = redis.call('ZCARD', K_LIVE)
  for i = 0, total - 1, 1000 do
    local got = redis.call('ZRANGE', K_LIVE, i, i + 999, 'WITHSCORES')
    for j = 1, #got, 2 do
      local _, id = split(got[j])
      local sc = tonumber(got[j + 1])
      if least[id] == nil or sc < least[id] then least[id] = sc end
    end
  end
  for id, sc in pairs(least) do add[#add + 1] = s(sc); add[#add + 1] = id end
  add[#add + 1] = '+inf'; add[#add + 1] = BUILT
  zadd_lt(K_LIVE_JOBS, add)
end
-- free instance slots per job id: maxInstances minus the runs holding a valid lease
local slots = {}
local function take_slot(id, data, valid)
  local free = slots[id]
  if free == nil then
    local ok, record = pcall(cjson.decode, data)
    local max = ok and type(record) == 'table' and tonumber(record.maxInstances) or nil
    if max == nil then return true end -- unreadable: taken over, then completed abandoned
    free = max - valid
  end
  slots[id] = free
  if free <= 0 then return false end
  slots[id] = free - 1
  return true
end
-- one expired run of job id (valid: its runs holding a valid lease): 'skip' (no free slot: stays
-- expired), 'drop' (stale entry put right; with the valid lease end it has, if any) or 'done'
-- (taken over, with its new lease end, or abandoned)
local function recover_one(member, id, valid)
  local text = redis.call('HGET', K_RUNS, member)
  local r = nil
  if text ~= false then r = cjson.decode(text) end
  if r == nil or not (r.state == 'ready' or r.state == 'running') then
    -- not a live run (any more): drop the stale entries
    unlive(member)
    return 'drop'
  elseif not has(r.acquiredUntil) or tonumber(r.acquiredUntil) > now then
    -- live, without a lease end or with a valid one: the entry is put right, the run stays live
    if has(r.acquiredUntil) then
      redis.call('ZADD', K_LIVE, s(r.acquiredUntil), member)
      return 'drop', tonumber(r.acquiredUntil)
    end
    redis.call('ZREM', K_LIVE, member)
    return 'drop'
  end
  local job = redis.call('HGET', K_JOBS, id)
  if job == false and has(r.jobData) then
    -- the last run of a one-shot job its release removed: run again from the record it carries
    if not take_slot(id, r.jobData, valid) then return 'skip' end
    local fence = tonumber(redis.call('HGET', K_FMAX, id) or '0') + 1
    redis.call('HSET', K_FMAX, id, fence)
    r.fence = fence
    r.attempt = r.attempt + 1
    r.state = 'ready'
    r.acquiredBy = owner
    r.acquiredUntil = lease_end
    r.startedAt = nil
    local encoded = cjson.encode(r)
    redis.call('HSET', K_RUNS, member, encoded)
    redis.call('ZADD', K_LIVE, s(lease_end), member)
    out[#out + 1] = { 'r', encoded, r.jobData, '', '0', s(fence), id }
    return 'done', lease_end
  elseif job ~= false and redis.call('HEXISTS', K_QUAR, id) == 0 then
    if not take_slot(id, job, valid) then return 'skip' end
    local v, nx, f, l = state_of(redis.call('HGET', K_STATE, id))
    local fence = tonumber(f or '0') + 1
    redis.call('HSET', K_STATE, id, state_text(v or '1', nx or '', s(fence), l or ''))
    r.fence = fence
    r.attempt = r.attempt + 1
    r.state = 'ready'
    r.acquiredBy = owner
    r.acquiredUntil = lease_end
    r.startedAt = nil
    local encoded = cjson.encode(r)
    redis.call('HSET', K_RUNS, member, encoded)
    redis.call('ZADD', K_LIVE, s(lease_end), member)
    out[#out + 1] = { 'r', encoded, job, nx or '', v or '1', s(fence), id }
    return 'done', lease_end
  else
    r.state = 'abandoned'
    r.acquiredBy = nil
    r.acquiredUntil = nil
    r.endedAt = now
    local encoded = cjson.encode(r)
    redis.call('HSET', K_RUNS, member, encoded)
    unlive(member)
    redis.call('ZADD', K_ENDED, s(now), member)
    out[#out + 1] = { 'a', encoded, '', '', '', '', id }
    return 'done'
  end
end
local done = 0
-- one job of P:live_jobs: its expired runs taken (earliest lease end first) while it has a free
-- slot and the call is under limit, then its entry set again (see above)
local function examine(id)
  local v = redis.call('HGET', K_LIVE_RUNS, id)
  local members = {}
  if v ~= false then for t in string.gmatch(v, '%S+') do members[#members + 1] = t .. '|' .. id end end
  local valid, least, expired = 0, nil, {}
  for i = 1, #members, 2000 do
    local last = math.min(i + 1999, #members)
    local scores = redis.call('ZMSCORE', K_LIVE, unpack(members, i, last))
    for j = i, last do
      local sc = scores[j - i + 1]
      if sc == false then
        valid = valid + 1 -- no entry: held until completed
      elseif tonumber(sc) > now then
        valid = valid + 1
        if least == nil or tonumber(sc) < least then least = tonumber(sc) end
      else
        expired[#expired + 1] = { member = members[j], score = tonumber(sc) }
      end
    end
  end
  table.sort(expired, function(x, y) return x.score < y.score end)
  local left, full = nil, false
  for _, e in ipairs(expired) do
    if done >= limit then left = e.score; break end
    local got, score = recover_one(e.member, id, valid)
    if got == 'skip' then full = true; break end
    if got == 'done' then done = done + 1 end
    if score ~= nil and (least == nil or score < least) then least = score end
  end
  local score = least
  if left ~= nil then
    score = left -- the call's limit reached: the rest on the next call
  elseif full then
    -- put back (the .5 marks it for complete) until a slot may free up: a lease ends, at most
    -- now + lease (a write of the job may raise its maxInstances)
    if least == nil or least > now + lease then least = now + lease end
    redis.call('ZADD', K_LIVE_JOBS, s(least) .. '.5', id)
    return
  end
  if score == nil then redis.call('ZREM', K_LIVE_JOBS, id) else redis.call('ZADD', K_LIVE_JOBS, s(score), id) end
end
-- each job looked at leaves the range (its entry set above now) unless the limit is reached
local seen, examined, cap = {}, 0, math.max(4 * limit, 64)
while done < limit and examined < cap do
  local ids = redis.call('ZRANGEBYSCORE', K_LIVE_JOBS, '-inf', s(now), 'LIMIT', 0, math.min(limit, cap - examined))
  local fresh = false
  for _, id in ipairs(ids) do
    if done >= limit then break end
    if not seen[id] then
      seen[id] = true; fresh = true
      examined = examined + 1
      examine(id)
    end
  end
  if not fresh then break end
end
return out
`

/** A job's runs. ARGV: job id. Returns the runs' JSON texts (any order). */
export const SELECT_RUNS = HEADER + `
local members = job_members(K_RUN_INDEX, ARGV[1])
if #members == 0 then return {} end
local texts = hmget(K_RUNS, members)
local out = {}
for i, text in ipairs(texts) do if text ~= false then out[#out + 1] = text end end
return out
`

/**
 * The prefix checked (see \`schema_error\`) and upgraded to this layout when it is in layout 2
 * or 3: what a read outside the scripts (\`selectAll\`) runs first. Returns \`OK\`.
 */
export const UPGRADE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
return 'OK'
`

/** The scripts by name. */
export const SCRIPTS = {
  write: WRITE,
  delete: DELETE,
  deleteAll: DELETE_ALL,
  select: SELECT,
  quarantine: QUARANTINE,
  acquire: ACQUIRE,
  records: RECORDS,
  release: RELEASE,
  complete: COMPLETE,
  purge: PURGE,
  renew: RENEW,
  recover: RECOVER,
  selectRuns: SELECT_RUNS,
  upgrade: UPGRADE
} as const

/** A script's name. */
export type ScriptName = keyof typeof SCRIPTS
