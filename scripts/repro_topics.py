#!/usr/bin/env python
"""The numbers tests/test_topics.py asserts on, for measuring how much they move with the BLAS
build, its thread count and numba's target CPU (see docs/reproducibility.md).

Set the variables before starting (they are read when the libraries load), e.g.

    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Sandybridge .venv/bin/python scripts/repro_topics.py

One JSON line: the session fit of the tests (300 celine complaints, min_cluster_size 10), its
topic count, outlier share before reduction, NMI/AMI against the people's categories and the
shuffled-topics baseline the test computes, the debt-collection topic's share of 催收行为类, the
emerging-topic numbers of test_emerging_topic_from_texts_no_topic_fits, and a hash of the topics.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
import topics_helpers as H  # noqa: E402


def main() -> None:
    import argparse
    import functools

    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None,
                    help="random_state of the fit instead of the default 42: another seed moves "
                         "UMAP the way another BLAS build does, only further")
    args = ap.parse_args()
    if args.seed is not None:
        from voc.topics.model import fit_topics
        from voc.topics.options import TopicOptions

        H.fitted = functools.lru_cache(maxsize=None)(lambda: fit_topics(
            list(H.normalised()), TopicOptions(min_cluster_size=10, random_state=args.seed)))

    from voc.text.normalize import normalize
    from voc.topics.assign import assign_texts

    r = H.fitted()
    m = r.model
    y = np.array(H.celine()[1])
    topics = np.array(r.topics)
    labels = [row.label for row in r.table if row.topic != -1]
    nmi = normalized_mutual_info_score(y, topics)
    rng = np.random.default_rng(0)
    shuffled = [normalized_mutual_info_score(y, rng.permutation(topics)) for _ in range(200)]
    collection = [row for row in r.table if "催收" in row.keywords[:3]]
    purity = None
    if collection:
        members = topics == collection[0].topic
        purity = float((y[members] == 0).mean() / (y == 0).mean())
    by_label = [row for row in r.table if row.topic != -1 and "催收" in row.label]
    label_purity = None
    if by_label:
        members = topics == by_label[0].topic
        label_purity = float((y[members] == 0).mean() / (y == 0).mean())
    bank = list(H.normalised())[:60]
    food = [normalize(t) for t in H.waimai(60)]
    res = assign_texts(m, bank + food)
    em = {"food_unfit": float(np.mean([t == -1 for t in res.topics[60:]])),
          "bank_unfit": float(np.mean([t == -1 for t in res.topics[:60]])),
          "groups": len(res.groups)}
    if res.groups:
        g = res.groups[0]
        members = [i for i, e in enumerate(res.emerging) if e == g.key]
        em.update(size=g.size, food_share=sum(i >= 60 for i in members) / len(members),
                  keywords=g.keywords[:6])
    assigned, _ = m.assign(list(H.normalised()))
    env = {k: os.environ.get(k, "") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                               "OPENBLAS_CORETYPE", "NUMBA_CPU_NAME")}
    from threadpoolctl import threadpool_info

    blas = sorted({f"{i['internal_api']}:{i.get('architecture')}:{i['num_threads']}"
                   for i in threadpool_info()})
    print(json.dumps({
        "env": env, "blas": blas, "seed": args.seed, "n_topics": len(m.topic_ids),
        "outliers_before_reduction": float(np.mean(np.array(r.clustered) == -1)),
        "labels_chinese": all(re.search(r"[\u4e00-\u9fff]", lab) for lab in labels),
        "labels_unique": len(set(labels)) == len(labels),
        "nmi": round(float(nmi), 4), "ami": round(float(adjusted_mutual_info_score(y, topics)), 4),
        "shuffled_nmi_mean": round(float(np.mean(shuffled)), 4),
        "shuffled_nmi_max": round(float(np.max(shuffled)), 4),
        "collection_label": collection[0].label if collection else None,
        "collection_purity_over_base": None if purity is None else round(purity, 3),
        "collection_by_label": by_label[0].label if by_label else None,
        "collection_by_label_purity_over_base": None if label_purity is None else round(label_purity, 3),
        "assign_agrees_with_fit": round(float(np.mean(np.array(assigned) == topics)), 4),
        "emerging": em,
        "labels": labels,
        "topics": r.topics,
        "topics_sha": hashlib.sha256(json.dumps(r.topics).encode()).hexdigest()[:12],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
