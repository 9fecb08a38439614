"""``opgraph serve`` under concurrent clients, beside in-process ``Workflow.predict``.

    .venv/bin/python benchmarks/serve.py                 # N = 1, 8, 32; text and image
    .venv/bin/python benchmarks/serve.py --soak 100000   # server memory over many requests
    .venv/bin/python benchmarks/serve.py --bare          # + bare gRPC, and bare + workflow

The server runs as its own process (``python -m engine serve``) on 127.0.0.1; clients are
clarifai-grpc's own stubs (its gRPC channel and its JSON/REST channel), N threads spread
over two client processes, each sending ``PostWorkflowResults`` with one input for a fixed
time.  A second REST row, "REST lean", sends the exact bytes the JSON channel sends
(request line, headers and JSON body, captured once through a relay) on one keep-alive
HTTP/1.1 connection per client and checks each answer (HTTP 200, Clarifai's success code,
the outputs): the JSON channel costs its client several times the server's CPU, which on a
machine the clients share with the server measures the client, while the lean row measures
the server.  The baseline, in the same run, is the same workflow object called in-process
by N threads.  Printed per row: requests/s, p50 and p99 latency (ms), errors, the ratio of
the server's throughput to the in-process one (goals at N = 32: >= 0.7 over gRPC, >= 0.5
over REST, read on the lean row; p99 <= 5 x p50) and the CPU a request costs the client
processes and the server processes.  With ``--bare``, a "grpc bare" row per N: the same
clients against a bare grpcio server (same worker processes and threads) whose
PostWorkflowResults parses the request and returns a response captured once from the real
server, with no auth, app or workflow: the most any Python gRPC server can serve here with
these clients, i.e. the transport's own ceiling; and a "bare+flow" row: the same bare
server running each request's input (its text, or its image's bytes, read straight off the
proto) through the same workflow's ``Workflow.predict`` before it answers, with no auth,
app, store or response conversion: the ceiling of transport + workflow.  The workflows are
five operators each: on text (language-id -> regex classifier -> concept thresholder ->
keyword filter -> prompter) and on a small image (colour recognizer, barcode reader, tiler
-> colour per tile, tiler -> counter).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's engine, in-process as in the server
TEXT_FLOW = """
workflow:
  id: text5
  nodes:
    - id: lang
      model:
        model_id: lang
        model_type_id: language-id-operator
        output_info: {params: {library: py3langid}}
    - id: money
      model:
        model_id: money
        model_type_id: regex-based-classifier
        output_info: {params: {regex: '[$][0-9,]+'}, data: {concepts: [{id: money, value: 1}]}}
      node_inputs: [{node_id: lang}]
    - id: keep
      model:
        model_id: keep
        model_type_id: concept-thresholder
        output_info: {data: {concepts: [{id: money, value: 0.5}]}}
      node_inputs: [{node_id: money}]
    - id: keywords
      model:
        model_id: keywords
        model_type_id: keyword-filter-operator
        output_info: {params: {keywords: [repairs, machinery]}}
      node_inputs: [{node_id: keep}]
    - id: prompt
      model:
        model_id: prompt
        model_type_id: prompter
        output_info: {params: {prompt_template: 'Summarise: {data.text.raw}'}}
      node_inputs: [{node_id: keywords}]
"""
IMAGE_FLOW = """
workflow:
  id: image5
  nodes:
    - id: colour
      model: {model_id: colour, model_type_id: image-color-recognizer}
    - id: barcodes
      model: {model_id: barcodes, model_type_id: barcode-operator}
    - id: tiles
      model:
        model_id: tiles
        model_type_id: image-tiling-operator
        output_info: {params: {tile_size: 32, overlap: 0}}
    - id: tile-colour
      model: {model_id: tile-colour, model_type_id: image-color-recognizer}
      node_inputs: [{node_id: tiles}]
    - id: count
      model: {model_id: count, model_type_id: object-counter}
      node_inputs: [{node_id: tiles}]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _image_b64() -> str:
    img = np.full((64, 64, 3), 255, np.uint8)
    cv2.rectangle(img, (4, 4), (40, 30), (0, 0, 220), -1)
    cv2.circle(img, (48, 48), 10, (200, 40, 0), -1)
    return base64.b64encode(cv2.imencode(".png", img)[1].tobytes()).decode()


def _inputs(kind: str) -> list[dict[str, Any]]:
    if kind == "text":
        return [{"data": {"text": {"raw": "The plant spent $480,000 on machinery repairs."}}}]
    return [{"data": {"image": {"base64": _image_b64()}}}]


