"""A second process for the sync tests: serves FAQ searches over stdin/stdout.

Usage: python faq_sync_worker.py DB_URL REDIS_URL|- PREFIX DATA_DIR
Prints ``ready``; then for each line ``text`` read, prints the best entry's key (or ``-``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.db import create_db_engine
from knowledge import FaqBase, FaqRetriever, FaqSync, RetrieverConfig
from nlu.encoder import SentenceEncoder


def main() -> None:
    db_url, redis_url, prefix, data_dir = sys.argv[1:5]
    engine = create_db_engine(db_url)
    base = FaqBase(engine)
    retriever = FaqRetriever(
        base,
        SentenceEncoder(device="cpu", threads=1),
        data_dir=Path(data_dir),
        config=RetrieverConfig(adapt=False),
    )
    retriever.start()
    sync = FaqSync(retriever, redis_url=None if redis_url == "-" else redis_url, key_prefix=prefix)
    sync.start()
    print("ready", flush=True)
    for line in sys.stdin:
        hits = retriever.search(line.strip(), 1)
        print(hits[0].entry.external_key if hits else "-", flush=True)
    sync.close()
    retriever.close()
    engine.dispose()


if __name__ == "__main__":
    main()
