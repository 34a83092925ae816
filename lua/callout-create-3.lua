--[[
  Creates an nwaycallout campaign (src/callout/campaign.ts): its record, its numbers and
  its runner lease, in one step (no campaign is ever seen without its numbers).
  KEYS[1] campaign record (hash: campaign = JSON {id, request without numbers, createdAt},
          state, next, answered, busy, no-answer, failed, cancelled)
  KEYS[2] numbers (list, in dialling order)
  KEYS[3] runner lease (value = holder token)
  ARGV[1] holder token
  ARGV[2] lease time to live (ms)
  ARGV[3] campaign JSON
  ARGV[4..] the numbers
  Returns: the number of numbers stored; an error when the campaign exists already.
]]
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('ERR callout campaign exists')
end
for i = 4, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HSET', KEYS[1], 'campaign', ARGV[3], 'state', 'running', 'next', 0,
  'answered', 0, 'busy', 0, 'no-answer', 0, 'failed', 0, 'cancelled', 0)
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
return #ARGV - 3
