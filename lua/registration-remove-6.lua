--[[
  A registration ended (sofia::unregister or sofia::expire).
  KEYS[1] seed hash of registrations: field -> event JSON
  KEYS[2] contacts hash of this field: call-id -> JSON {n, d, x, e, k}
  KEYS[3] set of the registrations of this node: members JSON [field, call-id]
  KEYS[4] seed list or any key name when ARGV[6] is '0'
  KEYS[5] lease of the node (fencing: only its holder writes)
  ARGV[1] field
  ARGV[2] call-id
  ARGV[3] node name: the contact is only removed when this node holds it
  ARGV[4] event JSON (published and pushed)
  ARGV[5] PUBLISH channel ('' = none)
  ARGV[6] '1' = push to KEYS[4]
  ARGV[7] list length bound
  ARGV[8] lease token; '' = no fencing (tests, tools)
  ARGV[9] contact of the event: when no contact has the Call-ID (FreeSWITCH without
          multiple registrations unregisters a device whatever Call-ID it uses), the
          node's contacts of this field and domain with the same contact are removed
  ARGV[10] domain
  Returns: the number of contacts removed; 0 when none matched (still published; the
  caller then reconciles the node with what FreeSWITCH reports).
  The seed field is deleted when the field has no contact left; otherwise it shows the
  remaining contact that expires last.
]]
if ARGV[8] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[8] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local removed = 0
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if raw then
  local ok, entry = pcall(cjson.decode, raw)
  if (not ok) or type(entry) ~= 'table' or entry.n == ARGV[3] then
    redis.call('HDEL', KEYS[2], ARGV[2])
    removed = 1
  end
  redis.call('SREM', KEYS[3], cjson.encode({ ARGV[1], ARGV[2] }))
elseif ARGV[9] ~= '' then
  local contacts = redis.call('HGETALL', KEYS[2])
  for i = 1, #contacts, 2 do
    local ok, entry = pcall(cjson.decode, contacts[i + 1])
    if ok and type(entry) == 'table' and entry.n == ARGV[3] and entry.d == ARGV[10] and entry.k == ARGV[9] then
      redis.call('HDEL', KEYS[2], contacts[i])
      redis.call('SREM', KEYS[3], cjson.encode({ ARGV[1], contacts[i] }))
      removed = removed + 1
    end
  end
end
local all = redis.call('HGETALL', KEYS[2])
local best, bestX = nil, -1
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if ok and type(entry) == 'table' and tonumber(entry.x or 0) > bestX then
    best, bestX = entry.e, tonumber(entry.x or 0)
  end
end
if best then
  redis.call('HSET', KEYS[1], ARGV[1], best)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
if ARGV[6] == '1' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[7]) - 1)
end
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], ARGV[4])
end
return removed
