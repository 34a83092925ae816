--[[
  Replaces the calls one node is known to hold with what it reports (`show channels
  as json`), atomically: after an ESL reconnect or a freecti restart.
  KEYS[1] seed calls hash: field -> record JSON
  KEYS[2] set of the live calls of this node: members JSON [field, uuid]
  KEYS[3] lease of the node (fencing: only its holder writes)
  ARGV[1] JSON array of live calls: [{"f": field, "u": username, "id": uuid, "n": notify, "x": fields object}]
  ARGV[2] lease token; '' = no fencing (tests, tools)
  ARGV[3] after the last live call ends: 'keep' or 'delete' (as in call-update-4.lua)
  Returns: {removed, added}.
  Calls no longer reported are removed from their record as a hangup would: the record's
  current = the ended call, notify = hangup (with 'delete', the field goes when no live
  call is left); reported calls not yet in their record are added; known ones are left
  as they are. A record keeps the entries of its live calls and of current only.
]]
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[2] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local live = {}
for _, row in ipairs(cjson.decode(ARGV[1])) do
  live[cjson.encode({ row.f, row.id })] = row
end

local function load(field)
  local raw = redis.call('HGET', KEYS[1], field)
  if raw then
    local ok, decoded = pcall(cjson.decode, raw)
    if ok and type(decoded) == 'table' then
      if type(decoded.activity) ~= 'table' then decoded.activity = {} end
      return decoded
    end
  end
  return nil
end

local function save(field, record)
  local live = {}
  for _, u in ipairs(record.activity) do live[u] = true end
  for k, v in pairs(record) do
    if type(v) == 'table' and k ~= 'activity' and k ~= record.current and not live[k] then record[k] = nil end
  end
  if #record.activity == 0 then
    if ARGV[3] == 'delete' then
      redis.call('HDEL', KEYS[1], field)
    else
      redis.call('HSET', KEYS[1], field, (string.gsub(cjson.encode(record), '"activity":{}', '"activity":[]')))
    end
  else
    redis.call('HSET', KEYS[1], field, cjson.encode(record))
  end
end

local removed, added = 0, 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if not live[member] then
    redis.call('SREM', KEYS[2], member)
    local ok, pair = pcall(cjson.decode, member)
    if ok and type(pair) == 'table' and pair[1] and pair[2] then
      local record = load(pair[1])
      if record then
        local activity, ended = {}, false
        for _, u in ipairs(record.activity) do
          if u ~= pair[2] then table.insert(activity, u) else ended = true end
        end
        if ended then
          removed = removed + 1
          record.activity = activity
          record.current = pair[2]
          record.notify = 'hangup'
          save(pair[1], record)
        end
      end
    end
  end
end

for member, row in pairs(live) do
  local record = load(row.f) or { username = row.u, activity = {} }
  local known = false
  for _, u in ipairs(record.activity) do
    if u == row.id then known = true end
  end
  if not known then
    table.insert(record.activity, row.id)
    record[row.id] = row.x
    record.current = row.id
    record.notify = row.n
    added = added + 1
    save(row.f, record)
  end
  redis.call('SADD', KEYS[2], member)
end
return { removed, added }
