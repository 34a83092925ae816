--[[
  A registration ended (sofia::unregister or sofia::expire).
  KEYS[1] seed hash of registrations: field -> event JSON
  KEYS[2] contacts hash of this field: call-id -> JSON {n, d, x, e, k, u, a}
  KEYS[3] set of the registrations of this node: members JSON [field, call-id]
  KEYS[4] seed list or any key name when ARGV[6] is '0'
  KEYS[5] lease of the node (fencing: only its holder writes)
  KEYS[6] recently removed registrations of this node: zset, member JSON ['c', field, call-id]
          or ['u', field, contact URI], score = until when (ms) a reconcile skips a listed
          row with that identity (FreeSWITCH sends the event before it deletes the row)
  ARGV[1] field
  ARGV[2] call-id
  ARGV[3] node name: a contact is only removed when this node holds it
  ARGV[4] event JSON (published and pushed)
  ARGV[5] PUBLISH channel ('' = none)
  ARGV[6] '1' = push to KEYS[4]
  ARGV[7] list length bound
  ARGV[8] lease token; '' = no fencing (tests, tools)
  ARGV[9] contact header of the event, as sent ('' = none)
  ARGV[10] JSON array of the domains the event names (domain_name, realm, host, from-host...)
  ARGV[11] contact URI of the event, normalized (user@host:port; '*' = every contact; '' = none)
  ARGV[12] network address of the event (ip:port, '' = none)
  ARGV[13] now (ms)
  ARGV[14] how long (ms) the removed identities are remembered
  Matching: the contact with the event's Call-ID; when there is none (a device may
  unREGISTER with a new Call-ID, and a contact learned from a reconcile has the Call-ID of
  the listing), every contact of this node, of this field and of one of the event's domains
  with the same contact URI, the same raw contact, or the same network address.
  Returns: the number of contacts removed; 0 when none matched (still published and
  remembered; the caller then reconciles the node with what FreeSWITCH reports).
  The seed field is deleted when the field has no contact left; otherwise it shows the
  remaining contact that expires last.
]]
if ARGV[8] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[8] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local field, node = ARGV[1], ARGV[3]
local now, ttl = tonumber(ARGV[13]), tonumber(ARGV[14])
local uri, network = ARGV[11], ARGV[12]
local okDomains, domains = pcall(cjson.decode, ARGV[10])
local domainSet = {}
if okDomains and type(domains) == 'table' then
  for _, d in ipairs(domains) do domainSet[d] = true end
end
-- Identities to remember: the event's Call-ID, and the Call-ID of every contact removed;
-- when the Call-ID matched nothing, the contact URIs too (of the event and of the contacts
-- removed): the row FreeSWITCH still lists then has another Call-ID than the event.
local forget = { { 'c', field, ARGV[2] } }

local function removeContact(callId, entry, byContact)
  redis.call('HDEL', KEYS[2], callId)
  redis.call('SREM', KEYS[3], cjson.encode({ field, callId }))
  forget[#forget + 1] = { 'c', field, callId }
  if byContact and type(entry) == 'table' and type(entry.u) == 'string' and entry.u ~= '' and entry.u ~= uri then
    forget[#forget + 1] = { 'u', field, entry.u }
  end
end

local removed = 0
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if raw then
  local ok, entry = pcall(cjson.decode, raw)
  if (not ok) or type(entry) ~= 'table' or entry.n == node then
    removeContact(ARGV[2], ok and entry or nil, false)
    removed = 1
  else
    redis.call('SREM', KEYS[3], cjson.encode({ field, ARGV[2] }))
  end
else
  if uri ~= '' and uri ~= '*' then forget[#forget + 1] = { 'u', field, uri } end
  local contacts = redis.call('HGETALL', KEYS[2])
  for i = 1, #contacts, 2 do
    local ok, entry = pcall(cjson.decode, contacts[i + 1])
    if ok and type(entry) == 'table' and entry.n == node and domainSet[entry.d] then
      local same = uri == '*'
        or (uri ~= '' and entry.u == uri)
        or (ARGV[9] ~= '' and entry.k == ARGV[9])
        or (network ~= '' and entry.a == network)
      if same then
        removeContact(contacts[i], entry, true)
        removed = removed + 1
      end
    end
  end
end

redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
for _, identity in ipairs(forget) do
  redis.call('ZADD', KEYS[6], now + ttl, cjson.encode(identity))
end
redis.call('PEXPIRE', KEYS[6], ttl)

local all = redis.call('HGETALL', KEYS[2])
local best, bestX = nil, -1
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if ok and type(entry) == 'table' and tonumber(entry.x or 0) > bestX then
    best, bestX = entry.e, tonumber(entry.x or 0)
  end
end
if best then
  redis.call('HSET', KEYS[1], field, best)
else
  redis.call('HDEL', KEYS[1], field)
end
if ARGV[6] == '1' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
end
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], ARGV[4])
end
return removed
