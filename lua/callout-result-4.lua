--[[
  Records one number's outcome: appended to the outcome list, counted, and the number is
  no longer being dialled.
  KEYS[1] runner lease (value = holder token)
  KEYS[2] campaign record (hash, see callout-create-3.lua)
  KEYS[3] numbers being dialled (hash: index -> JSON)
  KEYS[4] outcomes (list of JSON {number, outcome, cause?, uuid, dialledAt?, at})
  ARGV[1] holder token
  ARGV[2] the number's index
  ARGV[3] outcome (answered, busy, no-answer, failed, cancelled)
  ARGV[4] result JSON
  ARGV[5] '1': the number was never dialled (it is the record's `next`, which advances);
          '0': it was being dialled (its entry in KEYS[3] must be there)
  Returns: the outcome's position in the list (1-based); 0 the lease is not the caller's,
  or the number is not the one this step is about (nothing written).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[5] == '1' then
  if redis.call('HGET', KEYS[2], 'next') ~= ARGV[2] then
    return 0
  end
  redis.call('HSET', KEYS[2], 'next', tonumber(ARGV[2]) + 1)
elseif redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return redis.call('RPUSH', KEYS[4], ARGV[4])