class Server:
    """``opgraph serve`` in its own process, with an app holding both workflows."""

    def __init__(self, data: Path, workers: int, threads: int = 16) -> None:
        self.port, self.grpc_port = _free_port(), _free_port()
        self.token = subprocess.run(
            [
                sys.executable,
                "-m",
                "engine",
                "serve",
                "token",
                "create",
                "--data",
                str(data),
                "--scopes",
                "*",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.strip()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "serve",
                "--data",
                str(data),
                "--port",
                str(self.port),
                "--grpc-port",
                str(self.grpc_port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--max-in-flight",
                "256",
            ],
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._setup()
        except BaseException:
            self.stop()
            raise

    def _setup(self) -> None:
        self._wait()
        stub, md = self.stub("grpc")
        from clarifai_grpc.grpc.api import resources_pb2 as r
        from clarifai_grpc.grpc.api import service_pb2 as pb

        stub.PostApps(  # a worker slow to start (a busy machine) is waited for
            pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="bench")]),
            metadata=md,
            wait_for_ready=True,
            timeout=120,
        )
        from engine.api.handlers.workflows import workflow_yaml  # noqa: F401  (same converter)

        for text in (TEXT_FLOW, IMAGE_FLOW):
            stub.PostWorkflows(
                pb.PostWorkflowsRequest(
                    user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
                    workflows=[_proto(text)],
                ),
                metadata=md,
            )
        self.warm()

    def warm(self) -> None:
        """Every worker compiles both workflows before anything is timed: many fresh
        connections, which the kernel spreads over the workers."""
        from clarifai_grpc.grpc.api import resources_pb2 as r
        from clarifai_grpc.grpc.api import service_pb2 as pb
        from google.protobuf import json_format

        md = (("authorization", f"Key {self.token}"),)
        for kind, wid in (("text", "text5"), ("image", "image5")):
            request = pb.PostWorkflowResultsRequest(
                user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
                workflow_id=wid,
                inputs=[json_format.ParseDict(i, r.Input()) for i in _inputs(kind)],
            )
            for _ in range(12):
                for transport in ("grpc", "json"):
                    stub, _ = self.stub(transport)
                    stub.PostWorkflowResults(request, metadata=md)

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                for port in (self.port, self.grpc_port):  # workers listen on gRPC when up
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                time.sleep(2)  # the other workers' start
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stub(self, transport: str) -> tuple[Any, Any]:
        from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
        from clarifai_grpc.grpc.api import service_pb2_grpc

        if transport == "grpc":
            channel = _own_grpc_channel(self.grpc_port)
        else:
            channel = ClarifaiChannel.get_json_channel(base_url=f"http://127.0.0.1:{self.port}")
        return service_pb2_grpc.V2Stub(channel), (("authorization", f"Key {self.token}"),)

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        found = [self.proc.pid]
        for entry in os.listdir("/proc"):
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except (OSError, ValueError):
                continue
            if b"spawn_main" in command and stat.rpartition(")")[2].split()[1] == str(found[0]):
                found.append(int(entry))
        return found

    def rss_mib(self) -> list[float]:
        """Resident memory of the server process and of each worker."""
        out = []
        for pid in self.pids():
            with open(f"/proc/{pid}/status") as f:
                kib = [int(line.split()[1]) for line in f if line.startswith("VmRSS:")]
            out.append(kib[0] / 1024 if kib else float("nan"))
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _own_grpc_channel(port: int) -> Any:
    """clarifai-grpc's insecure channel (its options, its retry policy) with a connection
    of its own: grpcio otherwise shares one TCP connection between every channel of a
    process to the same address, so a client process's threads would all reach the one
    worker process the kernel gave that connection, as no set of real clients would."""
    import grpc
    from clarifai_grpc.channel import clarifai_channel as cc

    cc.ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=port).close()  # its setup
    return grpc.insecure_channel(
        f"127.0.0.1:{port}",
        options=[
            ("grpc.service_config", cc.grpc_json_config),
            ("grpc.max_receive_message_length", cc.MAX_MESSAGE_LENGTH),
            ("grpc.max_send_message_length", cc.MAX_MESSAGE_LENGTH),
            ("grpc.use_local_subchannel_pool", 1),
        ],
    )


