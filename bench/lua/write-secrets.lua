-- wrk script: POST /v1/vault/secrets, every request a new key, spread over identities
-- $AV_IDENTITY_PREFIX000 .. (AV_IDENTITIES of them; they must exist). Counts 201s per thread and
-- prints "created=N failed=M duration_us=D" at the end. Environment:
--   AV_TOKEN (organization API key), AV_KEY_PREFIX (unique per run), AV_IDENTITY_PREFIX, AV_IDENTITIES
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
counter = 0
created = 0
failed = 0

function request()
  counter = counter + 1
  local identity = string.format("%s%03d", identity_prefix, counter % identities)
  local body = string.format('{"identityId":"%s","key":"%s_%d_%d","value":"%s","type":"api_key"}',
    identity, key_prefix, tid, counter, value)
  return wrk.format("POST", "/v1/vault/secrets", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    failed = failed + 1
    if failed == 1 then
      io.stderr:write("write-secrets.lua: first failure, status " .. status .. ": " .. body .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local c, f = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    f = f + t:get("failed")
  end
  io.write(string.format("created=%d failed=%d duration_us=%d\n", c, f, summary.duration))
end
