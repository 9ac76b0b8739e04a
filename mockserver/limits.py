"""Every bound the mock holds itself to, in one place (the README's limits table lists them).

The request body limit is the contract's (`x-contract.limits.max_body_bytes`, read through
`spec.contract()`); everything here is the mock's own: how much a client may send before the
body, how long it may take, and what the mock keeps for it.
"""

from __future__ import annotations

# -- HTTP framing (mockserver._protocol) ---------------------------------------------------

#: Longest request target (path and query): beyond it, 414 and the connection is closed.
MAX_URL_BYTES = 8 * 1024
#: Longest request head (request line and every header): beyond it, 431 and closed.
MAX_HEAD_BYTES = 32 * 1024
#: Seconds a connection may take to send a whole request (head and body), counted from the
#: connection or from its first byte after the previous answer: then 408 and closed.
REQUEST_SECONDS = 10.0
#: Seconds an idle keep-alive connection is kept after an answer.
KEEP_ALIVE_SECONDS = 5

# -- settings (mockserver.config) ----------------------------------------------------------

#: Most simulated latency, in milliseconds (a fixed value, a uniform bound, a normal draw).
MAX_LATENCY_MS = 60_000.0
#: Most seconds a queued job may take (the `eta` setting and `Prefer: eta=`).
MAX_ETA_SECONDS = 3600.0
#: Most jobs the store may be told to keep.
MAX_JOBS = 1_000_000
#: Longest job time-to-live, in seconds (30 days).
MAX_JOB_TTL_SECONDS = 30 * 24 * 3600.0
#: Largest body limit the mock may be told to accept (it buffers the body).
MAX_BODY_BYTES_SETTING = 16 * 1024 * 1024
#: Most accepted keys, and the longest one.
MAX_KEYS = 10_000
MAX_KEY_CHARS = 1024
#: Most model ids a `--models` list holds, and the longest id.
MAX_MODELS = 10_000
MAX_MODEL_CHARS = 256
#: Most webhook hosts, and the longest name.
MAX_WEBHOOK_HOSTS = 256
MAX_HOST_CHARS = 253
#: Longest `origin`.
MAX_ORIGIN_CHARS = 2048
#: Most requests per key per minute the rate limit may be set to.
MAX_RATE_LIMIT = 1_000_000
#: Deepest nesting of objects and lists a request body may have (the API's are flat): past
#: it the mock answers a validation error, and keeps no part of the body (the journal's
#: redaction walks a body it keeps, and Python's recursion ends near 1,000 levels).
MAX_BODY_DEPTH = 64

# -- what the mock keeps -------------------------------------------------------------------

#: Journal entries kept, and the bytes they may hold in all (oldest dropped first).
JOURNAL_ENTRIES = 1000
JOURNAL_BYTES = 8 * 1024 * 1024
#: Largest request body a journal record keeps (larger ones are not kept).
JOURNAL_BODY_BYTES = 4096
#: Longest `Prefer` header text kept in a journal record (the rest is cut).
JOURNAL_PREFER_CHARS = 256
#: Keys longer than this are hashed each time, never cached (the cache stays small).
REDACTION_CACHE_KEY_CHARS = 256

# -- webhooks (mockserver.webhooks) --------------------------------------------------------

#: Seconds one attempt may take (connect, write or read), and the whole delivery, retry
#: included: a receiver that trickles its answer is cut off at the deadline.
WEBHOOK_ATTEMPT_SECONDS = 2.0
WEBHOOK_DEADLINE_SECONDS = 5.0
#: Attempts per webhook: the first and one retry.
WEBHOOK_ATTEMPTS = 2
#: Deliveries in flight at once, in all and to one host.
WEBHOOK_CONCURRENCY = 8
WEBHOOK_PER_HOST = 2
#: Deliveries waiting, in all and for one host: beyond either, new ones are dropped (and the
#: journal says so), so one dead receiver never takes the others' places.
WEBHOOK_QUEUE = 1000
WEBHOOK_QUEUE_PER_HOST = 100
#: Seconds a shared store's claim on a due webhook lasts (`mockserver.leases`): the holder
#: renews it while the delivery waits or runs; a holder killed before the delivery is
#: recorded leaves it to expire, and then any mock claims the webhook again.
WEBHOOK_LEASE_SECONDS = 5.0
