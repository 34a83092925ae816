--[[
  Replaces what one node is known to hold with what it reports (`show registrations
  as json`), atomically: after an ESL reconnect or a freecti restart.
  KEYS[1] seed hash of registrations: field -> event JSON
  KEYS[2] set of the registrations of this node: members JSON [field, call-id]
  KEYS[3] lease of the node (fencing: only its holder writes)
  KEYS[4] recently removed registrations of this node (zset written by registration-remove-6.lua)
  KEYS[5..] contacts hash of each field in ARGV[2], in that order (call-id -> contact JSON)
  ARGV[1] node name
  ARGV[2] JSON array of the fields whose contacts hashes follow KEYS[4]: every field of
          a listed row and of a member of KEYS[2] (the caller reads KEYS[2] first)
  ARGV[3] JSON array of listed registrations: [{"f": field, "c": call-id, "u": contact URI, "v": contact value JSON, "e": event JSON}]
  ARGV[4] lease token; '' = no fencing (tests, tools)
  ARGV[5] now (ms)
  Returns: {removed, added, skipped}, or the error FREECTI_RECONCILE_KEYS (no state
  written; only expired entries of KEYS[4] trimmed) when a field it must touch has no key in KEYS (KEYS[2] changed since the
  caller read it): the caller reads again and retries.
  A listed row whose Call-ID or contact URI was removed by a sofia::unregister / expire
  less than the remembered time ago is skipped (not live): FreeSWITCH sends the event
  before its `registrations` row is deleted, so a listing taken right after the event
  still shows it. Contacts this node no longer reports (or only in skipped rows) are
  removed (only when this node holds them); reported ones not yet known are added with a
  synthesized event JSON; known ones keep their original sofia::register JSON.
]]
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[4] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local node = ARGV[1]
local contactsKey = {}
for i, field in ipairs(cjson.decode(ARGV[2])) do contactsKey[field] = KEYS[4 + i] end
local now = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local function gone(kind, field, value)
  return type(value) == 'string' and value ~= '' and redis.call('ZSCORE', KEYS[4], cjson.encode({ kind, field, value }))
end
local live, skipped = {}, 0
for _, row in ipairs(cjson.decode(ARGV[3])) do
  if gone('c', row.f, row.c) or gone('u', row.f, row.u) then
    skipped = skipped + 1
  else
    live[cjson.encode({ row.f, row.c })] = row
  end
end

local members = redis.call('SMEMBERS', KEYS[2])
local memberPairs = {}
for _, member in ipairs(members) do
  local ok, pair = pcall(cjson.decode, member)
  if ok and type(pair) == 'table' and pair[1] and pair[2] then
    if not contactsKey[pair[1]] then return redis.error_reply('FREECTI_RECONCILE_KEYS') end
    memberPairs[member] = pair
  end
end
for _, row in pairs(live) do
  if not contactsKey[row.f] then return redis.error_reply('FREECTI_RECONCILE_KEYS') end
end

local function refresh(field)
  local all = redis.call('HGETALL', contactsKey[field])
  local best, bestX = nil, -1
  for i = 1, #all, 2 do
    local ok, entry = pcall(cjson.decode, all[i + 1])
    if ok and type(entry) == 'table' and tonumber(entry.x or 0) > bestX then
      best, bestX = entry.e, tonumber(entry.x or 0)
    end
  end
  if best then redis.call('HSET', KEYS[1], field, best) else redis.call('HDEL', KEYS[1], field) end
end

local removed, added = 0, 0
for _, member in ipairs(members) do
  if not live[member] then
    local pair = memberPairs[member]
    redis.call('SREM', KEYS[2], member)
    if pair then
      local raw = redis.call('HGET', contactsKey[pair[1]], pair[2])
      if raw then
        local okEntry, entry = pcall(cjson.decode, raw)
        if (not okEntry) or type(entry) ~= 'table' or entry.n == node then
          redis.call('HDEL', contactsKey[pair[1]], pair[2])
          removed = removed + 1
        end
      end
      refresh(pair[1])
    end
  end
end

for member, row in pairs(live) do
  local raw = redis.call('HGET', contactsKey[row.f], row.c)
  local keep = false
  if raw then
    local ok, entry = pcall(cjson.decode, raw)
    keep = ok and type(entry) == 'table' and entry.n == node
  end
  if not keep then
    redis.call('HSET', contactsKey[row.f], row.c, row.v)
    added = added + 1
  end
  redis.call('SADD', KEYS[2], member)
  refresh(row.f)
end
return { removed, added, skipped }
