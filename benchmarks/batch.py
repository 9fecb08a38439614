"""Cost per input against batch size, and Roboflow's execution engine on a detections filter.

    .venv/bin/python benchmarks/batch.py                 # curve + Roboflow, ~3 min quiet
    .venv/bin/python benchmarks/batch.py --no-roboflow   # the curve only
    .venv/bin/python benchmarks/batch.py --setup         # only install Roboflow's engine

**Curve.** A 5-node chain run by ``Workflow.predict`` on batches of 1 to 1,024 inputs, beside
plain Python calls of the same operator objects' ``process`` on the same inputs (each
input through the 5 nodes in turn, every node's output kept, as the engine keeps them for
its results), both under Python's default garbage collector.  Two kinds of data:
``concept``: ``concept-thresholder`` x 5 over 50 concepts; ``region``: ``region-thresholder``
x 5 over 50 detector regions (a box and a concept each).  Per-input times are this
process's CPU time, engine and plain interleaved, best of the rounds.  Goal: engine / plain
within 1.3x at every batch size.

**Roboflow.** 20 chained steps of a detections filter (keep detections with confidence
>= 0.1) over 50 detections, at 1 and 32 inputs: Roboflow's workflow execution engine
(``roboflow_core/detections_filter@v1`` on ``sv.Detections``, the engine ``inference``
ships) beside opgraph's ``region-thresholder`` x 20 over 50 regions.  Roboflow runs in its
own virtualenv (``.venv-roboflow`` in the repository, made on demand with ``pip install
inference``), in a subprocess of this run; when it cannot be installed the script says so
and prints our side alone.  Goal: opgraph faster per step at 32 inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RF_VENV = REPO / ".venv-roboflow"
BATCHES = (1, 4, 16, 64, 256, 1024)
N_ITEMS = 50
CHAIN = 5
RF_STEPS = 20
RF_BATCHES = (1, 32)
GOAL_RATIO = 1.3


# ---- workflows and data (opgraph side) -------------------------------------------------


def _node(k: int, type_id: str, concepts: list[str]) -> str:
    listed = "".join(f"            - {{id: {c}, value: 0.1}}\n" for c in concepts)
    node = (
        f"    - id: n{k}\n      model:\n        model_id: n{k}\n"
        f"        model_type_id: {type_id}\n        output_info:\n"
        f"          params: {{concept_threshold_type: GREATER_THAN_OR_EQUAL}}\n"
        f"          data:\n            concepts:\n{listed}"
    )
    return node + (f"      node_inputs: [{{node_id: n{k - 1}}}]\n" if k else "")


def chain_yaml(kind: str, n: int) -> str:
    if kind == "concept":
        nodes = [
            _node(k, "concept-thresholder", [f"c{i}" for i in range(N_ITEMS)]) for k in range(n)
        ]
    else:
        nodes = [_node(k, "region-thresholder", ["person", "car", "dog"]) for k in range(n)]
    return "workflow:\n  id: chain\n  nodes:\n" + "".join(nodes)


def make_data(kind: str, seed: int = 0) -> Any:
    import random

    from engine import BoundingBox, Concept, Data, Region, RegionInfo

    rng = random.Random(seed)
    if kind == "concept":
        return Data(
            concepts=[Concept(id=f"c{i}", value=rng.uniform(0.2, 1)) for i in range(N_ITEMS)]
        )
    regions = []
    for i in range(N_ITEMS):
        top, left = rng.uniform(0, 0.8), rng.uniform(0, 0.8)
        box = BoundingBox(top_row=top, left_col=left, bottom_row=top + 0.1, right_col=left + 0.1)
        name = ("person", "car", "dog")[i % 3]
        concept = Concept(id=name, name=name, value=rng.uniform(0.2, 1))
        regions.append(
            Region(
                id=f"r{i}", region_info=RegionInfo(bounding_box=box), data=Data(concepts=[concept])
            )
        )
    return Data(regions=regions)


# ---- timing ----------------------------------------------------------------------------


def _per_call(fn: Callable[[], object], min_s: float) -> tuple[int, float]:
    """How many calls fill ``min_s`` of CPU time, and the seconds per call of that run (the
    clock is read every few calls: reading the CPU clock is a slow call on some systems)."""
    n, step, t0 = 0, 1, time.process_time()
    while (elapsed := time.process_time() - t0) < min_s:
        for _ in range(step):
            fn()
        n += step
        step = min(step * 2, 64)
    return n, elapsed / n


SLICES = 5  # a round is this many short turns of each function: A B A B ...


def best_of(fns: list[Callable[[], object]], rounds: int, min_s: float) -> list[float]:
    """Seconds per call of each function over ``rounds`` of ``min_s`` CPU seconds each,
    timed in short turns (A B A B ..., ``SLICES`` per round), the best turn each: on a shared
    machine a turn that another process disturbed is not the one kept, and both functions
    are timed under the same conditions."""
    best = [float("inf")] * len(fns)
    for fn in fns:
        fn()  # warm: first-call work (lazy imports, validators built) is not timed
    for _ in range(rounds * SLICES):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], _per_call(fn, min_s / SLICES)[1])
    return best


def curve(kind: str, rounds: int) -> list[tuple[int, float, float]]:
    """(batch, engine us per input, plain us per input) for each batch size."""
    from engine import Context, Workflow

    wf = Workflow.from_yaml(chain_yaml(kind, CHAIN))
    wf.predict([make_data(kind)])
    ops = [node.operator for node in wf._get_executor().graph.nodes]
    rows = []
    for b in BATCHES:
        batch = [make_data(kind, seed) for seed in range(b)]

        def engine(batch: list[Any] = batch) -> None:
            wf.predict(batch, workers=1)  # this process's cost, no workers

        def plain(batch: list[Any] = batch) -> None:
            kept = []
            for i, d in enumerate(batch):
                ctx = Context(root=d, input_index=i)
                for op in ops:
                    d = op.process(d, ctx)
                    kept.append(d)

        # at least a few batches per round, and never under 0.2 s of CPU
        min_s = max(0.2, 0.05 * b * (0.06 if kind == "concept" else 0.6) / 10)
        eng, pl = best_of([engine, plain], rounds, min_s)
        rows.append((b, eng / b * 1e6, pl / b * 1e6))
    return rows


def opgraph_steps(rounds: int) -> dict[int, float]:
    """Our microseconds per step of the 20-step detections filter, by batch size."""
    from engine import Workflow

    wf = Workflow.from_yaml(chain_yaml("region", RF_STEPS))
    out = {}
    for b in RF_BATCHES:
        batch = [make_data("region", seed) for seed in range(b)]
        res = wf.predict(batch)
        assert len(res.results[0].outputs[-1].data.regions) == N_ITEMS  # nothing filtered out
        (sec,) = best_of([lambda batch=batch: wf.predict(batch, workers=1)], rounds, 0.5)
        out[b] = sec / RF_STEPS * 1e6
    return out


# ---- Roboflow side (runs under .venv-roboflow) ------------------------------------------


def _rf_definition(steps: int) -> dict[str, Any]:
    confidence = {
        "type": "DynamicOperand",
        "operand_name": "_",
        "operations": [{"type": "ExtractDetectionProperty", "property_name": "confidence"}],
    }
    statement = {
        "type": "BinaryStatement",
        "left_operand": confidence,
        "comparator": {"type": "(Number) >="},
        "right_operand": {"type": "StaticOperand", "value": 0.1},
    }
    keep = {
        "type": "DetectionsFilter",
        "filter_operation": {
            "type": "StatementGroup",
            "operator": "and",
            "statements": [statement],
        },
    }
    return {
        "version": "1.0",
        "inputs": [
            {
                "type": "WorkflowBatchInput",
                "name": "predictions",
                "kind": ["object_detection_prediction"],
            }
        ],
        "steps": [
            {
                "type": "roboflow_core/detections_filter@v1",
                "name": f"f{k}",
                "predictions": "$inputs.predictions" if k == 0 else f"$steps.f{k - 1}.predictions",
                "operations": [keep],
                "operations_parameters": {},
            }
            for k in range(steps)
        ],
        "outputs": [
            {"type": "JsonField", "name": "out", "selector": f"$steps.f{steps - 1}.predictions"}
        ],
    }


def _rf_detections(seed: int) -> Any:
    import numpy as np
    import supervision as sv

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1500, (N_ITEMS, 2))
    wh = rng.uniform(20, 200, (N_ITEMS, 2))
    class_id = np.arange(N_ITEMS) % 3
    d = sv.Detections(
        xyxy=np.hstack([xy, xy + wh]), confidence=rng.uniform(0.2, 1, N_ITEMS), class_id=class_id
    )
    d.data["class_name"] = np.array(["person", "car", "dog"])[class_id]
    d.data["detection_id"] = np.array([f"d{i}" for i in range(N_ITEMS)])
    d.data["parent_id"] = np.array(["image"] * N_ITEMS)
    d.data["image_dimensions"] = np.array([[1080, 1920]] * N_ITEMS)
    return d


def roboflow_worker(rounds: int) -> None:
    """Print Roboflow's microseconds per step by batch size, as JSON (under its venv)."""
    import warnings

    warnings.simplefilter("ignore")
    from importlib.metadata import version

    from roboflow_workflows.execution_engine.core import ExecutionEngine

    engine = ExecutionEngine.init(
        workflow_definition=_rf_definition(RF_STEPS),
        init_parameters={"workflows_core.model_manager": None, "workflows_core.api_key": None},
    )
    out: dict[str, Any] = {"version": version("inference")}
    for b in RF_BATCHES:
        batch = [_rf_detections(seed) for seed in range(b)]
        res = engine.run(runtime_parameters={"predictions": batch})
        assert len(res) == b and len(res[0]["out"]) == N_ITEMS

        def run(batch: list[Any] = batch) -> None:
            engine.run(runtime_parameters={"predictions": batch})

        (sec,) = best_of([run], rounds, 0.5)
        out[str(b)] = sec / RF_STEPS * 1e6
    print(json.dumps(out))


