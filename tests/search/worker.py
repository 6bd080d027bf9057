"""One worker process of a study: ``python -m tests.search.worker <json args>``.

Prints one JSON line: what the run did and a digest of the whole-study table.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from l2gpu.search import complete_study, open_study
from tests.search.toy import SPACE, Recorder, spec


def main() -> None:
    args = json.loads(sys.argv[1])
    if "go" in args:  # start together with the other workers of a test
        Path(args["go"]).with_name(f"ready-{os.getpid()}").touch()
        while not Path(args["go"]).exists():
            time.sleep(0.01)
    handle = open_study(
        spec(Path(args["folder"]), args.get("sampler", "random"), storage=args.get("storage"))
    )
    evaluate = Recorder(Path(args["log"]), args.get("sleep_s", 0.0), args.get("sleep_from", 0))
    result = complete_study(handle, args["n_trials"], args["batch_size"], SPACE, evaluate)
    table = result.table
    digest = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    print(
        json.dumps(
            {
                "rows": len(table),
                "trials": table["trial"].tolist(),
                "evaluated": result.evaluated,
                "done_before": result.done_before,
                "reclaimed": result.reclaimed,
                "told_elsewhere": result.told_elsewhere,
                "buckets": list(result.bucket_pnl.shape),
                "digest": digest,
            }
        )
    )


if __name__ == "__main__":
    main()
