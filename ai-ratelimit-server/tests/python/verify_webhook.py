"""Verifies webhook deliveries with the `standardwebhooks` package (the Standard Webhooks
reference implementation): reads JSON lines {secret, id, timestamp, signature, body} on stdin,
prints `verified <type>` per message, and exits non-zero on the first that does not verify.

The server under test runs on a fake clock, so the package's timestamp tolerance (5 minutes
around the real time) is replaced by reading the header as is: the signature check is the
package's own.
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

Webhook._Webhook__verify_timestamp = lambda self, ts: datetime.fromtimestamp(float(ts), tz=timezone.utc)

for line in sys.stdin:
    m = json.loads(line)
    payload = Webhook(m["secret"]).verify(
        m["body"],
        {
            "webhook-id": m["id"],
            "webhook-timestamp": m["timestamp"],
            "webhook-signature": m["signature"],
        },
    )
    print("verified", payload["type"])
# A tampered body must fail.
try:
    Webhook(m["secret"]).verify(
        m["body"] + " ",
        {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"], "webhook-signature": m["signature"]},
    )
except Exception:
    print("tampered rejected")
