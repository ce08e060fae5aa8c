-- wrk script: GET with "Authorization: Bearer $AV_TOKEN" (the token stays out of the process list).
local token = os.getenv("AV_TOKEN")
if token == nil or token == "" then
  error("set AV_TOKEN")
end
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
