/**
 * The Lua scripts of the Redis job store: each claiming primitive (`acquire`, `release`,
 * `complete`) and each user write is one script, so every step is atomic on the server. They
 * read the time with `TIME` unless the caller passes its `now` (the store's `clock: "effect"`).
 *
 * Keys under a prefix `P` (see `RedisJobStore`):
 * - `P:jobs` hash id → the job's JSON record; `P:next` hash id → next run time (absent: paused);
 *   `P:version`, `P:fence` (fenceSeq), `P:lease_owner`, `P:lease_until`, `P:quarantine` hashes
 *   id → column; `P:due` sorted set id → effective due time = max(next run time, lease end) of
 *   the scheduled, not quarantined jobs; `P:fence_max` hash id → the greatest fence given.
 * - `P:runs:<jobId>` hash scheduled time → the run as JSON; `P:live:<jobId>` sorted set of the
 *   job's live runs (score: lease end, `+inf` while held until completed); `P:ended` sorted set
 *   `<scheduledTime>|<jobId>` → end time (the purge's index); `P:leases` sorted set
 *   `<scheduledTime>|<jobId>` → lease end of the live runs held with a lease (where `recover` looks).
 * - `P:memo:<token>` the answer of a claim, kept a short while, so a call whose reply was lost
 *   (connection cut) is answered again instead of being applied twice; `P:schema` the persisted
 *   schema version.
 */

/** The fixed keys every script gets, in this order (KEYS[1..11]). */
export const KEY_NAMES = [
  "jobs",
  "next",
  "version",
  "fence",
  "lease_owner",
  "lease_until",
  "quarantine",
  "due",
  "fence_max",
  "schema",
  "ended"
] as const

const HEADER = `
local K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR, K_DUE, K_FMAX, K_SCHEMA, K_ENDED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- the exact integer text of a number (tostring would write 1.7e+12 style for some values)
local function s(n) return string.format('%.0f', n) end
local function schema_error()
  local v = redis.call('GET', K_SCHEMA)
  if v == false then
    redis.call('SET', K_SCHEMA, '1')
  elseif tonumber(v) == nil or tonumber(v) > 1 then
    return 'SCHEMA the store holds persisted schema version ' .. tostring(v) .. ', newer than this version knows (1): refusing to write'
  end
  return nil
end
-- the due score of a scheduled job: its next run time, or the end of its lease when later
local function rescore(id)
  local n = redis.call('HGET', K_NEXT, id)
  if n == false or redis.call('HEXISTS', K_QUAR, id) == 1 then
    redis.call('ZREM', K_DUE, id)
    return
  end
  local score = tonumber(n)
  local u = redis.call('HGET', K_UNTIL, id)
  if u ~= false and tonumber(u) > score then score = tonumber(u) end
  redis.call('ZADD', K_DUE, s(score), id)
end
local function clear_lease(id)
  redis.call('HDEL', K_OWNER, id)
  redis.call('HDEL', K_UNTIL, id)
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
local function hmget(key, ids)
  local out = {}
  for i = 1, #ids, 2000 do
    local r = redis.call('HMGET', key, unpack(ids, i, math.min(i + 1999, #ids)))
    for j = 1, (math.min(i + 1999, #ids) - i + 1) do out[#out + 1] = r[j] end
  end
  return out
end
`

/**
 * User writes. ARGV: mode (`insert` | `upsert` | `update`), id, next run time (`''`: paused),
 * data, wake-up channel (`''`: none; the job id is published there, a hint to the peers' loops).
 * Returns `OK`, `CONFLICT` (insert of an existing id) or `MISSING` (update of an absent or
 * quarantined id).
 */
export const WRITE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local mode, id, nxt, data = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local exists = redis.call('HEXISTS', K_JOBS, id) == 1
if mode == 'insert' and exists then return 'CONFLICT' end
if mode == 'update' and ((not exists) or redis.call('HEXISTS', K_QUAR, id) == 1) then return 'MISSING' end
redis.call('HSET', K_JOBS, id, data)
if exists then
  redis.call('HINCRBY', K_VERSION, id, 1)
  redis.call('HDEL', K_QUAR, id)
