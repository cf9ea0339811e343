
-- As an EVALSHA script (servers without Redis Functions): the code above
-- runs on every call. Redis before 5 refuses writes after TIME unless
-- effects are replicated.
if redis.replicate_commands then redis.replicate_commands() end
return run(KEYS, ARGV[1])
