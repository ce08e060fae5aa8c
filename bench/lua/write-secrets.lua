-- wrk script: POST /v1/vault/secrets, every request a new key, spread over identities
-- $AV_IDENTITY_PREFIX000 .. (AV_IDENTITIES of them; they must exist). Prints "created=N failed=M duration_us=D"
-- at the end. Environment:
--   AV_TOKEN (organization API key), AV_KEY_PREFIX (unique per run), AV_IDENTITY_PREFIX, AV_IDENTITIES
--
-- Kept cheap on purpose, because wrk shares the machine's two cores with the server: the request's fixed part
-- (request line and headers) is built once, the identities' names are computed once, and there is no response()
-- function (with one, wrk parses every response's headers into a Lua table and calls into Lua for each). The
-- counts come from wrk's own summary instead: every completed response with a status below 400 is a create (the
-- endpoint answers 201), every other one a failure (wrk's status errors), plus its socket errors and timeouts.
local token = os.getenv("AV_TOKEN")
if token == nil or token == "" then
  error("set AV_TOKEN")
end
local key_prefix = os.getenv("AV_KEY_PREFIX") or "W"
local identity_prefix = os.getenv("AV_IDENTITY_PREFIX") or "bench_"
local identities = tonumber(os.getenv("AV_IDENTITIES") or "100")
local value = "sk-bench-" .. string.rep("0123456789abcdef", 4)
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

-- setup() runs in the main Lua state, once per thread, before the threads start.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Per-thread state (each thread has its own Lua state; tid is set by setup above).
local counter = 0
local head, names, body_start, body_mid, body_end

function init(args)
  -- wrk.format without a body ends the headers with an empty line; drop it and add Content-Length per request
  local fixed = wrk.format("POST", "/v1/vault/secrets", headers)
  head = string.sub(fixed, 1, -3) .. "Content-Length: "
  names = {}
  for i = 0, identities - 1 do
    names[i] = string.format("%s%03d", identity_prefix, i)
  end
  body_start = '{"identityId":"'
  body_mid = '","key":"' .. key_prefix .. "_" .. tid .. "_"
  body_end = '","value":"' .. value .. '","type":"api_key"}'
end

function request()
  counter = counter + 1
  local body = body_start .. names[counter % identities] .. body_mid .. counter .. body_end
  return head .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, requests)
  local e = summary.errors
  local failed = e.status + e.connect + e.read + e.write + e.timeout
  io.write(string.format("created=%d failed=%d duration_us=%d\n", summary.requests - e.status, failed,
    summary.duration))
end