else
  redis.call('HSET', K_VERSION, id, 1)
  local fmax = redis.call('HGET', K_FMAX, id)
  redis.call('HSET', K_FENCE, id, fmax or 0)
  clear_lease(id)
  redis.call('HDEL', K_QUAR, id)
end
if nxt == '' then redis.call('HDEL', K_NEXT, id) else redis.call('HSET', K_NEXT, id, nxt) end
rescore(id)
if ARGV[5] and ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], id) end
return 'OK'
`

/** Deletes a job row (quarantined or not); its runs stay. ARGV: id. Returns 1 when it existed. */
export const DELETE = HEADER + `
local id = ARGV[1]
local n = redis.call('HDEL', K_JOBS, id)
for _, k in ipairs({K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR}) do redis.call('HDEL', k, id) end
redis.call('ZREM', K_DUE, id)
return n
`

/** Deletes every job row; the runs stay. */
export const DELETE_ALL = HEADER + `
redis.call('DEL', K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR, K_DUE)
return 'OK'
`

/** One job row's columns. ARGV: id. */
export const SELECT = HEADER + `
local id = ARGV[1]
return {
  redis.call('HGET', K_JOBS, id), redis.call('HGET', K_NEXT, id), redis.call('HGET', K_VERSION, id),
  redis.call('HGET', K_FENCE, id), redis.call('HGET', K_OWNER, id), redis.call('HGET', K_UNTIL, id),
  redis.call('HEXISTS', K_QUAR, id)
}
`

/** Keeps a row aside. ARGV: id, reason. */
export const QUARANTINE = HEADER + `
local id = ARGV[1]
if redis.call('HEXISTS', K_JOBS, id) == 0 then return 0 end
redis.call('HSET', K_QUAR, id, ARGV[2])
clear_lease(id)
redis.call('ZREM', K_DUE, id)
return 1
`

/**
 * acquire. ARGV: now (\`''\`: Redis TIME), owner, limit, lease ms, prefix, token, memo ttl (s),
 * horizon ms (jobs due up to now + horizon; a live lease is judged at now).
 * Returns { now, until, ids, datas, nexts, versions, fences }.
 */
export const ACQUIRE = HEADER + `
local now = clock(ARGV[1])
local owner, limit, lease, prefix, token, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local memo_key = prefix .. ':memo:' .. token
local ids, untl, datas
local memo = redis.call('GET', memo_key)
if memo ~= false then
  -- a retry of a call that was applied: the rows it leased that are still ours
  local m = cjson.decode(memo)
  now, untl = m[1], m[2]
  ids = {}
  for i = 3, #m do
    local id = m[i]
    if redis.call('HGET', K_OWNER, id) == owner and redis.call('HGET', K_UNTIL, id) == s(untl) then ids[#ids + 1] = id end
  end
else
  local bad = schema_error()
  if bad then return redis.error_reply(bad) end
  untl = now + lease
  ids = {}
  if limit > 0 then
    -- jobs due by now + horizon, their records at once (one HMGET, not a call per id): a member
    -- without one is dropped; a live lease (judged at now) is left alone
    local horizon = tonumber(ARGV[8]) or 0
    local cand = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', s(now + horizon), 'LIMIT', 0, limit)
    datas = hmget(K_JOBS, cand)
    local cand_untils = hmget(K_UNTIL, cand)
    local kept = {}
    for i, id in ipairs(cand) do
      if datas[i] == false then
        redis.call('ZREM', K_DUE, id)
      elseif cand_untils[i] == false or tonumber(cand_untils[i]) <= now then
        ids[#ids + 1] = id; kept[#kept + 1] = datas[i]
      end
    end
    datas = kept
  end
  if #ids > 0 then
    local owners, untils, scores = {}, {}, {}
    for _, id in ipairs(ids) do
      owners[#owners + 1] = id; owners[#owners + 1] = owner
      untils[#untils + 1] = id; untils[#untils + 1] = s(untl)
      scores[#scores + 1] = s(untl); scores[#scores + 1] = id
    end
    bulk('HSET', K_OWNER, owners)
    bulk('HSET', K_UNTIL, untils)
    bulk('ZADD', K_DUE, scores)
    local m = { now, untl }
    for _, id in ipairs(ids) do m[#m + 1] = id end
    redis.call('SET', memo_key, cjson.encode(m), 'EX', ttl)
  end
end
if #ids == 0 then return { now, untl, {}, {}, {}, {}, {} } end
if datas == nil then datas = hmget(K_JOBS, ids) end
return { now, untl, ids, datas, hmget(K_NEXT, ids), hmget(K_VERSION, ids), hmget(K_FENCE, ids) }
`

/**
 * release. ARGV: now, prefix, owner, run lease (\`''\`: the job's lease end, \`'null'\`: until
 * completed, else ms), token, memo ttl (s), then the decisions flat (no JSON to decode): their
 * count, and per decision id, version, next (\`'-'\` remove, \`''\` paused, else the next run
 * time; the job's record is never rewritten), the removed job's record (\`''\` unless next is
 * \`'-'\`: it goes on the runs it starts), maxInstances, the number of runs, and per run
 * scheduled time, state (\`m\` missed, \`r\` ready), count, last time (integer texts). Returns \`now\` then, per decision, \`R\`
 * (refused) or \`<skipped 0|1> <job lease end>\` followed by \`<time>:<fence>\` per new ready run,
 * separated by newlines: a compact answer that is also the memo.
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
-- read the decisions
local decisions = {}
local ids = {}
local a = 8
for i = 1, tonumber(ARGV[7]) do
  local d = { id = ARGV[a], version = tonumber(ARGV[a + 1]), next = ARGV[a + 2], data = ARGV[a + 3],
    max = tonumber(ARGV[a + 4]), runs = {} }
  local n = tonumber(ARGV[a + 5])
  a = a + 6
  for j = 1, n do
    d.runs[j] = { t = ARGV[a], tn = tonumber(ARGV[a]), state = ARGV[a + 1], count = ARGV[a + 2], last = ARGV[a + 3] }
    a = a + 4
  end
  decisions[i] = d
  ids[i] = d.id
end
-- the columns of every job at once; the writes gathered into variadic commands below
local owners, untils, versions = hmget(K_OWNER, ids), hmget(K_UNTIL, ids), hmget(K_VERSION, ids)
local quars, fences, fmaxs = hmget(K_QUAR, ids), hmget(K_FENCE, ids), hmget(K_FMAX, ids)
local set_next, del_next, set_fence, set_fmax, cleared, due_add, due_rem, removed = {}, {}, {}, {}, {}, {}, {}, {}
local seen = {}
local out = { now_text }
local owner_json = cjson.encode(owner)
-- members of the store-wide sorted sets, gathered over the batch (one ZADD each at the end)
local leases, ended = {}, {}
for i, d in ipairs(decisions) do
  local id = d.id
  local u = untils[i]
  if seen[id] or versions[i] == false or quars[i] ~= false or owners[i] ~= owner or u == false or tonumber(u) <= now then
    out[#out + 1] = 'R'
  elseif tonumber(versions[i]) ~= d.version then
    -- a user write while leased: clear the lease, plan again on a later pass
    seen[id] = true
    clear_lease(id)
    rescore(id)
    out[#out + 1] = 'R'
  else
    seen[id] = true
    local runs_key = prefix .. ':runs:' .. id
    local has_ready = false
    for _, p in ipairs(d.runs) do if p.state == 'r' then has_ready = true end end
    local skipped = false
    if has_ready then
      skipped = redis.call('ZCOUNT', prefix .. ':live:' .. id, '(' .. now_text, '+inf') >= d.max
    end
    local fence_seq = tonumber(fences[i] or '0')
    local planned = d.runs
    if #planned > 1 then table.sort(planned, function(x, y) return x.tn < y.tn end) end
    local run_until, run_score = 'null', '+inf'
    if run_lease == '' then
      run_until, run_score = u, u
    elseif run_lease ~= 'null' then
      run_until = s(now + tonumber(run_lease)); run_score = run_until
    end
    local id_json = cjson.encode(id)
    -- the last runs of a job this release removes carry its record (recovery runs them from it)
    local job_data = (d.next == '-' and d.data ~= '') and (',"jobData":' .. cjson.encode(d.data)) or ''
    local line = { skipped and '1' or '0', u }
    local live = {}
    for _, p in ipairs(planned) do
      local ready = p.state == 'r' and not skipped
      local state, fence, attempt, by, untl, ended_at = 'missed', '0', '0', 'null', 'null', now_text
      if ready then
        state, fence, attempt, by, untl, ended_at = 'ready', tostring(fence_seq + 1), '1', owner_json, run_until, 'null'
      elseif p.state == 'r' then
        state = 'skipped'
      end
      local text = '{"jobId":' .. id_json .. ',"scheduledTime":' .. p.t .. ',"recordedAt":' .. now_text ..
        ',"state":"' .. state .. '","fence":' .. fence .. ',"attempt":' .. attempt .. ',"acquiredBy":' .. by ..
        ',"acquiredUntil":' .. untl .. ',"startedAt":null,"finishedAt":null,"result":null,"error":null,"count":' ..
        p.count .. ',"lastTime":' .. p.last .. ',"endedAt":' .. ended_at .. (ready and job_data or '') .. '}'
      -- a second insert of a key is a no-op
      if redis.call('HSETNX', runs_key, p.t, text) == 1 then
        if ready then
          fence_seq = fence_seq + 1
          line[#line + 1] = p.t .. ':' .. fence
          live[#live + 1] = run_score; live[#live + 1] = p.t
          if run_score ~= '+inf' then leases[#leases + 1] = run_score; leases[#leases + 1] = p.t .. '|' .. id end
        else
          ended[#ended + 1] = now_text; ended[#ended + 1] = p.t .. '|' .. id
        end
      end
    end
    if #live > 0 then bulk('ZADD', prefix .. ':live:' .. id, live) end
    if fence_seq > tonumber(fmaxs[i] or '0') then set_fmax[#set_fmax + 1] = id; set_fmax[#set_fmax + 1] = fence_seq end
    if d.next == '-' then
      removed[#removed + 1] = id
    else
      set_fence[#set_fence + 1] = id; set_fence[#set_fence + 1] = fence_seq
      cleared[#cleared + 1] = id
      if d.next == '' then
        del_next[#del_next + 1] = id
        due_rem[#due_rem + 1] = id
      else
        set_next[#set_next + 1] = id; set_next[#set_next + 1] = d.next
        due_add[#due_add + 1] = d.next; due_add[#due_add + 1] = id
      end
    end
    out[#out + 1] = table.concat(line, ' ')
  end
end
if #leases > 0 then bulk('ZADD', prefix .. ':leases', leases) end
if #ended > 0 then bulk('ZADD', K_ENDED, ended) end
if #set_next > 0 then bulk('HSET', K_NEXT, set_next) end
if #del_next > 0 then bulk('HDEL', K_NEXT, del_next) end
if #set_fence > 0 then bulk('HSET', K_FENCE, set_fence) end
if #set_fmax > 0 then bulk('HSET', K_FMAX, set_fmax) end
if #cleared > 0 then bulk('HDEL', K_OWNER, cleared); bulk('HDEL', K_UNTIL, cleared) end
if #due_add > 0 then bulk('ZADD', K_DUE, due_add) end
if #due_rem > 0 then bulk('ZREM', K_DUE, due_rem) end
if #removed > 0 then
  for _, k in ipairs({K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR}) do bulk('HDEL', k, removed) end
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
local out = {}
for i, c in ipairs(completions) do
  local runs_key = prefix .. ':runs:' .. c.jobId
  local field = s(c.scheduledTime)
  local text = redis.call('HGET', runs_key, field)
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
      r.acquiredBy = cjson.null
      r.acquiredUntil = cjson.null
      redis.call('HSET', runs_key, field, cjson.encode(r))
      redis.call('ZREM', prefix .. ':live:' .. c.jobId, field)
      redis.call('ZREM', prefix .. ':leases', field .. '|' .. c.jobId)
      redis.call('ZADD', K_ENDED, s(c.finishedAt), field .. '|' .. c.jobId)
      ok = '1'
    end
  end
  out[i] = ok
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
local now = clock(ARGV[1])
local prefix, retention, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', '(' .. s(now - retention), 'LIMIT', 0, limit)
for _, member in ipairs(old) do
  local bar = string.find(member, '|', 1, true)
  local field, id = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  local runs_key = prefix .. ':runs:' .. id
  redis.call('HDEL', runs_key, field)
  if redis.call('EXISTS', runs_key) == 0 then
    redis.call('DEL', prefix .. ':live:' .. id)
    redis.call('HDEL', K_FMAX, id)
  end
end
if #old > 0 then bulk('ZREM', K_ENDED, old) end
return #old
`

/**
 * renewRuns. ARGV: now, prefix, owner, lease ms, then per run job id, scheduled time, fence.
 * Renews each run that is live, has this fence, is held by owner and whose lease has not expired;
 * returns `'1'`/`'0'` per run, as one string. Lease 0 hands the runs back (their lease ends now).
 */
export const RENEW = HEADER + `
local now = clock(ARGV[1])
local prefix, owner, lease = ARGV[2], ARGV[3], tonumber(ARGV[4])
local lease_end = now + lease
local out = {}
local i = 5
while i + 2 <= #ARGV do
  local id, field, fence = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local runs_key = prefix .. ':runs:' .. id
  local text = redis.call('HGET', runs_key, field)
  local ok = '0'
  if text ~= false then
    local r = cjson.decode(text)
    if r.fence == fence and (r.state == 'ready' or r.state == 'running') and r.acquiredBy == owner
      and r.acquiredUntil ~= cjson.null and tonumber(r.acquiredUntil) > now then
      r.acquiredUntil = lease_end
      redis.call('HSET', runs_key, field, cjson.encode(r))
      redis.call('ZADD', prefix .. ':live:' .. id, s(lease_end), field)
      redis.call('ZADD', prefix .. ':leases', s(lease_end), field .. '|' .. id)
      ok = '1'
    end
  end
  out[#out + 1] = ok
  i = i + 3
end
return table.concat(out, '')
`

/**
 * recover. ARGV: now, prefix, owner, lease ms, limit. Takes over up to limit live runs whose lease
 * ended (\`P:leases\` score <= now): a run whose job exists (not quarantined) gets the next fence
 * of its job, attempt + 1, state ready and a lease to owner; any other is recorded abandoned.
 * maxInstances holds: a run is taken over only while its job has a free slot (its maxInstances
 * minus its runs holding a valid lease, \`P:live:<id>\` scores > now, those taken over here
 * included); the others stay expired for a later call. The index is read in up to 4 rounds of
 * limit entries, each after the entries skipped so far, so a job at its maxInstances with many
 * expired runs does not crowd other jobs' runs out of the call (at most 4 × limit entries read).
 * Returns now, then per run \`{ kind ('r' | 'a'), run JSON, data, next, version, fence }\`
 * (\`''\` where none).
 */
export const RECOVER = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local now = clock(ARGV[1])
local prefix, owner, limit = ARGV[2], ARGV[3], tonumber(ARGV[5])
-- at least 1 ms: a run taken over leaves the expired range, which the rounds below count on
local lease = math.max(1, tonumber(ARGV[4]))
local leases_key = prefix .. ':leases'
local lease_end = now + lease
local out = { s(now) }
-- free instance slots per job id: maxInstances minus the runs holding a valid lease
local slots = {}
local function take_slot(id, data)
  local free = slots[id]
  if free == nil then
    local ok, record = pcall(cjson.decode, data)
    local max = ok and type(record) == 'table' and tonumber(record.maxInstances) or nil
    if max == nil then return true end -- unreadable: taken over, then completed abandoned
    free = max - redis.call('ZCOUNT', prefix .. ':live:' .. id, '(' .. s(now), '+inf')
  end
  slots[id] = free
  if free <= 0 then return false end
  slots[id] = free - 1
  return true
end
-- one index entry: 'skip' (no free slot: stays expired), 'drop' (stale entry removed) or 'done'
-- (taken over or abandoned); every outcome but 'skip' takes the entry out of the expired range
local function recover_one(member)
  local bar = string.find(member, '|', 1, true)
  local field, id = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  -- a job found without a free slot in this call: its entries are skipped unread (a stale one is
  -- dropped by a later call)
  if slots[id] ~= nil and slots[id] <= 0 then return 'skip' end
  local runs_key = prefix .. ':runs:' .. id
  local text = redis.call('HGET', runs_key, field)
  local r = nil
  if text ~= false then r = cjson.decode(text) end
  if r == nil or not (r.state == 'ready' or r.state == 'running') or r.acquiredUntil == cjson.null
    or tonumber(r.acquiredUntil) > now then
    -- not a live run with an expired lease (any more): drop the stale index entry
    redis.call('ZREM', leases_key, member)
    return 'drop'
  elseif r.jobData ~= nil and r.jobData ~= cjson.null and redis.call('HEXISTS', K_JOBS, id) == 0
    and not take_slot(id, r.jobData) then
    -- no free instance slot: stays expired until a later call
    return 'skip'
  elseif r.jobData ~= nil and r.jobData ~= cjson.null and redis.call('HEXISTS', K_JOBS, id) == 0 then
    -- the last run of a one-shot job its release removed: run again from the record it carries
    local fence = tonumber(redis.call('HGET', K_FMAX, id) or '0') + 1
    redis.call('HSET', K_FMAX, id, fence)
    r.fence = fence
    r.attempt = r.attempt + 1
    r.state = 'ready'
    r.acquiredBy = owner
    r.acquiredUntil = lease_end
    r.startedAt = cjson.null
    local encoded = cjson.encode(r)
    redis.call('HSET', runs_key, field, encoded)
    redis.call('ZADD', prefix .. ':live:' .. id, s(lease_end), field)
    redis.call('ZADD', leases_key, s(lease_end), member)
    out[#out + 1] = { 'r', encoded, r.jobData, '', '0', s(fence) }
    return 'done'
  elseif redis.call('HEXISTS', K_JOBS, id) == 1 and redis.call('HEXISTS', K_QUAR, id) == 0
    and not take_slot(id, redis.call('HGET', K_JOBS, id)) then
    -- no free instance slot: stays expired until a later call
    return 'skip'
  elseif redis.call('HEXISTS', K_JOBS, id) == 1 and redis.call('HEXISTS', K_QUAR, id) == 0 then
    local fence = tonumber(redis.call('HGET', K_FENCE, id) or '0') + 1
    redis.call('HSET', K_FENCE, id, fence)
    if fence > tonumber(redis.call('HGET', K_FMAX, id) or '0') then redis.call('HSET', K_FMAX, id, fence) end
    r.fence = fence
    r.attempt = r.attempt + 1
    r.state = 'ready'
    r.acquiredBy = owner
    r.acquiredUntil = lease_end
    r.startedAt = cjson.null
    local encoded = cjson.encode(r)
    redis.call('HSET', runs_key, field, encoded)
    redis.call('ZADD', prefix .. ':live:' .. id, s(lease_end), field)
    redis.call('ZADD', leases_key, s(lease_end), member)
    out[#out + 1] = { 'r', encoded, redis.call('HGET', K_JOBS, id), redis.call('HGET', K_NEXT, id) or '',
      redis.call('HGET', K_VERSION, id) or '1', s(fence) }
    return 'done'
  else
    r.state = 'abandoned'
    r.acquiredBy = cjson.null
    r.acquiredUntil = cjson.null
    r.endedAt = now
    local encoded = cjson.encode(r)
    redis.call('HSET', runs_key, field, encoded)
    redis.call('ZREM', prefix .. ':live:' .. id, field)
    redis.call('ZREM', leases_key, member)
    redis.call('ZADD', K_ENDED, s(now), member)
    out[#out + 1] = { 'a', encoded, '', '', '', '' }
    return 'done'
  end
end
-- the LIMIT counts index entries, not free slots: the entries skipped stay in the expired range
-- ahead of the next round's, so each round reads on after them (its offset: the skips so far)
if limit <= 0 then return out end
local done, skipped = 0, 0
for round = 1, 4 do
  local members = redis.call('ZRANGEBYSCORE', leases_key, '-inf', s(now), 'LIMIT', skipped, limit)
  for _, member in ipairs(members) do
    if done >= limit then break end
    local got = recover_one(member)
    if got == 'skip' then skipped = skipped + 1 elseif got == 'done' then done = done + 1 end
  end
  if done >= limit or #members < limit then break end
end
return out
`

/** The scripts by name. */
export const SCRIPTS = {
  write: WRITE,
  delete: DELETE,
  deleteAll: DELETE_ALL,
  select: SELECT,
  quarantine: QUARANTINE,
  acquire: ACQUIRE,
  release: RELEASE,
  complete: COMPLETE,
  purge: PURGE,
  renew: RENEW,
  recover: RECOVER
} as const

/** A script's name. */
export type ScriptName = keyof typeof SCRIPTS
