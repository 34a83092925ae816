--[[
  Marks the campaign's next number as being dialled, before its originate is sent (so a
  runner that dies after this point never has the number dialled twice: a takeover ends
  it RUNNER_LOST).
  KEYS[1] runner lease (value = holder token)
  KEYS[2] campaign record (hash, see callout-create-3.lua)
  KEYS[3] numbers being dialled (hash: number index -> JSON {uuid, number, dialledAt})
  ARGV[1] holder token
  ARGV[2] the number's index (must be the record's `next`)
  ARGV[3] JSON {uuid, number, dialledAt}
  Returns: 1 marked (next advanced), 0 the lease is not the caller's or `next` moved.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call('HGET', KEYS[2], 'next') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], 'next', tonumber(ARGV[2]) + 1)
return 1
