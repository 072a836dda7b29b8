-- wrk script: POST /embed {"texts": [32 sentences]}, cycling through the JSON
-- bodies (one per line) in the file given after "--".
local bodies = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/embed", {["Content-Type"] = "application/json"}, bodies[i])
end

function response(status, headers, body)
  if status ~= 200 then
    error("status " .. status .. ": " .. body)
  end
end
