--[[
  One channel event changes an extension's call record (seed 001 "gui.call"):
  {"username", "current": uuid, "notify": callin|callout|answer|hangup,
   "<uuid>": {fields}, "activity": [live uuids]}
  KEYS[1] seed calls hash (e.g. `calls`): field -> record JSON
  KEYS[2] set of the live calls of this node: members JSON [field, uuid]
  KEYS[3] seed list or any key name when ARGV[7] is '0'
  KEYS[4] lease of the node (fencing: only its holder writes)
  ARGV[1] field (extension or extension@domain)
  ARGV[2] username (the extension)
  ARGV[3] uuid
  ARGV[4] notify: callin | callout | answer | hangup
  ARGV[5] fields JSON object (merged into the uuid's entry)
  ARGV[6] PUBLISH channel ('' = none)
  ARGV[7] '1' = push to KEYS[3]
  ARGV[8] list length bound
  ARGV[9] lease token; '' = no fencing (tests, tools)
  ARGV[10] after the last live call ends: 'keep' (seed 001: the record stays with
           current = the ended call, notify = hangup, activity = []) or 'delete' (HDEL)
  Returns: number of live calls of the field afterwards, or -1 when a hangup found no record.
  The record holds the entries of its live calls and of `current` (an ended call's
  entry stays while it is current, so a reader of current finds its fields); every
  other ended call's entry is dropped. The published/pushed message is the record as
  it was changed (for a hangup: with the ended call's fields).
]]
if ARGV[9] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[9] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local field, uuid, notify = ARGV[1], ARGV[3], ARGV[4]
local member = cjson.encode({ field, uuid })
local raw = redis.call('HGET', KEYS[1], field)
local record = nil
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' then record = decoded end
end
if record == nil then
  if notify == 'hangup' then
    redis.call('SREM', KEYS[2], member)
    return -1
  end
  record = { username = ARGV[2], activity = {} }
end
if type(record.activity) ~= 'table' then record.activity = {} end

local entry = record[uuid]
if type(entry) ~= 'table' then entry = {} end
for k, v in pairs(cjson.decode(ARGV[5])) do entry[k] = v end
record[uuid] = entry
record.current = uuid
record.notify = notify

local activity = {}
local live = {}
for _, u in ipairs(record.activity) do
  if u ~= uuid then
    table.insert(activity, u)
    live[u] = true
  end
end
if notify ~= 'hangup' then
  table.insert(activity, uuid)
  live[uuid] = true
end
record.activity = activity
-- Entries are the table values other than `activity`: keep the live ones and current.
for k, v in pairs(record) do
  if type(v) == 'table' and k ~= 'activity' and k ~= uuid and not live[k] then record[k] = nil end
end

local function encode(r)
  local json = cjson.encode(r)
  if #r.activity == 0 then json = string.gsub(json, '"activity":{}', '"activity":[]') end
  return json
end

local message = encode(record)
if notify == 'hangup' then
  redis.call('SREM', KEYS[2], member)
  if #activity == 0 and ARGV[10] == 'delete' then
    redis.call('HDEL', KEYS[1], field)
  else
    redis.call('HSET', KEYS[1], field, message)
  end
else
  redis.call('SADD', KEYS[2], member)
  redis.call('HSET', KEYS[1], field, message)
end
if ARGV[7] == '1' then
  redis.call('LPUSH', KEYS[3], message)
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[8]) - 1)
end
if ARGV[6] ~= '' then
  redis.call('PUBLISH', ARGV[6], message)
end
return #activity
