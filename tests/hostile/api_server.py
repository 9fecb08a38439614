"""``opgraph serve`` for the corpus, under the same network guards as every case.

    python -m tests.hostile.api_server DATA PORT GRPC_PORT

The audit hook blocks any connect but to 127.0.0.1 and the fake resolver answers the
corpus's names, so a request that gets past the server's URL guard is recorded (in
``DATA/blocked.log``) instead of reaching the network.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.hostile.harness import Ctx, install_guards

__all__: list[str] = []


class _Recorded(list[str]):
    def __init__(self, log: Path) -> None:
        super().__init__()
        self.log = log

    def append(self, peer: str) -> None:
        super().append(peer)
        if not peer.startswith("127.0.0.1:"):
            with self.log.open("a") as f:
                f.write(peer + "\n")


def main() -> None:
    data, port, grpc_port = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    data.mkdir(parents=True, exist_ok=True)
    ctx = Ctx("api-server", data, 0, data / "out", data / "err")
    ctx.connects = _Recorded(data / "blocked.log")
    install_guards(ctx)
    from engine.cli import main as opgraph

    sys.exit(opgraph(["serve", "--data", str(data), "--port", port, "--grpc-port", grpc_port,
                      "--insecure-dev", "--max-request-mb", "8"]))


if __name__ == "__main__":
    main()
