-- Holds a request while its backend has no server up, for at most max_ms. One-job workers
-- leave the rotation as their jobs end and their replacements take seconds to start; in that
-- moment HAProxy would answer 503 at once, where the request can as well wait for the next
-- worker. Requests already queued wait anyway; this is for those that arrive then.
core.register_action("await-worker", { "http-req" }, function(txn, backend, max_ms)
  local limit = tonumber(max_ms)
  local waited = 0
  while txn.f:nbsrv(backend) == 0 and waited < limit do
    core.msleep(100)
    waited = waited + 100
  end
end, 2)
