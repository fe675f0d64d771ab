-- GET /api/SecureBooks/:id with an id drawn at random from the 1,000 seeded books.
-- The same sequence of ids for every run: each wrk thread seeds its own generator.
local thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

function init(args)
  math.randomseed(seed or 1)
end

function request()
  return wrk.format("GET", "/api/SecureBooks/" .. math.random(1, 1000))
end
