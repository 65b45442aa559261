#!/usr/bin/env python
"""The numbers tests/test_topics.py asserts on, for measuring how much they move with the BLAS
build, its thread count and numba's target CPU (see docs/reproducibility.md).

Set the variables before starting (they are read when the libraries load), e.g.

    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Sandybridge .venv/bin/python scripts/repro_topics.py

One JSON line: the session fit of the tests (e5-small, 300 celine complaints, min_cluster_size
10): its topic count, outlier share before reduction, 未归类, the largest topic's share, label
checks, NMI/AMI against the people's categories and the shuffled-topics baseline the test
computes, the topic richest in 催收行为类 (its label, its share over the base share, how many of
all 催收行为类 texts it holds), how often assign agrees with the fit, the emerging-topic numbers
of test_emerging_topic_from_texts_no_topic_fits, and a hash of the topics. `--seed N` fits the
same model with another random_state.
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

        # the tests' fit (e5-small, min_cluster_size 10, models in the session folder), another seed
        H.fitted = functools.lru_cache(maxsize=None)(lambda: fit_topics(
            list(H.normalised()), TopicOptions(min_cluster_size=10, embedding="e5-small",
                                               random_state=args.seed), models_root=H.models()))

    from voc.text.normalize import normalize
    from voc.topics.assign import assign_texts
    from voc.topics.labels import LABEL_HEAD_STOP, label_head

    r = H.fitted()
    m = r.model
    y = np.array(H.celine()[1])
    topics = np.array(r.topics)
    labels = [row.label for row in r.table if row.topic != -1]
    nmi = normalized_mutual_info_score(y, topics)
    rng = np.random.default_rng(0)
    shuffled = [normalized_mutual_info_score(y, rng.permutation(topics)) for _ in range(200)]
    # test_fit_finds_readable_chinese_topics_on_real_complaints: the topic with the largest share
    # of 催收行为类 (label 0): its label, that share over the base share (test: > 1.5) and the part
    # of all 催收行为类 texts it holds (test: at least half)
    rows = {row.topic: row for row in r.table if row.topic != -1}
    share = {t: float((y[topics == t] == 0).mean()) for t in rows}
    richest = max(share, key=share.get)
    base = float((y == 0).mean())
    bank = list(H.normalised())[:60]
    food = [normalize(t) for t in H.waimai(60)]
    res = assign_texts(m, bank + food)
    em = {"food_unfit": float(np.mean([t == -1 for t in res.topics[60:]])),
          "bank_unfit": float(np.mean([t == -1 for t in res.topics[:60]])),
          "groups": len(res.groups)}
    if res.groups:
        g = res.groups[0]
        members = [i for i, e in enumerate(res.emerging) if e == g.key]
        em.update(key=g.key, size=g.size, members=len(members),
                  food_share=round(sum(i >= 60 for i in members) / len(members), 4),
                  label=g.label, keywords=g.keywords[:6],
                  food_words=sorted(set(g.keywords) & {"送", "外卖", "送餐", "慢", "小时", "味道",
                                                        "难吃", "饭", "送到", "分钟"}))
    assigned, _ = m.assign(list(H.normalised()))
    env = {k: os.environ.get(k, "") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                               "OPENBLAS_CORETYPE", "NUMBA_CPU_NAME")}
    from threadpoolctl import threadpool_info

    blas = sorted({f"{i['internal_api']}:{i.get('architecture')}:{i['num_threads']}"
                   for i in threadpool_info()})
    print(json.dumps({
        "env": env, "blas": blas, "seed": args.seed, "embedder": m.embedder.info()["kind"],
        "n_topics": len(m.topic_ids),
        "outliers_before_reduction": float(np.mean(np.array(r.clustered) == -1)),
        "unfit": int(r.topics.count(-1)), "unfit_share": round(r.topics.count(-1) / len(r.topics), 4),
        "noise": r.report["noise"], "reassigned": r.report["reassigned"],
        "largest_share": round(max(r.topics.count(t) for t in m.topic_ids) / len(r.topics), 4),
        "labels_chinese": all(re.search(r"[\u4e00-\u9fff]", lab) for lab in labels),
        "labels_unique": len(set(labels)) == len(labels),
        "labels_bad_head": [lab for lab in labels if label_head(lab) in LABEL_HEAD_STOP
                            or re.match(r"\d", lab)],
        "representatives": all(row.representative for row in r.table if row.topic != -1),
        "nmi": round(float(nmi), 4), "ami": round(float(adjusted_mutual_info_score(y, topics)), 4),
        "shuffled_nmi_mean": round(float(np.mean(shuffled)), 4),
        "shuffled_nmi_max": round(float(np.max(shuffled)), 4),
        "nmi_over_chance": round(float(nmi - np.max(shuffled)), 4),
        "collection_label": rows[richest].label,
        "collection_share": round(share[richest], 4), "collection_base": round(base, 4),
        "collection_share_over_base": round(share[richest] / base, 3),
        "collection_size": int((topics == richest).sum()),
        "collection_held": round(float(((topics == richest) & (y == 0)).sum() / (y == 0).sum()), 4),
        "assign_agrees_with_fit": round(float(np.mean(np.array(assigned) == topics)), 4),
        "emerging": em,
        "labels": labels,
        "topics": r.topics,
        "topics_sha": hashlib.sha256(json.dumps(r.topics).encode()).hexdigest()[:12],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
