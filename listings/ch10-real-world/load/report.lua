-- wrk's done() hook: prints one machine-readable line that load_probe reads.
-- wrk's SCRIPTING file: "Duration and latency are microsecond values and
-- rate is measured in requests per second"; latency:percentile(p) takes p in %.
-- The latency histogram wrk hands to done() is already corrected for
-- coordinated omission (wg/wrk 4.1.0 src/wrk.c:168-171, src/stats.c:33) and
-- holds only answers faster than --timeout (src/wrk.c:91, 344-345).
-- ANCHOR: done
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result {\"duration_us\":%d,\"requests\":%d,\"requests_per_s\":%.1f," ..
    "\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d," ..
    "\"p50_us\":%d,\"p99_us\":%d,\"p999_us\":%d,\"max_us\":%d}\n",
    summary.duration, summary.requests,
    summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
-- ANCHOR_END: done
