--[[
  A registration (sofia::register) is stored.
  KEYS[1] seed hash of registrations (e.g. `registrations`): field -> event JSON
  KEYS[2] contacts hash of this field: call-id -> JSON {n = node, d = domain, x = expires at (ms), e = event JSON, k = contact, u = contact URI, a = network address}
  KEYS[3] set of the registrations of this node: members JSON [field, call-id]
  KEYS[4] seed list (LPUSH + LTRIM) or any key name when ARGV[7] is '0'
  KEYS[5] lease of the node (fencing: only its holder writes)
  KEYS[6] recently removed registrations of this node (zset, see registration-remove-6.lua):
          the device registers again, so a reconcile must not skip it any more
  ARGV[1] field (extension or extension@domain)
  ARGV[2] call-id
  ARGV[3] contact value JSON {n, d, x, e, k, u, a}
  ARGV[4] event JSON (seed value, published and pushed as is)
  ARGV[5] now (ms): contacts that expired before it are dropped
  ARGV[6] PUBLISH channel ('' = none)
  ARGV[7] '1' = push to KEYS[4], '0' = no list
  ARGV[8] list length bound (LTRIM 0 n-1)
  ARGV[9] lease token; '' = no fencing (tests, tools)
  ARGV[10] contact URI (user@host:port, '' = none)
  ARGV[11] node name
  ARGV[12] domain of the registration
  ARGV[13] network address of the registration (ip:port, '' = unknown)
  Dropped before the contact is stored: contacts that expired before ARGV[5], and contacts
  this REGISTER supersedes: same node, same domain, same contact URI and same network address
  (the source the REGISTER came from: two devices behind NAT may send the same private
  Contact, which FreeSWITCH keeps apart by the fs_nat/fs_path it adds), another Call-ID.
  FreeSWITCH keeps one row per user and contact: with `multiple-registrations` off (the
  default) a REGISTER deletes every row of the user, with `contact`/`true` every row of the
  user with the same contact (sofia_reg.c, sofia_reg_handle_register_token); only
  `multiple-registrations=call-id` keeps rows of one contact under several Call-IDs, and
  max-registrations-per-extension counts those as one device anyway (same source address);
  in that mode an unREGISTER of one of those Call-IDs removes the device's one contact here
  until its next REGISTER.
  So a device that re-REGISTERs with a new Call-ID (after a reboot; sipp does it on every
  call) is one contact here, as in FreeSWITCH, and the hash stays one entry per device.
  Returns: number of live contacts of this field after the change.
]]
if ARGV[9] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[9] then
  return redis.error_reply('FREECTI_NOT_LEASE_HOLDER')
end
local now = tonumber(ARGV[5])
local uri, node, domain, network = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[2] then
    local ok, entry = pcall(cjson.decode, all[i + 1])
    if not ok or type(entry) ~= 'table' or tonumber(entry.x or 0) < now then
      redis.call('HDEL', KEYS[2], all[i])
    elseif uri ~= '' and network ~= '' and entry.u == uri and entry.a == network and entry.n == node and entry.d == domain then
      redis.call('HDEL', KEYS[2], all[i])
      redis.call('SREM', KEYS[3], cjson.encode({ ARGV[1], all[i] }))
    end
  end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], cjson.encode({ ARGV[1], ARGV[2] }))
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZREM', KEYS[6], cjson.encode({ 'c', ARGV[1], ARGV[2] }))
if ARGV[10] ~= '' then
  redis.call('ZREM', KEYS[6], cjson.encode({ 'u', ARGV[1], ARGV[10] }))
end
if ARGV[7] == '1' then
  redis.call('LPUSH', KEYS[4], ARGV[4])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[8]) - 1)
end
if ARGV[6] ~= '' then
  redis.call('PUBLISH', ARGV[6], ARGV[4])
end
return redis.call('HLEN', KEYS[2])