def _proto(text: str) -> Any:
    """A workflow YAML as the Workflow proto Clarifai's SDK would send."""
    import yaml
    from clarifai_grpc.grpc.api import resources_pb2 as r
    from google.protobuf import struct_pb2

    doc = yaml.safe_load(text)["workflow"]
    nodes = []
    for node in doc["nodes"]:
        m = node["model"]
        info = m.get("output_info", {})
        params = struct_pb2.Struct()
        params.update(info.get("params", {}))
        concepts = [r.Concept(**c) for c in info.get("data", {}).get("concepts", [])]
        nodes.append(
            r.WorkflowNode(
                id=node["id"],
                model=r.Model(
                    id=m["model_id"],
                    model_type_id=m["model_type_id"],
                    output_info=r.OutputInfo(params=params, data=r.Data(concepts=concepts)),
                ),
                node_inputs=[
                    r.NodeInput(node_id=i["node_id"]) for i in node.get("node_inputs", [])
                ],
            )
        )
    return r.Workflow(id=doc["id"], nodes=nodes)


def _client(args: tuple[str, int, int, str, str, str, int, float, float, bytes]) -> dict[str, Any]:
    """One client process: ``threads`` threads, each with its own stub (or lean socket),
    sending requests from wall-clock time ``start`` for ``seconds``; its latencies, errors
    and CPU time."""
    transport, port, grpc_port, token, kind, workflow_id, threads, start, seconds, wire = args
    from clarifai_grpc.grpc.api import resources_pb2 as r
    from clarifai_grpc.grpc.api import service_pb2 as pb
    from google.protobuf import json_format

    srv = Server.__new__(Server)
    srv.port, srv.grpc_port, srv.token = port, grpc_port, token
    request = pb.PostWorkflowResultsRequest(
        user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
        workflow_id=workflow_id,
        inputs=[json_format.ParseDict(i, r.Input()) for i in _inputs(kind)],
    )
    if transport == "lean":  # the JSON channel's bytes, captured once, on keep-alive sockets
        sends = [LeanClient(port, wire).send for _ in range(threads)]
    else:
        sends = [_stub_send(srv.stub(transport), request) for _ in range(threads)]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    late = max(0.0, time.time() - start)
    time.sleep(max(0.0, start - time.time()))
    stop = time.monotonic() + seconds - late

    def loop(send: Any) -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                good = send()
            except Exception:  # counted, not fatal: e.g. a connection the server closed
                good = False  # after its keep-alive timeout while this thread was starved
            mine.append(time.perf_counter() - t0)
            if not good:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    cpu0 = time.process_time()
    pool = [threading.Thread(target=loop, args=(send,)) for send in sends]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    cpu = time.process_time() - cpu0
    return {"latencies": latencies, "errors": errors[0], "cpu": cpu, "late": late}


def _stub_send(stub_md: tuple[Any, Any], request: Any) -> Any:
    stub, md = stub_md

    def send() -> bool:
        return bool(stub.PostWorkflowResults(request, metadata=md).status.code == 10000)

    return send


