--[[
  A new runner took the lease of a campaign whose runner died: every number the dead
  runner was dialling ends `failed` with cause RUNNER_LOST (its call may have been
  answered; its outcome is unknown, and it is never dialled again).
  KEYS[1] runner lease (value = holder token)
  KEYS[2] campaign record (hash, see callout-create-3.lua)
  KEYS[3] numbers being dialled (hash: index -> JSON {uuid, number, dialledAt})
  KEYS[4] outcomes (list of JSON)
  ARGV[1] holder token
  ARGV[2] now (ms epoch)
  Returns: the outcome JSONs written (in index order); an error when the lease is not
  the caller's.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('ERR callout lease lost')
end
local flat = redis.call('HGETALL', KEYS[3])
local entries = {}
for i = 1, #flat, 2 do
  entries[#entries + 1] = { tonumber(flat[i]), flat[i + 1] }
end
table.sort(entries, function(a, b) return a[1] < b[1] end)
local written = {}
for _, entry in ipairs(entries) do
  local ok, d = pcall(cjson.decode, entry[2])
  if not ok or type(d) ~= 'table' then d = {} end
  local result = cjson.encode({ number = d.number or '', outcome = 'failed', cause = 'RUNNER_LOST', uuid = d.uuid or '', dialledAt = d.dialledAt, at = tonumber(ARGV[2]) })
  redis.call('RPUSH', KEYS[4], result)
  written[#written + 1] = result
end
if #entries > 0 then
  redis.call('HINCRBY', KEYS[2], 'failed', #entries)
  redis.call('DEL', KEYS[3])
end
return written
