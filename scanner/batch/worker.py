"""A scan worker process: one JSON job per line on stdin, one JSON row per line on stdout.

It runs apart from the coordinator so that a hostile app can only take its worker
down: the coordinator kills a worker that overruns the time limit, and the address
space limit set here turns runaway allocation into a MemoryError (an error result)
rather than the machine swapping. End of input ends the worker, so a killed
coordinator never leaves workers behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import sys

from scanner.memory import limit_memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.batch.worker")
    parser.add_argument("--max-memory", type=int, default=0, metavar="MB")
    args = parser.parse_args(argv)
    import signatures
    from scanner.batch.job import Job, run_job

    kb = signatures.load()  # once per worker, before the memory limit bites into a scan
    limit_memory(args.max_memory)
    gc.freeze()  # the modules and knowledge base outlive every scan: the collector's passes skip them
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but rows may reach the coordinator's pipe
    out.write(json.dumps({"ready": True}) + "\n")  # imports done: time limits start from here
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        job = Job.from_json(line)
        try:
            row = run_job(job, kb)
            reply = dataclasses.asdict(row)
        except MemoryError:
            reply = {"sha256": job.sha256, "path": job.path, "status": "memory", "error": None}
        except Exception as exc:  # noqa: BLE001 -- run_job catches app problems; a bug is recorded as the app's error
            reply = {"sha256": job.sha256, "path": job.path, "status": "crash", "error": repr(exc)}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
