"""``Idempotency-Key`` on every creating POST: a retry gets the first answer, not a second
object. One middleware (``middleware.py``) and one table (``store.py``); no route has code
of its own for it."""
