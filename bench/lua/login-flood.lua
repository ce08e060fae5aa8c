-- wrk script: POST /v1/auth/login with a wrong password, a different (unknown) username per request,
-- so each request costs one Argon2id verification (the decoy hash) unless the throttle answers first.
local org = os.getenv("AV_ORG") or "default"
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = string.format('{"organizationId":"%s","username":"flood-%d-%d","password":"wrong password %d"}',
    org, math.random(1, 1000000), counter, counter)
  return wrk.format(nil, "/v1/auth/login", nil, body)
end
