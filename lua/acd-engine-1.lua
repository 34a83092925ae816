--[[
acd-engine-1: every change of ACD state (docs/acd.md). One file, one operation per call:
each call is ONE atomic change (enqueue, offer answered, offer failed, caller left, call
ended, agent state, due timers, reaper, config writes) followed, in the same call, by the
dispatch it makes possible. The operations share the dispatch, offer, release and log
helpers below, which is why they live in one script rather than one file per operation.

All ACD keys share one hash tag (`{freecti:acd}`): an agent spans many queues and a change
touches the agent, its queues, the entry and the offers at once. The names of per-entity
keys (agent, entry, offer, queue) are derived here from the tag prefix in ARGV[2]; KEYS[1]
is the queues hash and pins the slot. Redis Cluster runs such a script as long as every key
is in the slot of KEYS[1], which the common tag guarantees (docs/acd.md "Redis Cluster").

KEYS[1] `<T>queues` hash: queue name -> JSON QueueConfig (T = ARGV[2])
ARGV[1] operation (below)
ARGV[2] T, the tag prefix: `<redis.keyPrefix>{freecti:acd}:`
ARGV[3] now, ms since the epoch (the engine's clock; scripts never read TIME)
ARGV[4] registrations hash (seed `registrations`, full name) or '' = do not check registration
ARGV[5] random seed (1..2147483646) for the strategy `random`
ARGV[6] offer lease grace, ms (lease = offer timeout + grace)
ARGV[7] queue log MAXLEN (approximate trim)
ARGV[8..] operation arguments:
  enqueue     entryId, uuid, node, cidNumber, cidName, priority, skills JSON, queue
  dispatch    queue...
  accept      offerId, token, agentLegUuid, agentNode
  fail        offerId, token, reason (no-answer|reject|busy|error)
  leave       uuid, reason (abandon|exit-key|timeout|empty|transfer|callback|reaped), digit
  callback    uuid, customerUuid, number: the waiting caller becomes a callback entry (keeps its
              place; the channel uuid is let go; customerUuid is the uuid of the customer leg)
  cb-failed   customerUuid, nextCustomerUuid, reason: the connected callback's customer did not
              answer: agent freed, entry waits again after retryDelaySec or leaves (EXITCALLBACK)
  end         uuid, by (caller|agent)
  agent-state agent, state (logged-out|available|on-break), reason
  timers      limit
  reap        node, listedAt, uuid...
  put-queue   name, JSON
  del-queue   name
  put-agent   id, JSON, registration field ('' = none)
  del-agent   id
  put-tier    queue, agent, level, position
  del-tier    queue, agent

Returns a JSON object: {"ok":1, ...} or {"ok":<negative>, "err":"..."} with
  offers  [{offerId, token, queue, entryId, uuid, node, cidNumber, cidName, agent, agentConfig, timeoutSec, expiresAt, record}]
  cancels [{offerId, agent, uuid, reason}]
  exits   [{entryId, queue, uuid, node, reason, exit}]
  events  [{id, event, time, queue, uuid, agent, data}]
  more    queues whose dispatch stopped at the per-call budget (run `dispatch` again)
and per operation: enqueue {entryId, position, resumed} or {exit, reason}; leave {exit};
agent-state {agent}; callback {entryId, position}; cb-failed {dropped}.
Offers of callback entries carry `callback` {number, attempt, via, ringSec}.
Error codes: -1 unknown/stale offer (fencing), -2 unknown queue, -3 unknown agent,
-4 unknown call, -5 bad input, -6 in use.
]]
local T = ARGV[2]
local now = tonumber(ARGV[3])
local regHash = ARGV[4]
local seed = tonumber(ARGV[5])
local graceMs = tonumber(ARGV[6])
local logMax = tonumber(ARGV[7])
local op = ARGV[1]
local QUEUES = KEYS[1]
local AGENTS = T .. 'agents'
local TIMERS = T .. 'timers'
local UUIDS = T .. 'uuid'
local LOG = T .. 'log'
local BUDGET = 100
local SCAN = 50
local REG_RECHECK_MS = 5000
local ERROR_DELAY_SEC = 5

local out = { ok = 1, offers = {}, cancels = {}, exits = {}, events = {}, more = {} }
local headBefore = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')[2]
local dispatchQueue -- forward
-- Queues to dispatch before the script returns (a caller came back, an agent is free).
local wantQ, wantOrder = {}, {}
local function want(q)
  if not wantQ[q] then
    wantQ[q] = true
    wantOrder[#wantOrder + 1] = q
  end
end

local function rand()
  seed = (seed * 48271) % 2147483647
  return seed
end

local qconfCache = {}
local function qconf(q)
  local c = qconfCache[q]
  if c == nil then
    local raw = redis.call('HGET', QUEUES, q)
    if not raw then return nil end
    c = cjson.decode(raw)
    qconfCache[q] = c
  end
  return c
end

local function aconf(a)
  local raw = redis.call('HGET', AGENTS, a)
  if not raw then return nil end
  return cjson.decode(raw), raw
end

-- Statistics: one hash per minute (kept 2 h) and per UTC day (kept 2 days).
local function stat(kind, id, field, n)
  local m = T .. 's:' .. kind .. ':' .. id .. ':m:' .. math.floor(now / 60000)
  local d = T .. 's:' .. kind .. ':' .. id .. ':d:' .. math.floor(now / 86400000)
  redis.call('HINCRBY', m, field, n)
  redis.call('PEXPIRE', m, 7200000)
  redis.call('HINCRBY', d, field, n)
  redis.call('PEXPIRE', d, 172800000)
end

-- A time span [from, now) added to `field` of the minute and day buckets it overlaps (time in
-- a state: a state held for an hour must not land whole in the minute it ended). Only buckets
-- still kept (2 h of minutes, 2 days) are written, so a span costs at most 122 writes.
local function statSpan(kind, id, field, from)
  if from >= now then return end
  local function add(key, n, ttl)
    redis.call('HINCRBY', key, field, n)
    redis.call('PEXPIRE', key, ttl)
  end
  local last = math.floor(now / 60000)
  local first = math.max(math.floor(from / 60000), last - 119)
  for m = first, last do
    local n = math.min(now, (m + 1) * 60000) - math.max(from, m * 60000)
    if n > 0 then add(T .. 's:' .. kind .. ':' .. id .. ':m:' .. m, n, 7200000) end
  end
  local lastD = math.floor(now / 86400000)
  for d = math.max(math.floor(from / 86400000), lastD - 1), lastD do
    local n = math.min(now, (d + 1) * 86400000) - math.max(from, d * 86400000)
    if n > 0 then add(T .. 's:' .. kind .. ':' .. id .. ':d:' .. d, n, 172800000) end
  end
end

-- Queue log: a capped stream; every entry is also returned to the caller of the script.
local function log(event, queue, uuid, agent, data)
  local args = { 'XADD', LOG, 'MAXLEN', '~', logMax, '*', 'event', event, 'time', now, 'queue', queue, 'uuid', uuid, 'agent', agent }
  local d = {}
  for k, v in pairs(data or {}) do
    args[#args + 1] = k
    args[#args + 1] = tostring(v)
    d[k] = tostring(v)
  end
  local id = redis.call(unpack(args))
  out.events[#out.events + 1] = { id = id, event = event, time = now, queue = queue, uuid = uuid, agent = agent, data = d }
end

local function timer(member, due)
  redis.call('ZADD', TIMERS, due, member)
end

local function agentQueues(a)
  return redis.call('HKEYS', T .. 'aq:' .. a)
end

local function wantAgent(a)
  for _, q in ipairs(agentQueues(a)) do want(q) end
end

local function loggedIn(q)
  for _, a in ipairs(redis.call('HKEYS', T .. 'qt:' .. q)) do
    local st = redis.call('HGET', T .. 'a:' .. a, 'st')
    if st and st ~= 'logged-out' then return true end
  end
  return false
end

-- Every agent transition goes through here: time in the old state is added to the
-- agent's statistics (occupancy) and an AGENTSTATE line is logged.
local function setState(a, st, reason, extra)
  local ak = T .. 'a:' .. a
  local old = redis.call('HMGET', ak, 'st', 'since')
  local oldSt = old[1] or 'logged-out'
  local since = tonumber(old[2] or now)
  if oldSt ~= 'logged-out' then statSpan('a', a, 'ms_' .. oldSt, since) end
  local args = { 'HSET', ak, 'st', st, 'since', now, 'rs', reason or '' }
  for k, v in pairs(extra or {}) do
    args[#args + 1] = k
    args[#args + 1] = v
  end
  redis.call(unpack(args))
  -- The per-queue sets of available agents (what dispatch scans) follow the state.
  if (oldSt == 'available') ~= (st == 'available') then
    local cmd = (st == 'available') and 'SADD' or 'SREM'
    for _, q in ipairs(agentQueues(a)) do redis.call(cmd, T .. 'av:' .. q, a) end
  end
  if oldSt ~= st or (reason or '') ~= '' then
    log('AGENTSTATE', 'NONE', '', a, { from = oldSt, to = st, reason = reason or '' })
  end
end

-- The agent logged out: every queue of its left with no logged-in agent starts the
-- max-wait-no-agent clock of its waiting callers.
local function armEmpty(a)
  for _, q in ipairs(agentQueues(a)) do
    local c = qconf(q)
    if c and c.maxWaitNoAgentSec ~= cjson.null and c.maxWaitNoAgentSec ~= nil and not loggedIn(q) then
      for _, e in ipairs(redis.call('ZRANGE', T .. 'w:' .. q, 0, -1)) do
        timer('y:' .. e, now + c.maxWaitNoAgentSec * 1000)
      end
    end
  end
end

-- The agent is free again (after an offer or wrap-up): a pending break / logout set while
-- it was busy applies now; otherwise it becomes available at `ready`.
local function freeAgent(a, ready)
  local ak = T .. 'a:' .. a
  local pend = redis.call('HGET', ak, 'pend')
  redis.call('HSET', ak, 'offer', '', 'call', '', 'entry', '', 'node', '', 'cq', '', 'pend', '')
  local st, rs = nil, nil
  if pend and pend ~= '' then st, rs = string.match(pend, '^([^|]*)|(.*)$') end
  if st and st ~= 'available' then
    setState(a, st, rs, { ready = now })
    if st == 'logged-out' then armEmpty(a) end
    return
  end
  setState(a, 'available', '', { ready = ready, idle = now })
  if ready > now then timer('a:' .. a, ready) else wantAgent(a) end
end

-- Wrap-up time counts into the handle time of the queue of the call it follows.
local function countWrap(a)
  local r = redis.call('HMGET', T .. 'a:' .. a, 'st', 'since', 'cq')
  if r[1] == 'wrap-up' and r[3] and r[3] ~= '' then stat('q', r[3], 'wrap', now - tonumber(r[2])) end
end

-- Withdraws one offer (no penalty for the agent); returns nothing, records the cancel.
local function cancelOffer(oid, reason)
  local ok = T .. 'o:' .. oid
  local o = redis.call('HMGET', ok, 'a', 'e', 'uuid')
  if not o[1] then return end
  redis.call('DEL', ok)
  redis.call('ZREM', TIMERS, 'o:' .. oid)
  redis.call('SREM', T .. 'eo:' .. o[2], oid)
  if redis.call('HGET', T .. 'a:' .. o[1], 'offer') == oid then freeAgent(o[1], now) end
  out.cancels[#out.cancels + 1] = { offerId = oid, agent = o[1], uuid = o[3], reason = reason }
end

local function score(priority, joined)
  return (100 - priority) * 1e13 + joined
end

local function parseTier(v)
  local l, p = string.match(v, '^(%-?%d+):(%-?%d+)$')
  return tonumber(l), tonumber(p)
end

-- Candidate agents of a queue: available (the queue's `av` set), past their delay,
-- registered. Also says whether an available agent was skipped for not being registered.
local function candidates(q)
  local tiers = redis.call('HGETALL', T .. 'qt:' .. q)
  local tierOf, base = {}, nil
  for i = 1, #tiers, 2 do
    local level, pos = parseTier(tiers[i + 1])
    tierOf[tiers[i]] = { level, pos }
    if base == nil or level < base then base = level end
  end
  local list, unreg = {}, false
  for _, a in ipairs(redis.call('SMEMBERS', T .. 'av:' .. q)) do
    local level, pos = 0, 0
    if tierOf[a] then level, pos = tierOf[a][1], tierOf[a][2] end
    local r = redis.call('HMGET', T .. 'a:' .. a, 'st', 'ready', 'idle', 'calls', 'talk', 'sk', 'reg')
    if tierOf[a] and r[1] == 'available' and tonumber(r[2] or 0) <= now then
      local ok = true
      if regHash ~= '' and r[7] and r[7] ~= '' then
        ok = redis.call('HEXISTS', regHash, r[7]) == 1
      end
      if ok then
        list[#list + 1] = { id = a, level = level, pos = pos, idle = tonumber(r[3] or 0), calls = tonumber(r[4] or 0),
          talk = tonumber(r[5] or 0), sk = r[6], r = 0 }
      else
        unreg = true
      end
    end
  end
  return list, base or 0, unreg
end

-- A queue-dispatch timer; an earlier one already set is kept.
local function wakeQueue(q, at)
  redis.call('ZADD', TIMERS, 'LT', at, 'q:' .. q)
end

local function tierCmp(x, y)
  if x.level ~= y.level then return x.level < y.level end
  if x.pos ~= y.pos then return x.pos < y.pos end
  return x.id < y.id
end

local function order(list, c, q)
  local s = c.strategy
  if s == 'longest-idle-agent' then
    table.sort(list, function(x, y)
      if x.level ~= y.level then return x.level < y.level end
      if x.idle ~= y.idle then return x.idle < y.idle end
      return x.id < y.id
    end)
  elseif s == 'agent-with-fewest-calls' or s == 'agent-with-least-talk-time' then
    local f = (s == 'agent-with-fewest-calls') and 'calls' or 'talk'
    table.sort(list, function(x, y)
      if x.level ~= y.level then return x.level < y.level end
      if x[f] ~= y[f] then return x[f] < y[f] end
      if x.idle ~= y.idle then return x.idle < y.idle end
      return x.id < y.id
    end)
  elseif s == 'random' then
    table.sort(list, function(x, y) return x.id < y.id end) -- set order is not stable; the seed's draws are
    for _, x in ipairs(list) do x.r = rand() end
    table.sort(list, function(x, y)
      if x.level ~= y.level then return x.level < y.level end
      if x.r ~= y.r then return x.r < y.r end
      return x.id < y.id
    end)
  elseif s == 'round-robin' then
    table.sort(list, tierCmp)
    local last = redis.call('GET', T .. 'rr:' .. q)
    if last then
      local ll, lp = parseTier(last)
      local k = nil
      for i, x in ipairs(list) do
        if x.level > ll or (x.level == ll and x.pos > lp) then k = i break end
      end
      if k and k > 1 then
        local rot = {}
        for i = k, #list do rot[#rot + 1] = list[i] end
        for i = 1, k - 1 do rot[#rot + 1] = list[i] end
        for i = 1, #list do list[i] = rot[i] end
      end
    end
  else
    -- top-down, ring-all, ring-progressively; skills sorts per caller (below)
    table.sort(list, tierCmp)
  end
end

-- Does agent x match the caller's required skills? Returns match score (sum of levels) or nil.
local function skillScore(x, req)
  if req == nil then return 0 end
  local sk = (x.sk and x.sk ~= '') and cjson.decode(x.sk) or {}
  local total = 0
  for name, min in pairs(req) do
    local lv = sk[name]
    if lv == nil or lv < min then return nil end
    total = total + lv
  end
  return total
end

local function tierAllowed(c, base, level, waited)
  if c.tierWaitSec == 0 or level <= base then return true, 0 end
  local need = c.tierWaitSec * 1000 * (c.tierWaitMultiplyLevel and (level - base) or 1)
  return waited >= need, need
end

-- Callback settings of a queue, with the defaults of src/acd/config.ts (queues stored before they existed).
local function cbconf(c)
  local cb = (c and type(c.callback) == 'table') and c.callback or {}
  return { enabled = cb.enabled == true, maxAgeSec = tonumber(cb.maxAgeSec) or 3600, retries = tonumber(cb.retries) or 2,
    retryDelaySec = tonumber(cb.retryDelaySec) or 60, ringSec = tonumber(cb.ringSec) or 30,
    via = (type(cb.via) == 'table') and cb.via or { type = 'user' } }
end

local function makeOffer(q, c, eid, e, x)
  local tok = redis.call('INCR', T .. 'fence')
  local oid = tostring(tok)
  local exp = now + c.offerTimeoutSec * 1000 + graceMs
  redis.call('HSET', T .. 'o:' .. oid, 'a', x.id, 'e', eid, 'tok', tok, 'q', q, 'exp', exp, 'at', now, 'uuid', e.uuid)
  redis.call('SADD', T .. 'eo:' .. eid, oid)
  redis.call('HSET', T .. 'e:' .. eid, 'st', 'offered')
  redis.call('ZREM', T .. 'w:' .. q, eid)
  setState(x.id, 'reserved', '', { offer = oid, lo = now, entry = eid })
  timer('o:' .. oid, exp)
  if c.strategy == 'round-robin' then redis.call('SET', T .. 'rr:' .. q, x.level .. ':' .. x.pos) end
  stat('a', x.id, 'offered', 1)
  local _, raw = aconf(x.id)
  log('OFFER', q, e.uuid, x.id, { offer = oid, token = tok })
  out.offers[#out.offers + 1] = { offerId = oid, token = tok, queue = q, entryId = eid, uuid = e.uuid, node = e.node,
    cidNumber = e.cidn, cidName = e.cida, agent = x.id, agentConfig = raw, timeoutSec = c.offerTimeoutSec,
    expiresAt = exp, record = c.recordTemplate }
  if e.cb then
    local cb = cbconf(c)
    out.offers[#out.offers].callback = { number = e.cb, attempt = e.cba + 1, via = cb.via, ringSec = cb.ringSec }
  end
end

local function loadEntry(eid)
  local r = redis.call('HMGET', T .. 'e:' .. eid, 'uuid', 'node', 'cidn', 'cida', 'joined', 'sk', 'st', 'q', 'pri', 'score',
    'cb', 'cba', 'cbat', 'nb')
  if not r[1] then return nil end
  local sk = nil
  if r[6] and r[6] ~= '' and r[6] ~= '{}' then sk = cjson.decode(r[6]) end
  return { uuid = r[1], node = r[2], cidn = r[3], cida = r[4], joined = tonumber(r[5]), sk = sk, st = r[7], q = r[8],
    pri = tonumber(r[9]), score = tonumber(r[10]), cb = (r[11] and r[11] ~= '') and r[11] or nil,
    cba = tonumber(r[12] or 0), cbat = tonumber(r[13] or 0), nb = tonumber(r[14] or 0) }
end

-- Picks the agents for one caller from `list` (already ordered); returns indexes.
local function pick(c, base, list, e, taken, maxN)
  local waited = now - e.joined
  local chosen, nextUnlock = {}, nil
  if c.strategy == 'skills' then
    local best, bestScore = nil, nil
    for i, x in ipairs(list) do
      if not taken[x.id] then
        local ok, need = tierAllowed(c, base, x.level, waited)
        local s = skillScore(x, e.sk)
        if s ~= nil and not ok then
          local at = e.joined + need
          if nextUnlock == nil or at < nextUnlock then nextUnlock = at end
        elseif s ~= nil and (best == nil or s > bestScore or (s == bestScore and x.idle < list[best].idle)) then
          best, bestScore = i, s
        end
      end
    end
    if best then chosen[1] = best end
    return chosen, nextUnlock
  end
  for i, x in ipairs(list) do
    if not taken[x.id] then
      local ok, need = tierAllowed(c, base, x.level, waited)
      if ok then
        if skillScore(x, e.sk) ~= nil then
          chosen[#chosen + 1] = i
          if #chosen >= maxN then break end
        end
      else
        local at = e.joined + need
        if nextUnlock == nil or at < nextUnlock then nextUnlock = at end
      end
    end
  end
  return chosen, nextUnlock
end

local budget = BUDGET

dispatchQueue = function(q)
  local c = qconf(q)
  if c == nil then return end
  local waiting = redis.call('ZRANGE', T .. 'w:' .. q, 0, SCAN - 1)
  if #waiting == 0 then return end
  local list, base, unreg = candidates(q)
  -- Registrations are not events of the ACD: while an available agent is skipped for not
  -- being registered and callers wait, look again after REG_RECHECK_MS.
  if unreg then wakeQueue(q, now + REG_RECHECK_MS) end
  if #list == 0 then return end
  order(list, c, q)
  local taken, left = {}, #list
  local wake = nil
  for _, eid in ipairs(waiting) do
    if budget <= 0 then out.more[#out.more + 1] = q break end
    if left == 0 then break end
    local e = loadEntry(eid)
    if e and e.nb > now then
      -- A callback waiting out its retry delay keeps its place; the ones behind it go first meanwhile.
      if wake == nil or e.nb < wake then wake = e.nb end
    elseif e then
      local maxN = (c.strategy == 'ring-all') and 1000000 or 1
      local chosen, unlock = pick(c, base, list, e, taken, maxN)
      if unlock and (wake == nil or unlock < wake) then wake = unlock end
      for _, i in ipairs(chosen) do
        local x = list[i]
        taken[x.id] = true
        left = left - 1
        budget = budget - 1
        makeOffer(q, c, eid, e, x)
      end
      if #chosen > 0 and c.strategy == 'ring-progressively' then
        timer('p:' .. eid, now + c.ringProgressivelyDelaySec * 1000)
      end
    end
  end
  if wake then wakeQueue(q, wake) end
end

-- ring-progressively: one more agent for a caller whose offers are still ringing.
local function progress(eid)
  local e = loadEntry(eid)
  if not e or e.st ~= 'offered' then return end
  local c = qconf(e.q)
  if not c then return end
  local list, base = candidates(e.q)
  order(list, c, e.q)
  local chosen = pick(c, base, list, e, {}, 1)
  if #chosen > 0 then makeOffer(e.q, c, eid, e, list[chosen[1]]) end
  timer('p:' .. eid, now + c.ringProgressivelyDelaySec * 1000)
end

-- Dispatches the wanted queues, the one whose first caller has waited longest (priority
-- first) first, so an agent of several queues takes the most urgent caller. Dispatching
-- can free nothing, so one pass suffices.
local function flush()
  local heads = {}
  for _, q in ipairs(wantOrder) do
    local h = redis.call('ZRANGE', T .. 'w:' .. q, 0, 0, 'WITHSCORES')
    if h[2] then heads[#heads + 1] = { q = q, s = tonumber(h[2]) } end
  end
  wantQ, wantOrder = {}, {}
  table.sort(heads, function(x, y) return x.s < y.s end)
  for _, h in ipairs(heads) do dispatchQueue(h.q) end
end

-- Removes an entry and everything that points at it.
local function dropEntry(eid, e)
  redis.call('ZREM', T .. 'w:' .. e.q, eid)
  redis.call('DEL', T .. 'e:' .. eid, T .. 'eo:' .. eid)
  redis.call('HDEL', UUIDS, e.uuid)
  redis.call('HDEL', T .. 'n:' .. e.node, e.uuid)
  redis.call('ZREM', TIMERS, 'x:' .. eid, 'y:' .. eid, 'p:' .. eid, 'k:' .. eid)
end

local LEAVE_EVENT = { abandon = 'ABANDON', ['exit-key'] = 'EXITWITHKEY', timeout = 'EXITWITHTIMEOUT', empty = 'EXITEMPTY',
  transfer = 'EXITTRANSFER', callback = 'EXITCALLBACK', reaped = 'ABANDON' }

local endCall -- forward

local function leave(uuid, reason, digit)
  local ref = redis.call('HGET', UUIDS, uuid)
  if not ref or string.sub(ref, 1, 2) ~= 'e:' then return false, nil end
  local eid = string.sub(ref, 3)
  local e = loadEntry(eid)
  if not e then
    redis.call('HDEL', UUIDS, uuid)
    return false, nil
  end
  if e.st == 'connected' then
    endCall(uuid, 'caller')
    return true, nil
  end
  for _, oid in ipairs(redis.call('SMEMBERS', T .. 'eo:' .. eid)) do cancelOffer(oid, 'caller-left') end
  local pos = redis.call('ZRANK', T .. 'w:' .. e.q, eid)
  local orig = redis.call('HGET', T .. 'e:' .. eid, 'op') or ''
  dropEntry(eid, e)
  local waited = now - e.joined
  local c = qconf(e.q)
  local exit = nil
  local data = { position = pos and (pos + 1) or 0, origposition = orig, waittime = math.floor(waited / 1000), reason = reason }
  if reason == 'exit-key' then
    data.key = digit or ''
    if c and c.exitKeys and digit and c.exitKeys[digit] then exit = c.exitKeys[digit] end
  elseif (reason == 'timeout' or reason == 'empty') and c then
    exit = c.exit
  end
  log(LEAVE_EVENT[reason] or 'EXITTRANSFER', e.q, uuid, '', data)
  if reason == 'abandon' or reason == 'reaped' then
    stat('q', e.q, 'abandoned', 1)
    if c and waited < c.shortAbandonSec * 1000 then stat('q', e.q, 'short', 1) end
    if reason == 'abandon' and c and c.abandonResumeSec > 0 and e.cidn ~= '' then
      redis.call('SET', T .. 'resume:' .. e.q .. ':' .. e.cidn, cjson.encode({ score = e.score, joined = e.joined, untilMs = now + c.abandonResumeSec * 1000 }),
        'PX', c.abandonResumeSec * 1000 + 1000)
    end
  else
    stat('q', e.q, 'exited', 1)
  end
  return true, exit
end

endCall = function(uuid, by)
  local ref = redis.call('HGET', UUIDS, uuid)
  if not ref then return false end
  local a, eid
  if string.sub(ref, 1, 2) == 'a:' then
    a = string.sub(ref, 3)
    eid = redis.call('HGET', T .. 'a:' .. a, 'entry')
  else
    eid = string.sub(ref, 3)
    a = redis.call('HGET', T .. 'e:' .. eid, 'agent')
  end
  local e = eid and loadEntry(eid)
  if not e or e.st ~= 'connected' then
    redis.call('HDEL', UUIDS, uuid)
    return false
  end
  local ak = T .. 'a:' .. a
  local ar = redis.call('HMGET', ak, 'ans', 'call', 'node')
  local ans = tonumber(ar[1] or now)
  local talk = now - ans
  redis.call('HINCRBY', ak, 'calls', 1)
  redis.call('HINCRBY', ak, 'talk', talk)
  if ar[2] and ar[2] ~= '' then
    redis.call('HDEL', UUIDS, ar[2])
    redis.call('HDEL', T .. 'n:' .. (ar[3] or ''), ar[2])
  end
  dropEntry(eid, e)
  stat('q', e.q, 'handled', 1)
  stat('q', e.q, 'talk', talk)
  stat('a', a, 'talk', talk)
  log(by == 'agent' and 'COMPLETEAGENT' or 'COMPLETECALLER', e.q, e.uuid, a,
    { holdtime = math.floor((ans - e.joined) / 1000), calltime = math.floor(talk / 1000) })
  local conf = aconf(a)
  local wrap = conf and conf.wrapUpSec or 0
  if wrap > 0 then
    setState(a, 'wrap-up', '', { ready = now + wrap * 1000, call = '', node = '', cq = e.q })
    timer('a:' .. a, now + wrap * 1000)
  else
    freeAgent(a, now)
  end
  return true
end

-- An offer ends without an answer (reason no-answer|reject|busy|error|timeout).
local function failOffer(oid, tok, reason)
  local ok = T .. 'o:' .. oid
  local o = redis.call('HMGET', ok, 'a', 'e', 'tok', 'q', 'at', 'uuid')
  if not o[1] or (tok ~= nil and tostring(tok) ~= o[3]) then return false end
  local a, eid, q = o[1], o[2], o[4]
  redis.call('DEL', ok)
  redis.call('ZREM', TIMERS, 'o:' .. oid)
  redis.call('SREM', T .. 'eo:' .. eid, oid)
  log('RINGNOANSWER', q, o[6], a, { ringtime = math.floor((now - tonumber(o[5])) / 1000), reason = reason, offer = oid })
  if reason == 'timeout' then
    out.cancels[#out.cancels + 1] = { offerId = oid, agent = a, uuid = o[6], reason = 'timeout' }
  end
  stat('a', a, 'noanswer', 1)
  local ak = T .. 'a:' .. a
  if redis.call('HGET', ak, 'offer') == oid then
    local conf = aconf(a) or {}
    local delay = 0
    if reason == 'no-answer' or reason == 'timeout' then
      local na = redis.call('HINCRBY', ak, 'na', 1)
      delay = conf.noAnswerDelaySec or 0
      if (conf.maxNoAnswer or 0) > 0 and na >= conf.maxNoAnswer then
        -- A logout asked while the offer rang wins over the no-answer break.
        local pend = redis.call('HGET', ak, 'pend') or ''
        redis.call('HSET', ak, 'offer', '', 'entry', '', 'pend', '')
        if string.sub(pend, 1, 11) == 'logged-out|' then
          setState(a, 'logged-out', '', { ready = now })
          armEmpty(a)
        else
          setState(a, 'on-break', 'no-answer', { ready = now })
        end
        delay = -1
      end
    elseif reason == 'reject' then
      delay = conf.rejectDelaySec or 0
    elseif reason == 'busy' then
      delay = conf.busyDelaySec or 0
    elseif reason == 'error' then
      -- An originate that fails at once (bad contact, gateway down) must not be offered again
      -- at once: without a delay the same agent is re-offered the same caller in a tight loop.
      delay = ERROR_DELAY_SEC
    end
    if delay >= 0 then freeAgent(a, now + delay * 1000) end
  end
  local e = loadEntry(eid)
  if e and e.st == 'offered' and redis.call('SCARD', T .. 'eo:' .. eid) == 0 then
    redis.call('HSET', T .. 'e:' .. eid, 'st', 'waiting')
    redis.call('ZADD', T .. 'w:' .. q, e.score, eid)
    want(q)
  end
  return true
end

local function exitCheck(eid, reason)
  local e = loadEntry(eid)
  if not e or e.st == 'connected' then return end
  local c = qconf(e.q)
  if not c then return end
  if reason == 'empty' and loggedIn(e.q) then return end
  local _, exit = leave(e.uuid, reason, nil)
  out.exits[#out.exits + 1] = { entryId = eid, queue = e.q, uuid = e.uuid, node = e.node, reason = reason, exit = exit or cjson.null }
end

local function enqueue(eid, uuid, node, cidn, cida, pri, sk, q)
  local c = qconf(q)
  if c == nil then return { ok = -2, err = 'unknown queue ' .. q } end
  local existing = redis.call('HGET', UUIDS, uuid)
  if existing and string.sub(existing, 1, 2) == 'e:' then
    local old = string.sub(existing, 3)
    local r = redis.call('ZRANK', T .. 'w:' .. q, old)
    return { ok = 1, entryId = old, position = r and (r + 1) or 0, resumed = false, status = 'queued' }
  end
  local wk = T .. 'w:' .. q
  local anyone = loggedIn(q)
  if c.maxLength > 0 and redis.call('ZCARD', wk) >= c.maxLength then
    log('FULL', q, uuid, '', {})
    stat('q', q, 'exited', 1)
    return { ok = 1, status = 'exit', reason = 'full', exit = c.exit }
  end
  if not anyone and c.maxWaitNoAgentSec == 0 then
    log('JOINEMPTY', q, uuid, '', {})
    stat('q', q, 'exited', 1)
    return { ok = 1, status = 'exit', reason = 'empty', exit = c.exit }
  end
  local joined, sc, resumed = now, score(pri, now), false
  if c.abandonResumeSec > 0 and cidn ~= '' then
    local rk = T .. 'resume:' .. q .. ':' .. cidn
    local raw = redis.call('GET', rk)
    if raw then
      redis.call('DEL', rk)
      local r = cjson.decode(raw)
      if r.untilMs >= now then
        sc, joined, resumed = r.score, r.joined, true
      end
    end
  end
  redis.call('HSET', T .. 'e:' .. eid, 'uuid', uuid, 'node', node, 'cidn', cidn, 'cida', cida, 'joined', joined, 'sk', sk,
    'st', 'waiting', 'q', q, 'pri', pri, 'score', sc, 'in', now)
  redis.call('ZADD', wk, sc, eid)
  redis.call('HSET', UUIDS, uuid, 'e:' .. eid)
  redis.call('HSET', T .. 'n:' .. node, uuid, now)
  local pos = redis.call('ZRANK', wk, eid) + 1
  redis.call('HSET', T .. 'e:' .. eid, 'op', pos)
  if c.maxWaitSec > 0 then timer('x:' .. eid, joined + c.maxWaitSec * 1000) end
  if not anyone and c.maxWaitNoAgentSec ~= cjson.null and c.maxWaitNoAgentSec ~= nil then
    timer('y:' .. eid, now + c.maxWaitNoAgentSec * 1000)
  end
  log('ENTERQUEUE', q, uuid, '', { position = pos, callerid = cidn, priority = pri, resumed = resumed and 1 or 0 })
  stat('q', q, 'entered', 1)
  want(q)
  return { ok = 1, status = 'queued', entryId = eid, position = pos, resumed = resumed }
end

local function accept(oid, tok, leg, legNode)
  local ok = T .. 'o:' .. oid
  local o = redis.call('HMGET', ok, 'a', 'e', 'tok', 'q', 'at')
  if not o[1] or tostring(tok) ~= o[3] then return { ok = -1, err = 'unknown or stale offer ' .. oid } end
  local a, eid, q = o[1], o[2], o[4]
  local e = loadEntry(eid)
  if not e or e.st ~= 'offered' then
    cancelOffer(oid, 'caller-left')
    return { ok = -1, err = 'the caller of offer ' .. oid .. ' is gone' }
  end
  redis.call('DEL', ok)
  redis.call('ZREM', TIMERS, 'o:' .. oid, 'p:' .. eid, 'x:' .. eid, 'y:' .. eid)
  redis.call('SREM', T .. 'eo:' .. eid, oid)
  for _, other in ipairs(redis.call('SMEMBERS', T .. 'eo:' .. eid)) do cancelOffer(other, 'answered-elsewhere') end
  redis.call('DEL', T .. 'eo:' .. eid)
  redis.call('HSET', T .. 'e:' .. eid, 'st', 'connected', 'agent', a, 'ans', now)
  setState(a, 'in-call', '', { offer = '', call = leg, node = legNode, entry = eid, ans = now, na = 0, cq = q })
  redis.call('HSET', UUIDS, leg, 'a:' .. a)
  redis.call('HSET', T .. 'n:' .. legNode, leg, now)
  local c = qconf(q)
  local waited = now - e.joined
  stat('q', q, 'answered', 1)
  stat('q', q, 'wait', waited)
  if c and waited <= c.serviceLevelSec * 1000 then stat('q', q, 'slok', 1) end
  stat('a', a, 'answered', 1)
  log('CONNECT', q, e.uuid, a, { holdtime = math.floor(waited / 1000), bridgedchanneluniqueid = leg,
    ringtime = math.floor((now - tonumber(o[5])) / 1000) })
  return { ok = 1 }
end

local function agentState(a, st, reason)
  local conf = aconf(a)
  if conf == nil then return { ok = -3, err = 'unknown agent ' .. a } end
  local ak = T .. 'a:' .. a
  local cur = redis.call('HGET', ak, 'st') or 'logged-out'
  if cur == 'reserved' or cur == 'in-call' then
    -- Applied when the call or offer ends.
    redis.call('HSET', ak, 'pend', st .. '|' .. (reason or ''))
    return { ok = 1, agent = a, pending = st }
  end
  if cur == 'wrap-up' and st ~= 'available' then
    redis.call('HSET', ak, 'pend', st .. '|' .. (reason or ''))
    return { ok = 1, agent = a, pending = st }
  end
  if st == 'available' then
    countWrap(a)
    redis.call('ZREM', TIMERS, 'a:' .. a)
    redis.call('HSET', ak, 'na', 0, 'pend', '')
    setState(a, 'available', '', { ready = now, idle = now })
    wantAgent(a)
  else
    redis.call('HSET', ak, 'pend', '')
    setState(a, st, reason or '', { ready = now })
    if st == 'logged-out' then armEmpty(a) end
  end
  return { ok = 1, agent = a }
end

-- A waiting (or offered) caller takes the callback: same entry, score and priority; the
-- channel's uuid is let go (its hangup and the reaper find nothing), the entry answers to the
-- customer leg's uuid from now on, and is not in any node's channel list until it connects.
local function requestCallback(uuid, custUuid, number)
  local ref = redis.call('HGET', UUIDS, uuid)
  if not ref or string.sub(ref, 1, 2) ~= 'e:' then return { ok = -4, err = 'no waiting caller with uuid ' .. uuid } end
  local eid = string.sub(ref, 3)
  local e = loadEntry(eid)
  if not e or e.st == 'connected' or e.cb then return { ok = -4, err = 'no waiting caller with uuid ' .. uuid } end
  local c = qconf(e.q)
  local cb = cbconf(c)
  if not cb.enabled then return { ok = -5, err = 'queue ' .. e.q .. ' has no callback option' } end
  if not string.match(number, '^[0-9*#+]+$') or #number > 32 then return { ok = -5, err = 'callback number: digits, * # + only' } end
  for _, oid in ipairs(redis.call('SMEMBERS', T .. 'eo:' .. eid)) do cancelOffer(oid, 'caller-left') end
  redis.call('DEL', T .. 'eo:' .. eid)
  redis.call('HDEL', UUIDS, uuid)
  redis.call('HDEL', T .. 'n:' .. e.node, uuid)
  redis.call('HSET', T .. 'e:' .. eid, 'uuid', custUuid, 'st', 'waiting', 'cb', number, 'cba', 0, 'cbat', now, 'nb', 0)
  redis.call('HSET', UUIDS, custUuid, 'e:' .. eid)
  redis.call('ZADD', T .. 'w:' .. e.q, e.score, eid)
  redis.call('ZREM', TIMERS, 'x:' .. eid, 'y:' .. eid, 'p:' .. eid)
  timer('k:' .. eid, now + cb.maxAgeSec * 1000)
  local pos = redis.call('ZRANK', T .. 'w:' .. e.q, eid) + 1
  log('CALLBACK', e.q, uuid, '', { position = pos, number = number, waittime = math.floor((now - e.joined) / 1000), callbackuuid = custUuid })
  want(e.q)
  return { ok = 1, entryId = eid, position = pos }
end

-- A callback entry leaves without having reached the customer.
local function dropCallback(eid, e, why)
  for _, oid in ipairs(redis.call('SMEMBERS', T .. 'eo:' .. eid)) do cancelOffer(oid, 'caller-left') end
  local pos = redis.call('ZRANK', T .. 'w:' .. e.q, eid)
  local orig = redis.call('HGET', T .. 'e:' .. eid, 'op') or ''
  dropEntry(eid, e)
  log('EXITCALLBACK', e.q, e.uuid, '', { position = pos and (pos + 1) or 0, origposition = orig,
    waittime = math.floor((now - e.joined) / 1000), reason = why, number = e.cb, attempts = e.cba })
  stat('q', e.q, 'exited', 1)
end

-- The max age of a callback entry: it leaves unless it is connected (the call goes on).
local function callbackExpired(eid)
  local e = loadEntry(eid)
  if not e or not e.cb or e.st == 'connected' then return end
  dropCallback(eid, e, 'max-age')
end

local function callbackFailed(uuid, nextUuid, reason)
  local ref = redis.call('HGET', UUIDS, uuid)
  if not ref or string.sub(ref, 1, 2) ~= 'e:' then return { ok = -4, err = 'no callback with uuid ' .. uuid } end
  local eid = string.sub(ref, 3)
  local e = loadEntry(eid)
  if not e or not e.cb or e.st ~= 'connected' then return { ok = -4, err = 'no connected callback with uuid ' .. uuid } end
  local a = redis.call('HGET', T .. 'e:' .. eid, 'agent')
  local ak = T .. 'a:' .. a
  local ar = redis.call('HMGET', ak, 'call', 'node')
  if ar[1] and ar[1] ~= '' then
    redis.call('HDEL', UUIDS, ar[1])
    redis.call('HDEL', T .. 'n:' .. (ar[2] or ''), ar[1])
  end
  local tries = e.cba + 1
  redis.call('HSET', T .. 'e:' .. eid, 'cba', tries, 'agent', '')
  e.cba = tries
  log('CALLBACKNOANSWER', e.q, uuid, a, { attempt = tries, reason = reason, number = e.cb })
  -- The agent answered and waited for the customer: no no-answer count, no delay.
  if redis.call('HGET', ak, 'entry') == eid then freeAgent(a, now) end
  local cb = cbconf(qconf(e.q))
  if tries > cb.retries or now >= e.cbat + cb.maxAgeSec * 1000 then
    dropCallback(eid, e, tries > cb.retries and 'no-answer' or 'max-age')
    return { ok = 1, dropped = true }
  end
  redis.call('HDEL', UUIDS, uuid)
  local nb = now + cb.retryDelaySec * 1000
  redis.call('HSET', T .. 'e:' .. eid, 'uuid', nextUuid, 'st', 'waiting', 'nb', nb)
  redis.call('HSET', UUIDS, nextUuid, 'e:' .. eid)
  redis.call('ZADD', T .. 'w:' .. e.q, e.score, eid)
  if nb > now then wakeQueue(e.q, nb) else want(e.q) end
  return { ok = 1, dropped = false }
end

local function timers(limit)
  local due = redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, limit)
  for _, m in ipairs(due) do
    redis.call('ZREM', TIMERS, m)
    local kind, id = string.sub(m, 1, 1), string.sub(m, 3)
    if kind == 'o' then
      failOffer(id, nil, 'timeout')
    elseif kind == 'x' then
      exitCheck(id, 'timeout')
    elseif kind == 'y' then
      exitCheck(id, 'empty')
    elseif kind == 'p' then
      progress(id)
    elseif kind == 'q' then
      want(id)
    elseif kind == 'k' then
      callbackExpired(id)
    elseif kind == 'a' then
      local st = redis.call('HGET', T .. 'a:' .. id, 'st')
      if st == 'wrap-up' then
        countWrap(id)
        freeAgent(id, now)
      elseif st == 'available' then
        wantAgent(id)
      end
    end
  end
  out.due = #due
  return out
end

local res
if op == 'enqueue' then
  res = enqueue(ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], tonumber(ARGV[13]), ARGV[14], ARGV[15])
elseif op == 'dispatch' then
  for i = 8, #ARGV do want(ARGV[i]) end
elseif op == 'accept' then
  res = accept(ARGV[8], ARGV[9], ARGV[10], ARGV[11])
elseif op == 'fail' then
  if not failOffer(ARGV[8], ARGV[9], ARGV[10]) then res = { ok = -1, err = 'unknown or stale offer ' .. ARGV[8] } end
elseif op == 'leave' then
  local found, exit = leave(ARGV[8], ARGV[9], ARGV[10])
  if not found then
    res = { ok = -4, err = 'no caller with uuid ' .. ARGV[8] }
  else
    res = { ok = 1, exit = exit or cjson.null }
  end
elseif op == 'callback' then
  res = requestCallback(ARGV[8], ARGV[9], ARGV[10])
elseif op == 'cb-failed' then
  res = callbackFailed(ARGV[8], ARGV[9], ARGV[10])
elseif op == 'end' then
  if not endCall(ARGV[8], ARGV[9]) then res = { ok = -4, err = 'no connected call with uuid ' .. ARGV[8] } end
elseif op == 'agent-state' then
  res = agentState(ARGV[8], ARGV[9], ARGV[10])
elseif op == 'timers' then
  timers(tonumber(ARGV[8]))
elseif op == 'reap' then
  local node, listedAt = ARGV[8], tonumber(ARGV[9])
  local callers, agents = 0, 0
  local nk = T .. 'n:' .. node
  for i = 10, #ARGV do
    local uuid = ARGV[i]
    local since = tonumber(redis.call('HGET', nk, uuid) or '')
    if since and since < listedAt then
      local ref = redis.call('HGET', UUIDS, uuid) or ''
      if string.sub(ref, 1, 2) == 'e:' then
        local eid = string.sub(ref, 3)
        local st = redis.call('HGET', T .. 'e:' .. eid, 'st')
        if st == 'connected' then
          endCall(uuid, 'caller')
          agents = agents + 1
        else
          leave(uuid, 'reaped', nil)
          for _, c in ipairs(out.cancels) do c.reason = 'reaped' end
        end
        callers = callers + 1
      elseif string.sub(ref, 1, 2) == 'a:' then
        endCall(uuid, 'agent')
        agents = agents + 1
      else
        redis.call('HDEL', nk, uuid)
      end
    end
  end
  res = { ok = 1, callers = callers, agents = agents }
elseif op == 'put-queue' then
  redis.call('HSET', QUEUES, ARGV[8], ARGV[9])
  qconfCache[ARGV[8]] = nil
  want(ARGV[8])
elseif op == 'del-queue' then
  local q = ARGV[8]
  if redis.call('HEXISTS', QUEUES, q) == 0 then
    res = { ok = -2, err = 'unknown queue ' .. q }
  elseif redis.call('ZCARD', T .. 'w:' .. q) > 0 then
    res = { ok = -6, err = 'queue ' .. q .. ' has waiting callers' }
  else
    for _, a in ipairs(redis.call('HKEYS', T .. 'qt:' .. q)) do redis.call('HDEL', T .. 'aq:' .. a, q) end
    redis.call('DEL', T .. 'qt:' .. q, T .. 'rr:' .. q, T .. 'av:' .. q)
    redis.call('HDEL', QUEUES, q)
  end
elseif op == 'put-agent' then
  local a = ARGV[8]
  redis.call('HSET', AGENTS, a, ARGV[9])
  local conf = cjson.decode(ARGV[9])
  local ak = T .. 'a:' .. a
  if redis.call('EXISTS', ak) == 0 then
    redis.call('HSET', ak, 'st', 'logged-out', 'since', now, 'ready', now, 'idle', now, 'calls', 0, 'talk', 0, 'na', 0)
  end
  redis.call('HSET', ak, 'sk', cjson.encode(conf.skills), 'reg', ARGV[10])
  if redis.call('HGET', ak, 'st') == 'available' then wantAgent(a) end
elseif op == 'del-agent' then
  local a = ARGV[8]
  local st = redis.call('HGET', T .. 'a:' .. a, 'st')
  if not st and redis.call('HEXISTS', AGENTS, a) == 0 then
    res = { ok = -3, err = 'unknown agent ' .. a }
  elseif st and st ~= 'logged-out' then
    res = { ok = -6, err = 'agent ' .. a .. ' is ' .. st .. '; log it out first' }
  else
    for _, q in ipairs(agentQueues(a)) do redis.call('HDEL', T .. 'qt:' .. q, a) end
    redis.call('DEL', T .. 'aq:' .. a, T .. 'a:' .. a)
    redis.call('HDEL', AGENTS, a)
  end
elseif op == 'put-tier' then
  local q, a = ARGV[8], ARGV[9]
  if redis.call('HEXISTS', QUEUES, q) == 0 then
    res = { ok = -2, err = 'unknown queue ' .. q }
  elseif redis.call('HEXISTS', AGENTS, a) == 0 then
    res = { ok = -3, err = 'unknown agent ' .. a }
  else
    local v = math.floor(tonumber(ARGV[10])) .. ':' .. math.floor(tonumber(ARGV[11]))
    redis.call('HSET', T .. 'qt:' .. q, a, v)
    redis.call('HSET', T .. 'aq:' .. a, q, v)
    if redis.call('HGET', T .. 'a:' .. a, 'st') == 'available' then redis.call('SADD', T .. 'av:' .. q, a) end
    want(q)
  end
elseif op == 'del-tier' then
  local q, a = ARGV[8], ARGV[9]
  if redis.call('HDEL', T .. 'qt:' .. q, a) == 0 then
    res = { ok = -5, err = 'agent ' .. a .. ' is not in queue ' .. q }
  end
  redis.call('HDEL', T .. 'aq:' .. a, q)
  redis.call('SREM', T .. 'av:' .. q, a)
else
  return redis.error_reply('acd-engine: unknown operation ' .. tostring(op))
end

flush()
if res then
  for k, v in pairs(res) do out[k] = v end
end
local head = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')[2]
if head and (headBefore == nil or tonumber(head) < tonumber(headBefore)) then
  redis.call('PUBLISH', T .. 'wake', head)
end
out.next = head and tonumber(head) or cjson.null
return cjson.encode(out)
