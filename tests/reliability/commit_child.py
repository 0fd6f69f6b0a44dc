"""The commit of a scenario in a process of its own, so it can be killed with SIGKILL.

    python -m tests.reliability.commit_child '{"store_url": ..., "endpoint": ..., "run_id": ..., ...}'

Takes the same settings as the in-process commits of the scenario (``runner_commit.CommitSettings``).
Its last line on stdout is JSON: ``{"report": summary}``, or ``{"error": type, "message": ..., "store_error":
bool}`` when the commit raised (exit status 1; the traceback goes to stderr).
"""

from __future__ import annotations

import json
import sys
import traceback

from sqlalchemy.exc import DBAPIError

from tests.reliability.runner_commit import CommitSettings, commit_once


def main(argv: list[str]) -> int:
    settings = CommitSettings.from_json(argv[0])
    try:
        report = commit_once(settings)
    except Exception as exc:  # the parent decides whether its fault explains this
        traceback.print_exc()
        print(json.dumps({"error": f"{type(exc).__module__}.{type(exc).__name__}",
                          "message": (str(exc).splitlines() or [""])[0][:300],
                          "store_error": isinstance(exc, DBAPIError)}), flush=True)
        return 1
    print(json.dumps({"report": report.summary()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