def _read_message(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """One HTTP/1.1 message's head and body off ``sock`` (``Content-Length`` framing, the
    only one either side here uses); what follows it stays in ``buffer``."""
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the connection closed mid-message")
        buffer += chunk
    head = bytes(buffer[:end])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    total = end + 4 + length
    while len(buffer) < total:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the connection closed mid-body")
        buffer += chunk
    body = bytes(buffer[end + 4 : total])
    del buffer[:total]
    return head, body


class LeanClient:
    """A REST client that costs its process as little as Python allows, so that the row
    measures the server: one keep-alive HTTP/1.1 connection, the exact request bytes
    clarifai-grpc's JSON channel sends (captured once: ``capture_rest``), and a check of
    each answer (HTTP 200, Clarifai's success code, the outputs there)."""

    def __init__(self, port: int, wire: bytes) -> None:
        self.port, self.wire = port, wire
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def send(self) -> bool:
        try:
            self.sock.sendall(self.wire)
            head, body = _read_message(self.sock, self.buffer)
        except OSError:  # the connection is gone: the next request opens another
            self.sock.close()
            self.sock = socket.create_connection(("127.0.0.1", self.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer.clear()
            raise
        if head[9:12] != b"200":
            return False
        doc = json.loads(body)
        outputs = doc["results"][0]["outputs"] if doc.get("results") else []
        return bool(doc["status"]["code"] == 10000 and outputs and "data" in outputs[-1])


def capture_rest(server: Server, kind: str) -> bytes:
    """The bytes clarifai-grpc's JSON channel sends for one ``PostWorkflowResults`` (request
    line, headers, JSON body): the channel is pointed at a one-shot relay on 127.0.0.1 that
    records them and passes the request and its answer through to the server."""
    from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
    from clarifai_grpc.grpc.api import resources_pb2 as r
    from clarifai_grpc.grpc.api import service_pb2 as pb
    from clarifai_grpc.grpc.api import service_pb2_grpc
    from google.protobuf import json_format

    listener = socket.create_server(("127.0.0.1", 0))
    relay_port = listener.getsockname()[1]
    seen: dict[str, bytes] = {}

    def relay() -> None:
        conn, _ = listener.accept()
        with conn, socket.create_connection(("127.0.0.1", server.port)) as upstream:
            head, body = _read_message(conn, bytearray())
            seen["request"] = head + b"\r\n\r\n" + body
            upstream.sendall(seen["request"])
            head, body = _read_message(upstream, bytearray())
            conn.sendall(head + b"\r\n\r\n" + body)

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    channel = ClarifaiChannel.get_json_channel(base_url=f"http://127.0.0.1:{relay_port}")
    request = pb.PostWorkflowResultsRequest(
        user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
        workflow_id="text5" if kind == "text" else "image5",
        inputs=[json_format.ParseDict(i, r.Input()) for i in _inputs(kind)],
    )
    reply = service_pb2_grpc.V2Stub(channel).PostWorkflowResults(
        request, metadata=(("authorization", f"Key {server.token}"),)
    )
    thread.join(10)
    listener.close()
    if reply.status.code != 10000 or "request" not in seen:
        raise RuntimeError(f"capturing the JSON channel's request failed: {reply.status}")
    wire = seen["request"]
    return wire.replace(f":{relay_port}\r\n".encode(), f":{server.port}\r\n".encode(), 1)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _switches(pids: list[int]) -> int:
    """Context switches of every thread of ``pids`` so far (voluntary: a thread waited,
    for the GIL, a lock or I/O; involuntary: the kernel took its core)."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                status = Path(f"/proc/{pid}/task/{task}/status").read_text()
            except OSError:
                continue
            total += sum(
                int(line.split()[1]) for line in status.splitlines() if "ctxt_switches" in line
            )
    return total


def _remote(
    server: Server | BareServer,
    transport: str,
    kind: str,
    n: int,
    seconds: float,
    clients: Any,
) -> dict[str, Any]:
    """N client threads over the two client processes of ``clients``, started together."""
    procs = min(2, n)
    split = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    wid = "text5" if kind == "text" else "image5"
    start = time.time() + 1.0  # every client process connected and waiting by then
    wire = capture_rest(server, kind) if transport == "lean" else b""  # type: ignore[arg-type]
    jobs = [
        (transport, server.port, server.grpc_port, server.token, kind, wid, k, start, seconds, wire)
        for k in split
    ]
    pids = server.pids()
    cpu0, switches0 = _cpu_seconds(pids), _switches(pids)
    parts = clients.map(_client, jobs)
    server_cpu = _cpu_seconds(pids) - cpu0
    switches = _switches(pids) - switches0
    lat = [x for p in parts for x in p["latencies"]]
    row = _row(lat, seconds, sum(p["errors"] for p in parts))
    done = max(1, len(lat))
    row["client_ms"] = 1000 * sum(p["cpu"] for p in parts) / done
    row["server_ms"] = 1000 * server_cpu / done
    row["switches"] = switches / done
    if any(p["late"] > 0.2 for p in parts):
        print(f"  (a client process started {max(p['late'] for p in parts):.1f} s late)")
    return row


def _bare_worker(port: int, reply: bytes, threads: int, ready: Any, flow: str) -> None:
    """One process of the bare server: clarifai-grpc's servicer, one canned reply; with
    ``flow`` (a workflow's YAML), each request's one input first runs through that
    workflow's ``Workflow.predict``, as in-process (no auth, app, store or codec)."""
    from concurrent import futures

    import grpc
    from clarifai_grpc.grpc.api import service_pb2 as pb
    from clarifai_grpc.grpc.api import service_pb2_grpc

    response = pb.PostWorkflowResultsResponse.FromString(reply)
    run = _bare_flow(flow) if flow else None

    class Bare(service_pb2_grpc.V2Servicer):  # type: ignore[misc]
        def PostWorkflowResults(self, request: Any, context: Any) -> Any:
            if run is not None and run(request).status.code != 10000:
                return pb.PostWorkflowResultsResponse()  # counted as an error
            return response

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads), options=[("grpc.so_reuseport", 1)]
    )
    service_pb2_grpc.add_V2Servicer_to_server(Bare(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    ready.release()
    server.wait_for_termination()


def _bare_flow(flow: str) -> Any:
    """``Workflow.predict`` on a request's first input, its text or its image's bytes
    taken straight from the proto."""
    from engine import Workflow

    wf = Workflow.from_yaml(flow)
    wf.predict(_inputs("text" if "text5" in flow else "image"))  # its models load before timing

    def run(request: Any) -> Any:
        data = request.inputs[0].data
        if data.text.raw:
            return wf.predict([{"data": {"text": {"raw": data.text.raw}}}])
        image = base64.b64encode(data.image.base64).decode()
        return wf.predict([{"data": {"image": {"base64": image}}}])

    return run


class BareServer:
    """The bare gRPC server's worker processes, on a port of their own."""

    def __init__(
        self, server: Server, kind: str, workers: int, threads: int, *, flow: bool = False
    ) -> None:
        from clarifai_grpc.grpc.api import resources_pb2 as r
        from clarifai_grpc.grpc.api import service_pb2 as pb
        from google.protobuf import json_format

        stub, md = server.stub("grpc")
        reply = stub.PostWorkflowResults(
            pb.PostWorkflowResultsRequest(
                user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
                workflow_id="text5" if kind == "text" else "image5",
                inputs=[json_format.ParseDict(i, r.Input()) for i in _inputs(kind)],
            ),
            metadata=md,
        )
        self.port = self.grpc_port = _free_port()
        self.token = ""
        ctx = mp.get_context("spawn")
        ready = ctx.Semaphore(0)
        yaml = (TEXT_FLOW if kind == "text" else IMAGE_FLOW) if flow else ""
        args = (self.port, reply.SerializeToString(), threads, ready, yaml)
        self.procs = [ctx.Process(target=_bare_worker, args=args) for _ in range(workers)]
        for proc in self.procs:
            proc.start()
        started, deadline = 0, time.monotonic() + 300
        while started < len(self.procs):  # every worker listens before anything is timed
            if ready.acquire(timeout=1):
                started += 1
            elif time.monotonic() > deadline or not all(p.is_alive() for p in self.procs):
                self.stop()
                raise RuntimeError("the bare gRPC server did not start")

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.join(10)


def _local(kind: str, n: int, seconds: float) -> dict[str, Any]:
    from engine import Workflow

    wf = Workflow.from_yaml(TEXT_FLOW if kind == "text" else IMAGE_FLOW)
    items = _inputs(kind)
    wf.predict(items)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop() -> None:
        mine = []
        failed = 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            if wf.predict(items).status.code != 10000:
                failed += 1  # the baseline must do the same work the server does
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    cpu0 = time.process_time()
    pool = [threading.Thread(target=loop) for _ in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    row = _row(latencies, seconds, errors[0])
    row["client_ms"] = 1000 * (time.process_time() - cpu0) / max(1, len(latencies))
    row["server_ms"] = 0.0
    return row


def _row(latencies: list[float], seconds: float, errors: int) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    if not ms:
        return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": errors}
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    return {"rps": len(ms) / seconds, "p50": statistics.median(ms), "p99": p99, "errors": errors}


def _soak(server: Server, total: int, threads: int = 8) -> None:
    """``total`` gRPC requests from ``threads`` clients, each on a connection of its own
    (so the kernel spreads them over the worker processes); server RSS at each tenth."""
    from clarifai_grpc.grpc.api import resources_pb2 as r
    from clarifai_grpc.grpc.api import service_pb2 as pb
    from google.protobuf import json_format

    request = pb.PostWorkflowResultsRequest(
        user_app_id=r.UserAppIDSet(user_id="me", app_id="bench"),
        workflow_id="text5",
        inputs=[json_format.ParseDict(i, r.Input()) for i in _inputs("text")],
    )
    stubs = [server.stub("grpc") for _ in range(threads)]
    print(f"{threads} client threads, one gRPC connection each")
    head = "server RSS MiB (total: parent + workers)"
    print(f"{'requests':>9} {head:>42} {'errors':>7} {'req/s':>7}")
    step = max(threads, total // 10)
    done, errors = 0, [0]
    lock = threading.Lock()

    def send(stub: Any, md: Any, count: int) -> None:
        failed = 0
        for _ in range(count):
            if stub.PostWorkflowResults(request, metadata=md).status.code != 10000:
                failed += 1
        with lock:
            errors[0] += failed

    rate = float("nan")
    while True:
        rss = server.rss_mib()
        parts = " + ".join(f"{x:.1f}" for x in rss)
        print(f"{done:>9} {sum(rss):>10.1f} ({parts}){errors[0]:>8} {rate:>7.0f}", flush=True)
        if done >= total:
            break
        count = min(step, total - done)
        shares = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
        pool = [
            threading.Thread(target=send, args=(*stub, k))
            for stub, k in zip(stubs, shares, strict=True)
        ]
        t0 = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        rate = count / (time.perf_counter() - t0)
        done += count


def _warm_client(_: int) -> None:
    """A client process imports what it needs once, before anything is timed."""
    import clarifai_grpc.channel.clarifai_channel
    import clarifai_grpc.grpc.api.service_pb2_grpc  # noqa: F401

    time.sleep(0.5)  # so that each process takes one


def _print_rows(kind: str, n: int, rows: dict[str, dict[str, Any]]) -> None:
    local = rows["in-process"]
    for mode, row in rows.items():
        label = {"json": "REST client", "lean": "REST lean"}.get(mode, mode)
        ratio = row["rps"] / local["rps"] if local["rps"] else float("nan")
        spread = row["p99"] / row["p50"] if row["p50"] else float("nan")
        print(
            f"{kind:<6}{n:>4}  {label:<11}{row['rps']:>8.1f}{row['p50']:>9.2f}{row['p99']:>9.2f}"
            f"{spread:>7.1f}{row['errors']:>7}{ratio:>9.2f}{row['client_ms']:>9.2f}"
            f"{row['server_ms']:>9.2f}{row.get('switches', float('nan')):>8.1f}",
            flush=True,
        )
    cores = os.cpu_count() or 1
    for mode in ("grpc", "json", "lean", "grpc bare", "bare+flow"):
        row = rows.get(mode)
        if row is None or not row["rps"]:
            continue
        per = row["client_ms"] + row["server_ms"]
        most = 1000 * cores / per if per else float("nan")
        print(
            f"{'':>10}{mode}: {per:.2f} ms of CPU a request (clients + server): {cores} cores "
            f"serve at most {most:.0f} req/s = {most / local['rps']:.2f} x in-process"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--kinds", default="text,image")
    parser.add_argument("--soak", type=int, default=0, help="requests for the memory soak")
    parser.add_argument("--bare", action="store_true", help="add the bare gRPC ceiling")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server worker processes"
    )
    parser.add_argument("--threads", type=int, default=16, help="server threads per worker")
    args = parser.parse_args()
    print("command:", " ".join([".venv/bin/python", "benchmarks/serve.py", *sys.argv[1:]]))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), args.workers, args.threads)
        print(f"server: {args.workers} worker processes, {args.threads} threads each")
        try:
            if args.soak:
                _soak(server, args.soak)
            else:
                _table(server, args)
        finally:
            server.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    goals = {"grpc_at_32": 0.7, "rest_lean_at_32": 0.5, "p99_over_p50": 5}
    print(json.dumps({"goals": goals}))


def _table(server: Server, args: argparse.Namespace) -> None:
    print(
        f"{'kind':<6}{'N':>4}  {'mode':<11}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'p99/50':>7}"
        f"{'errors':>7}{'vs local':>9}{'cli CPU':>9}{'srv CPU':>9}{'srv cs':>8}"
        "   (CPU: ms a request; cs: the server's context switches a request)"
    )
    print(
        "REST client: clarifai-grpc's JSON channel (the real client; its own CPU caps it on "
        "a shared machine).\nREST lean: the same request bytes on keep-alive sockets; "
        "it measures the server, and is the row of the REST goal."
    )
    with mp.get_context("spawn").Pool(2) as clients:
        clients.map(_warm_client, [0, 1])
        for kind in args.kinds.split(","):
            for n in (int(x) for x in args.clients.split(",")):
                rows = {"in-process": _local(kind, n, args.seconds)}
                for transport in ("grpc", "json", "lean"):
                    rows[transport] = _remote(server, transport, kind, n, args.seconds, clients)
                if args.bare:
                    for label, flow in (("grpc bare", False), ("bare+flow", True)):
                        bare = BareServer(server, kind, args.workers, args.threads, flow=flow)
                        try:
                            rows[label] = _remote(bare, "grpc", kind, n, args.seconds, clients)
                        finally:
                            bare.stop()
                _print_rows(kind, n, rows)


if __name__ == "__main__":
    main()
