/// The queue's Lua scripts. Each makes one state transition atomic (see JobStates.md); Redis
/// runs a script without interleaving other commands, so no reader sees half a transition.
enum QueueScripts {
    /// Enqueue: record + stream entry + dedup key + event, unless an equal job is in flight.
    /// KEYS: stream, job hash, dedup key ("" for none), events channel
    /// ARGV: job id, type, params, now ms, max stream length, dedup ttl s
    /// Returns {job id, 1 if an existing job was returned}.
    static let enqueue = RedisScript("""
        if KEYS[3] ~= '' then
          local existing = redis.call('GET', KEYS[3])
          if existing then return {existing, 1} end
        end
        redis.call('HSET', KEYS[2], 'type', ARGV[2], 'params', ARGV[3], 'status', 'queued', 'attempts', 0,
                   'progress', 0, 'created_at', ARGV[4], 'dedup', KEYS[3])
        local entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'job', ARGV[1])
        if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[6]) end
        redis.call('PUBLISH', KEYS[4], '{"status":"queued","progress":0}')
        return {ARGV[1], 0}
        """)

    /// Start: count the attempt; past the limit, dead-letter instead of running.
    /// KEYS: stream, job hash, events channel, dead letters
    /// ARGV: entry id, group, now ms, max attempts, record ttl s, job id
    /// Returns {"run", type, params, attempts}, {"dead", error} (dead-lettered now) or {"gone"} (no record: acked and dropped).
    static let start = RedisScript("""
        if redis.call('EXISTS', KEYS[2]) == 0 then
          redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
          redis.call('XDEL', KEYS[1], ARGV[1])
          return {'gone'}
        end
        local attempts = redis.call('HINCRBY', KEYS[2], 'attempts', 1)
        if attempts > tonumber(ARGV[4]) then
          local last = redis.call('HGET', KEYS[2], 'error') or 'the worker running it stopped (crash or kill) every time'
          local message = 'gave up after ' .. (attempts - 1) .. ' attempts; last error: ' .. last
          redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10000, '*', 'job', ARGV[6], 'type', redis.call('HGET', KEYS[2], 'type'),
                     'attempts', attempts - 1, 'error', message, 'at', ARGV[3])
          redis.call('HSET', KEYS[2], 'status', 'failed', 'error', message, 'finished_at', ARGV[3], 'attempts', attempts - 1)
          redis.call('EXPIRE', KEYS[2], ARGV[5])
          local dedup = redis.call('HGET', KEYS[2], 'dedup')
          if dedup and dedup ~= '' then redis.call('DEL', dedup) end
          redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
          redis.call('XDEL', KEYS[1], ARGV[1])
          redis.call('PUBLISH', KEYS[3], cjson.encode({status = 'failed', error = message}))
          return {'dead', message}
        end
        redis.call('HSET', KEYS[2], 'status', 'running', 'started_at', ARGV[3])
        redis.call('PUBLISH', KEYS[3], cjson.encode({status = 'running', attempts = attempts}))
        local job = redis.call('HMGET', KEYS[2], 'type', 'params')
        return {'run', job[1], job[2], attempts}
        """)

    /// Finish: write the outcome and acknowledge in one step.
    /// KEYS: stream, job hash, events channel
    /// ARGV: entry id, group, status (done|failed|timeout), field (result|error), value, now ms, record ttl s
    static let finish = RedisScript("""
        redis.call('HSET', KEYS[2], 'status', ARGV[3], ARGV[4], ARGV[5], 'finished_at', ARGV[6])
        if ARGV[3] == 'done' then redis.call('HSET', KEYS[2], 'progress', 1) end
        redis.call('EXPIRE', KEYS[2], ARGV[7])
        local dedup = redis.call('HGET', KEYS[2], 'dedup')
        if dedup and dedup ~= '' then redis.call('DEL', dedup) end
        redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
        redis.call('XDEL', KEYS[1], ARGV[1])
        local event = {status = ARGV[3]}
        event[ARGV[4]] = ARGV[5]
        redis.call('PUBLISH', KEYS[3], cjson.encode(event))
        return 1
        """)

    /// Retry later: note the error, park the job in the delayed set, acknowledge the entry.
    /// KEYS: stream, job hash, events channel, delayed set
    /// ARGV: entry id, group, error, due ms, job id
    static let retry = RedisScript("""
        redis.call('HSET', KEYS[2], 'status', 'queued', 'error', ARGV[3])
        redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
        redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
        redis.call('XDEL', KEYS[1], ARGV[1])
        redis.call('PUBLISH', KEYS[3], cjson.encode({status = 'queued', retry_at = tonumber(ARGV[4]), error = ARGV[3]}))
        return 1
        """)

    /// Release (graceful shutdown): give the attempt back and requeue at once.
    /// KEYS: stream, job hash, events channel
    /// ARGV: entry id, group, job id, max stream length
    static let release = RedisScript("""
        redis.call('HINCRBY', KEYS[2], 'attempts', -1)
        redis.call('HSET', KEYS[2], 'status', 'queued')
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'job', ARGV[3])
        redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
        redis.call('XDEL', KEYS[1], ARGV[1])
        redis.call('PUBLISH', KEYS[3], '{"status":"queued"}')
        return 1
        """)

    /// Promote due retries from the delayed set to the stream; removal and re-adding happen
    /// together, so a due job is neither lost nor queued twice.
    /// KEYS: delayed set, stream
    /// ARGV: now ms, max stream length, batch size
    static let promote = RedisScript("""
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
        for _, id in ipairs(due) do
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'job', id)
          redis.call('ZREM', KEYS[1], id)
        end
        return #due
        """)
}
