"""Models trained in an app: training time, prediction time and held-out accuracy.

An app of N generated texts (three topics, each text six words of its topic's vocabulary
and two words shared by all) embedded by the hashing text embedder; three quarters are
labelled with their topic.  It prints, in one run: training an ``embeddings-classifier`` and a
``clusterer`` through ``app.train_model`` beside scikit-learn fitting the same vectors
directly; the held-out accuracy of the classifier node and the cluster purity; and the time
per input of the classifier node in a workflow beside scikit-learn's ``predict_proba`` on
the same vectors.

    .venv/bin/python benchmarks/train.py [--inputs 3000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter

import numpy as np

from engine import Workflow
from engine.app import App

TOPICS = {
    "pets": "cat kitten dog puppy leash vet purr bark fur paw collar treat",
    "cars": "engine tyre brake gear clutch fuel sedan truck bumper wheel piston exhaust",
    "food": "oven recipe salt flour butter bake roast pepper garlic onion simmer sauce",
}
SHARED = "today really quite some very the".split()


def texts(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        topic = list(TOPICS)[i % len(TOPICS)]
        words = list(rng.choice(TOPICS[topic].split(), 6)) + list(rng.choice(SHARED, 2))
        rng.shuffle(words)
        out.append((" ".join(words), topic))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=3000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = texts(args.inputs, rng)
    train = [(i, t, c) for i, (t, c) in enumerate(rows) if i % 4]
    held = [(i, t, c) for i, (t, c) in enumerate(rows) if not i % 4]
    base = Workflow("base")
    base.add("text-embedder", id="embed", params={"model": "hashing"})
    with tempfile.TemporaryDirectory() as tmp, App(os.path.join(tmp, "app"), base) as app:
        t0 = time.perf_counter()
        app.add_inputs(
            [
                {"id": f"t{i}", "data": {"text": {"raw": t}, "concepts": [{"id": c}]}}
                for i, t, c in train
            ]
            + [{"id": f"h{i}", "data": {"text": {"raw": t}}} for i, t, _ in held],
            progress=False,
        )
        load = os.getloadavg()[0]
        print(f"add {len(rows)} inputs: {time.perf_counter() - t0:.2f} s  (load {load:.1f})")
        from sklearn.cluster import KMeans  # imported before any timing, for both sides
        from sklearn.linear_model import LogisticRegression

        t0 = time.perf_counter()
        app.train_model("topic", concepts=list(TOPICS))
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.train_model("groups", "clusterer", params={"n_clusters": 3})
        ours_k = time.perf_counter() - t0

        _, ids, x = app._store.load_vectors(1, 0)
        by_id = dict(zip(ids, x, strict=True))
        xt = np.stack([by_id[f"t{i}"] for i, _, _ in train]).astype(np.float64)
        t0 = time.perf_counter()
        models = [
            LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced").fit(
                xt, [c == k for _, _, c in train]
            )
            for k in TOPICS
        ]
        plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        KMeans(n_clusters=3, n_init=10, random_state=0).fit(x.astype(np.float64))
        plain_k = time.perf_counter() - t0
        print(
            f"train embeddings-classifier ({len(train)} labelled): ours {ours:.2f} s, "
            f"scikit-learn alone {plain:.2f} s"
        )
        print(
            f"train clusterer ({len(rows)} inputs, k=3): ours {ours_k:.2f} s, "
            f"scikit-learn alone {plain_k:.2f} s"
        )

        wf = Workflow.from_dict(
            {
                "workflow": {
                    "id": "w",
                    "nodes": [
                        {
                            "id": "embed",
                            "model": {
                                "model_id": "embed",
                                "model_type_id": "text-embedder",
                                "output_info": {"params": {"model": "hashing"}},
                            },
                        },
                        {
                            "id": "topic",
                            "model": {
                                "model_id": "topic",
                                "model_type_id": "embeddings-classifier",
                                "output_info": {"params": {"max_concepts": 1}},
                            },
                            "node_inputs": [{"node_id": "embed"}],
                        },
                        {
                            "id": "groups",
                            "model": {"model_id": "groups", "model_type_id": "clusterer"},
                            "node_inputs": [{"node_id": "embed"}],
                        },
                    ],
                }
            }
        )
        inputs = [{"text": {"raw": t}} for _, t, _ in held]
        t0 = time.perf_counter()
        result = app.predict(wf, inputs)
        per_input = (time.perf_counter() - t0) / len(held) * 1e3
        got = [r.outputs[1].data.concepts[0].id for r in result.results]
        accuracy = np.mean([g == c for g, (_, _, c) in zip(got, held, strict=True)])
        clusters = [r.outputs[2].data.concepts[0].id for r in result.results]
        purity = sum(
            Counter(
                c for c, (_, _, t) in zip(clusters, held, strict=True) if t == topic
            ).most_common(1)[0][1]
            for topic in TOPICS
        ) / len(held)
        xh = np.stack([by_id[f"h{i}"] for i, _, _ in held]).astype(np.float64)
        t0 = time.perf_counter()
        for m in models:
            m.predict_proba(xh)
        plain_ms = (time.perf_counter() - t0) / len(held) * 1e3
        print(f"held-out accuracy ({len(held)} texts): {accuracy:.3f}; cluster purity {purity:.3f}")
        print(
            f"predict: embed + classify + cluster in a workflow {per_input:.3f} ms/input; "
            f"scikit-learn predict_proba alone (batched) {plain_ms:.4f} ms/input"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