def setup_roboflow() -> str | None:
    """Make .venv-roboflow with ``inference`` if it is not there; None, or why it failed."""
    py = RF_VENV / "bin" / "python"
    check = [str(py), "-c", "import roboflow_workflows.execution_engine.core"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return None
    print(
        f"installing Roboflow's engine (pip install inference) into {RF_VENV.name}, a few minutes"
    )
    steps = [
        [sys.executable, "-m", "venv", str(RF_VENV)],
        [str(py), "-m", "pip", "install", "-q", "inference"],
    ]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            return f"`{' '.join(cmd[-3:])}` failed: {done.stderr.strip().splitlines()[-1:]}"
    if subprocess.run(check, capture_output=True).returncode != 0:
        return "inference installed, but roboflow_workflows.execution_engine does not import"
    return None


def roboflow(rounds: int) -> dict[str, Any] | str:
    """Roboflow's figures from a subprocess under its venv, or why there are none."""
    failed = setup_roboflow()
    if failed is not None:
        return failed
    cmd = [str(RF_VENV / "bin" / "python"), __file__, "--roboflow-worker", "--rounds", str(rounds)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        return f"Roboflow's run failed: {done.stderr.strip().splitlines()[-1:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ---- report ------------------------------------------------------------------------------


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_curve(kind: str, rounds: int) -> None:
    rows = curve(kind, rounds)
    first = rows[0][1]
    print(f"\n{kind}: {CHAIN}-node chain over {N_ITEMS} items ({_load()})")
    print(
        f"{'batch':>6} {'engine us/input':>16} {'plain us/input':>15}"
        f" {'engine/plain':>13} {'vs batch 1':>11}"
    )
    for b, eng, pl in rows:
        mark = "ok" if eng / pl <= GOAL_RATIO else "MISSED"
        print(f"{b:>6} {eng:>16.1f} {pl:>15.1f} {eng / pl:>12.2f}x {eng / first:>10.2f}x  {mark}")


def print_roboflow(rounds: int, with_roboflow: bool) -> None:
    ours = opgraph_steps(rounds)
    peer: dict[str, Any] | str = roboflow(rounds) if with_roboflow else "skipped (--no-roboflow)"
    name = f"Roboflow EE (inference {peer['version']})" if isinstance(peer, dict) else "Roboflow EE"
    print(
        f"\n{RF_STEPS} steps of a detections filter over {N_ITEMS} detections,"
        f" us per step ({_load()})"
    )
    print(f"{'inputs':>6} {'opgraph':>10} {name:>30} {'ours / theirs':>14}")
    for b in RF_BATCHES:
        if isinstance(peer, dict):
            theirs = peer[str(b)]
            verdict = "ok" if b != 32 or ours[b] < theirs else "MISSED"
            print(f"{b:>6} {ours[b]:>10.1f} {theirs:>30.1f} {ours[b] / theirs:>13.2f}x  {verdict}")
        else:
            print(f"{b:>6} {ours[b]:>10.1f} {'-':>30}")
    if isinstance(peer, str):
        print(f"Roboflow not measured: {peer}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best is kept")
    ap.add_argument("--kinds", default="concept,region", help="curves to print")
    ap.add_argument("--no-roboflow", action="store_true", help="skip Roboflow's engine")
    ap.add_argument("--setup", action="store_true", help="install Roboflow's engine and exit")
    ap.add_argument("--roboflow-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.roboflow_worker:
        roboflow_worker(args.rounds)
        return
    if args.setup:
        failed = setup_roboflow()
        print(failed or f"Roboflow's engine is ready in {RF_VENV}")
        sys.exit(1 if failed else 0)
    sys.path.insert(0, str(REPO))
    command = " ".join(["python", "benchmarks/batch.py", *sys.argv[1:]])
    print(f"{command}  ({_load()}, {args.rounds} rounds; CPU time of this process)")
    for kind in filter(None, args.kinds.split(",")):
        print_curve(kind, args.rounds)
    print_roboflow(args.rounds, not args.no_roboflow)


if __name__ == "__main__":
    main()
