"""voc.topics on real texts: tokens, taxonomy, fit, reproducibility, save/load, assignment,
emerging topics, trends, offline charts, workspace, the sentence-transformers path."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import topics_helpers as H

from voc.errors import ConfigError, InputError, ModelError
from voc.schema import Transcript, Utterance

# -- tokens, options, taxonomy ----------------------------------------------------------------


def test_tokens_drop_fillers_greetings_script_and_numbers():
    from voc.text.normalize import normalize
    from voc.topics.embed import add_words, topic_tokens
    from voc.topics.taxonomy import load_taxonomy

    add_words(load_taxonomy().seed_words())
    words = topic_tokens(normalize("嗯嗯，那个，就是您好请问有什么可以帮您，我的信用卡被暴力催收了，"
                                   "还爆通讯录，2022年3月扣了年费300元，谢谢"))
    assert {"信用卡", "暴力催收", "爆通讯录", "年费"} <= set(words)
    assert not {"嗯", "那个", "就是", "您好", "请问", "谢谢", "2022", "300", "年", "月"} & set(words)



def test_tokens_drop_people_s_names_but_keep_words_that_start_with_a_surname():
    from voc.text.normalize import normalize
    from voc.topics.embed import topic_tokens

    # names said during verification (unknown to jieba, or rare entries tagged nr) never become
    # topic keywords; dictionary words that start with a surname character stay
    words = set(topic_tokens(normalize("我叫韩晓燕，李文博是我老公，欧阳明也办了，王先生说白金卡在"
                                       "高原地区网点周末营业，张家口也有金卡")))
    assert not {"韩晓燕", "李文博", "欧阳明", "王先生"} & words
    assert {"白金卡", "高原地区", "网点", "周末", "张家口", "金卡"} <= words

def test_options_are_checked_and_name_the_choices():
    from voc.config import load_settings
    from voc.topics.options import TopicOptions

    with pytest.raises(ConfigError, match="free, guided or zeroshot"):
        TopicOptions(mode="magic")
    with pytest.raises(ConfigError, match="customer"):
        TopicOptions(roles=["boss"])
    o = TopicOptions.from_settings(load_settings(), mode="guided", nr_topics=None)
    assert o.mode == "guided" and o.roles == ["customer"] and o.nr_topics == 0
    assert o.cluster_size(200) == 6 and o.cluster_size(4592) == 46 and o.cluster_size(10 ** 6) == 500
    # min_samples: half the smallest topic, between 2 and 10
    assert o.samples(200) == 3 and o.samples(4592) == 10 and o.samples(10 ** 6) == 10
    assert TopicOptions(min_cluster_size=4).samples(50) == 2
    assert TopicOptions(min_samples=7).samples(200) == 7


def test_default_taxonomy_and_a_banks_own(tmp_path):
    from voc.topics.taxonomy import load_taxonomy, match_category

    tax = load_taxonomy()
    # the bank's words: the names a manager reads on the topics page
    assert {"催收投诉", "扣费争议", "合同条款", "客户服务", "营销宣传", "征信异议", "盗刷与争议交易",
            "挂失补卡", "网点服务", "理财亏损"} <= set(tax.names)
    assert "暴力催收" in tax.categories[tax.names.index("催收投诉")].seeds
    assert match_category([("催收", 0.5), ("骚扰", 0.3), ("工作", 0.2)], tax) == ("催收投诉", ["催收", "骚扰"])
    assert match_category([("天气", 1.0)], tax) == (None, [])

    own = tmp_path / "bank.yaml"
    own.write_text("name: 我行\ntopics:\n  - name: 分期\n    seeds: [分期, 账单分期]\n"
                   "  - name: 积分\n    seeds: 积分，兑换\n", encoding="utf-8")
    mine = load_taxonomy(own)
    assert mine.names == ["分期", "积分"] and mine.categories[1].seeds == ("积分", "兑换")
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics:\n  - name: 空\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no seed words"):
        load_taxonomy(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_taxonomy(tmp_path / "missing.yaml")


def test_customer_side_text_by_default():
    from voc.topics.pipeline import collect, topic_text

    t = Transcript("c1", "x.wav", "call", 30.0, {"time": "2026-05-01T10:00:00", "product": "信用卡"}, [
        Utterance(0, 1, "ch0", "agent", "您好，很高兴为您服务"),
        Utterance(1, 3, "ch1", "customer", "我的卡被盗刷了，卡号6222021234567894"),
        Utterance(3, 4, "ch0", "agent", "请您稍等")])
    assert topic_text(t) == "我的卡被盗刷了，卡号6222021234567894"
    # the agent's lines here are pure script: nothing of them is left, whoever is asked for
    assert topic_text(t, ["all"]) == topic_text(t) and topic_text(t, ["agent"]) == ""
    unknown = Transcript("c2", "chat", "chat", None, {}, [Utterance(None, None, "a", "unknown", "你好"),
                                                          Utterance(None, None, "b", "unknown", "年费")])
    assert topic_text(unknown) == "你好，年费"
    docs, empty = collect([t, unknown], ["customer"])
    assert [d.id for d in docs] == ["c1", "c2"] and not empty
    assert "6222021234567894" not in docs[0].text  # redacted before anything is kept
    assert docs[0].fields == {"product": "信用卡", "channel": "call"}
    assert docs[0].time == "2026-05-01T10:00:00"
    docs, empty = collect([t], ["unknown"])
    assert docs == [] and empty == ["c1"]


def test_agent_script_and_name_never_reach_the_topic_text():
    """Script phrases (the shared list of voc/text/script.py) and the agent's name are taken out
    of every utterance that makes the topic text, also when roles are unknown or wrong."""
    from voc.topics.pipeline import strip_script, topic_text

    t = Transcript("c3", "x.wav", "call", 20.0, {"agent_name": "小何"}, [
        Utterance(0, 1, "ch0", "agent", "您好，我是客服专员小何，工号1234，请问有什么可以帮您"),
        Utterance(1, 3, "ch1", "customer", "你好小何，我的信用卡丢了要挂失"),
        Utterance(3, 4, "ch1", "customer", "请您稍等"),  # a script line in the wrong role
        Utterance(4, 5, "ch0", "agent", "祝您生活愉快，再见")])
    text = topic_text(t)
    assert "挂失" in text and "小何" not in text and "稍等" not in text
    everything = topic_text(t, ["all"])
    assert not any(w in everything for w in ("工号", "1234", "生活愉快", "小何", "可以帮您"))
    assert strip_script("请您稍等") == "" and strip_script("年费太贵了") == "年费太贵了"


def test_labels_are_bank_words_or_a_phrase_never_a_unit_or_function_word():
    from voc.topics.labels import LABEL_HEAD_STOP, label_head, phrase, topic_label

    assert topic_label("催收投诉", ["块钱", "催收", "暴力催收", "一下", "家人", "朋友"], [], 0) == \
        "催收投诉｜暴力催收·家人·朋友"
    lab = topic_label(None, ["块钱", "网点", "营业", "周末", "关门"], ["呃，请问你们网点周末营业吗？几点关门"], 3)
    assert lab == "网点周末营业" and label_head(lab) not in LABEL_HEAD_STOP
    assert phrase(["我就是问一下"], ["一下", "就是"]) == ""  # no content word: no phrase
    assert topic_label(None, ["3块钱", "就是", "扣费", "短信"], [], 7) == "扣费·短信"
    assert {"块钱", "就是", "一下", "这个", "我们"} <= LABEL_HEAD_STOP


# -- fit --------------------------------------------------------------------------------------


# The fit is seeded, but UMAP turns last-bit float differences (numba's target CPU, BLAS build,
# thread count) into other topics (docs/reproducibility.md), so the fit test asserts what a fit
# may not lose, with room: measured with e5-small on these 300 texts (seed 42, 2026-12-07):
# 5 topics, NMI 0.171 against the people's categories (0.049 the best of 200 shuffles), 0 未归类,
# the largest topic 28 %, the topic richest in 催收行为类 named 催收投诉, 77 % of it 催收行为类
# (base 22 %) and holding 46 of the 67 催收行为类 texts; seeds 0-4 and NUMBA_CPU_NAME=generic
# gave 5-7 topics, NMI over chance 0.098-0.143, 0-14 未归类. NMI_OVER_CHANCE was 0.03: its room
# from the worst of those (0.068) was only 1.5x their spread (0.045); at 0.02 it is 1.7x, and the
# topics must still beat the best of 200 shuffles.
N_TOPICS = range(2, 13)
NMI_OVER_CHANCE = 0.02


def test_fit_finds_readable_chinese_topics_on_real_complaints():
    from sklearn.metrics import normalized_mutual_info_score

    from voc.topics.labels import LABEL_HEAD_STOP, label_head

    r = H.fitted()
    m = r.model
    assert m.embedder.info()["kind"] == "e5"
    assert len(r.topics) == 300 and len(m.topic_ids) in N_TOPICS
    # outliers that fit no topic stay 未归类, the others joined their nearest topic; none is huge.
    # HDBSCAN may find no noise at all: on some CPUs UMAP packs these 300 texts into two tight
    # blobs (one of 280, split by the balance rule), so 0 outliers is a valid fit, not a loss
    assert 0 <= r.topics.count(-1) <= 0.2 * 300 and r.clustered.count(-1) >= r.topics.count(-1)
    assert r.report["noise"] - r.report["reassigned"] == r.topics.count(-1)
    assert max(r.topics.count(t) for t in m.topic_ids) <= 0.35 * 300
    labels = [row.label for row in r.table if row.topic != -1]
    assert all(re.search(r"[\u4e00-\u9fff]", lab) for lab in labels)
    assert len(set(labels)) == len(labels)
    assert not [lab for lab in labels if label_head(lab) in LABEL_HEAD_STOP or re.match(r"\d", lab)]
    # the topics follow the people's categories far above chance: the baseline is the best NMI
    # of 200 shuffles of the same topics (same sizes, no relation to the texts)
    y, topics = np.array(H.celine()[1]), np.array(r.topics)
    nmi = normalized_mutual_info_score(y, topics)
    rng = np.random.default_rng(0)
    chance = max(normalized_mutual_info_score(y, rng.permutation(topics)) for _ in range(200))
    assert nmi >= chance + NMI_OVER_CHANCE, (nmi, chance)
    # complaints about debt collection (催收行为类 to people) gather in a topic named for them
    rows = {row.topic: row for row in r.table if row.topic != -1}
    share = {t: (y[topics == t] == 0).mean() for t in rows}
    richest = max(share, key=share.get)
    assert rows[richest].label.startswith(("催收投诉｜", "贷款与逾期｜")), (rows[richest].label, share)
    # what may not be lost: most collection complaints land in that topic (46-51 of 67 over the
    # settings and seeds measured; a random topic of its size would hold about a quarter) and it
    # is clearly richer in them than the whole. Its share over the base moved 2.79-3.43 with the
    # topic's size (60-67 texts at 5 topics, 71-78 at 7), so the old bound of 2x the base had a room
    # (0.79) of only 1.2x that spread: the enrichment bound is 1.5x (room 2x the spread).
    held = ((topics == richest) & (y == 0)).sum() / (y == 0).sum()
    assert held >= 0.5, (held, share)
    assert share[richest] > 1.5 * (y == 0).mean(), share
    assert all(row.representative for row in r.table if row.topic != -1)
    assert r.label(r.topics[0]) == m.label(r.topics[0])


def test_same_input_same_topics():
    from voc.topics.model import fit_topics
    from voc.topics.options import TopicOptions

    again = fit_topics(list(H.normalised()), TopicOptions(min_cluster_size=10, embedding="e5-small"),
                       models_root=H.models())
    first = H.fitted()
    assert again.topics == first.topics and again.clustered == first.clustered
    assert [r.label for r in again.table] == [r.label for r in first.table]


def test_too_few_texts_is_an_input_error():
    from voc.topics.model import fit_topics

    with pytest.raises(InputError, match="at least 10"):
        fit_topics(["信用卡年费"] * 3)


# -- save, load, assign -----------------------------------------------------------------------


def test_saved_model_is_safetensors_and_assigns_like_the_fitted_one():
    from voc.topics.model import TopicModel

    folder = H.saved()
    names = {p.name for p in folder.rglob("*") if p.is_file()}
    assert {"topic_embeddings.safetensors", "ctfidf.safetensors", "ctfidf_config.json",
            "config.json", "topics.json", "voc_topics.json"} <= names
    # the e5 weights stay in models.dir (checked by sha256 there), never copied or pickled
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib", ".bin"))]
    fitted = H.fitted().model
    loaded = TopicModel.load(folder.parent if folder.name == "model" else folder, models_root=H.models())
    assert loaded.embedder.info() == fitted.embedder.info() and loaded.fit_report == fitted.fit_report
    texts = list(H.normalised())
    a1, s1 = fitted.assign(texts)
    a2, s2 = loaded.assign(texts)
    assert a1 == a2 and np.allclose(s1, s2, atol=1e-6)
    assert loaded.labels == fitted.labels and loaded.model_id == fitted.model_id
    assert np.mean(np.array(a1) == np.array(H.fitted().topics)) > 0.7  # agrees with the fit
    assert loaded.bertopic.vectorizer_model.transform(["信用卡被暴力催收"]).sum() >= 1
    with pytest.raises(ModelError, match="not a voc topic model"):
        TopicModel.load(folder / "embedder")


def test_emerging_topic_from_texts_no_topic_fits():
    """Complaints about late food delivery are new to a bank-complaint model: many fit no topic
    (47 % to 57 % over the BLAS and numba settings and seeds 0-4, docs/reproducibility.md), the
    bank's own texts rarely do (0 % to 3 %), and the unfit ones group into one emerging topic."""
    from voc.text.normalize import normalize
    from voc.topics.assign import assign_texts

    bank = list(H.normalised())[:60]
    food = [normalize(t) for t in H.waimai(60)]
    res = assign_texts(H.fitted().model, bank + food)
    assert np.mean([t == -1 for t in res.topics[60:]]) >= 0.3
    assert np.mean([t == -1 for t in res.topics[:60]]) <= 0.25
    assert res.groups, "no emerging topic"
    g = res.groups[0]
    members = [i for i, e in enumerate(res.emerging) if e == g.key]
    assert g.key == "E1" and g.size == len(members) >= 5 and g.label.startswith("新话题E1：")
    assert sum(i >= 60 for i in members) / len(members) >= 0.7
    assert set(g.keywords) & {"送", "外卖", "送餐", "慢", "小时", "味道", "难吃", "饭", "送到", "分钟"}
    assert res.labels(H.fitted().model)[members[0]] == g.label


# -- trends and charts ------------------------------------------------------------------------


def test_trends_by_day_week_and_class():
    from voc.topics import trends

    rows = [{"topic": t, "topic_label": f"T{t}", "time": d, "product": p}
            for t, d, p in [(0, "2026-05-04 09:00", "信用卡"), (0, "2026-05-04T10:00:00", "信用卡"),
                            (1, "2026-05-05", "借记卡"), (1, "2026-05-11", "借记卡"),
                            (1, "2026-05-11", "信用卡"), (2, None, "信用卡"), (0, "bad", None)]]
    day = trends.over_time(rows, "day")
    assert [(r["period"], r["topic"], r["count"]) for r in day] == [
        ("2026-05-04", 0, 2), ("2026-05-05", 1, 1), ("2026-05-11", 1, 2)]
    week = trends.over_time(rows, "week")
    assert {(r["period"], r["topic"]): r["share"] for r in week} == {
        ("2026-05-04", 0): 0.6667, ("2026-05-04", 1): 0.3333, ("2026-05-11", 1): 1.0}
    cls = trends.per_class(rows, "product")
    card = [r for r in cls if r["class"] == "信用卡"]
    assert sum(r["count"] for r in card) == 4 and abs(sum(r["share"] for r in card) - 1) < 1e-3
    up = trends.rising(rows, "week", min_count=1)
    assert up[0]["topic"] == 1 and up[0]["change"] > 0
    with pytest.raises(ConfigError, match="day or week"):
        trends.over_time(rows, "month")


def test_charts_are_self_contained_html(tmp_path):
    from voc.topics import charts, trends

    rows = [{"topic": i % 3, "topic_label": f"话题{i % 3}", "time": f"2026-05-0{1 + i % 4}",
             "channel": "call" if i % 2 else "chat"} for i in range(30)]
    figs = [charts.sizes_figure(trends.topic_sizes(rows)),
            charts.time_figure(trends.over_time(rows)),
            charts.class_figure(trends.per_class(rows, "channel"), "channel"),
            charts.emerging_figure([{"label": "新话题E1：外卖", "size": 7}])]
    p = charts.write_html(tmp_path / "t.html", figs, "话题")
    page = p.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert page.count("Plotly.newPlot") == 4 and len(page) > 1_000_000  # plotly.js inlined
    assert all(json.dumps(w)[1:-1] in page for w in ("话题0", "新话题E1"))  # JSON-escaped
    assert "<script" not in charts.figure_div(figs[0]).split("Plotly.newPlot")[0].split(">", 1)[0]


# -- workspace and voc run hook ---------------------------------------------------------------


def test_assignments_and_topics_go_to_the_workspace(tmp_path):
    from voc.store import Workspace
    from voc.topics.pipeline import store

    m = H.fitted().model
    rows = [{"id": f"c{i}", "topic": t, "topic_label": m.label(t), "time": "2026-05-01",
             "product": "信用卡"} for i, t in enumerate(H.fitted().topics[:20])]
    with Workspace(tmp_path / "ws") as ws:
        store(ws, m, rows, None)
        store(ws, m, rows[:5], None)  # again: replaced, not duplicated
        got = ws.topic_assignments()
        assert len(got) == 20 and got[0]["model_id"] == m.model_id
        assert got[0]["fields"] == {"product": "信用卡"} and got[0]["time"] == "2026-05-01"
        table = ws.topics()
        assert {r["topic"] for r in table} == {r.topic for r in m.table}
        assert ws.topic_models()[0]["n_topics"] == len(m.topic_ids)


def test_run_stage_hook(tmp_path):
    from voc.config import load_settings
    from voc.run import StageSkipped
    from voc.store import Workspace
    from voc.topics import run_stage

    texts = H.celine(5)[0]
    batch = [(Transcript(f"id{i}", "x.csv", "text", None, {"time": "2026-05-02"},
                         [Utterance(None, None, "text", "customer", t)]), {}) for i, t in enumerate(texts)]
    with Workspace(tmp_path / "ws") as ws:
        with pytest.raises(StageSkipped, match="topics.model"):
            run_stage(batch, ws, None, load_settings(environ={}))
        s = load_settings({"topics.model": str(H.saved()), "models.dir": str(H.models())}, environ={})
        assert run_stage(batch, ws, "r1", s) == 5
        rows = ws.topic_assignments()
        assert [r["id"] for r in rows] == [f"id{i}" for i in range(5)]
        assert all(r["run_id"] == "r1" for r in rows)


# -- sentence-transformers from a local folder ------------------------------------------------


def test_sentence_transformers_embedder_from_a_local_folder(tmp_path, no_network):
    from voc.topics.embed import SentenceEmbedder, make_embedder
    from voc.topics.model import TopicModel, fit_topics
    from voc.topics.options import TopicOptions

    texts = list(H.normalised())[:120]
    folder = H.tiny_sentence_model(tmp_path, texts)
    e = make_embedder(str(folder))
    assert isinstance(e, SentenceEmbedder)
    r = fit_topics(texts, TopicOptions(min_cluster_size=10, embedding=str(folder)))
    assert r.model.embedder.info()["kind"] == "sentence-transformers"
    out = r.model.save(tmp_path / "model")
    assert not (out / "embedder" / "lsa.json").exists()
    loaded = TopicModel.load(out)
    assert loaded.assign(texts[:30])[0] == r.model.assign(texts[:30])[0]
    with pytest.raises(ConfigError, match="unknown embedding"):
        make_embedder("no-such-model")
    with pytest.raises(ModelError, match="not a sentence-transformers model"):
        SentenceEmbedder(tmp_path).embed(["x"])


def test_manifest_has_a_chinese_embedding_model_to_fetch():
    from voc.models import load_manifest

    specs = load_manifest()
    emb = [s for s in specs.values() if s.engine == "sentence-transformers"]
    assert any("bge-small-zh" in s.source for s in emb)
    assert all(s.source.startswith("huggingface:") for s in emb)


# -- guided and zero-shot ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["guided", "zeroshot"])
def test_guided_and_zeroshot_use_the_taxonomy(mode):
    from voc.topics.model import fit_topics
    from voc.topics.options import TopicOptions

    r = fit_topics(list(H.normalised()), TopicOptions(min_cluster_size=10, mode=mode,
                                                      zeroshot_min_similarity=0.3))
    names = set(r.model.taxonomy.names)
    cats = [row.category for row in r.table if row.category]
    assert cats and set(cats) <= names
    if mode == "zeroshot":  # zero-shot topics carry their category whatever their keywords
        assert r.model.bertopic.zeroshot_topic_list
    else:
        assert r.model.bertopic.seed_topic_list and r.model.bertopic.ctfidf_model.seed_words


def test_risk_level_class_from_stored_analyses(tmp_path):
    from voc.store import Workspace
    from voc.topics.pipeline import Doc, add_analysis_classes

    ts = [Transcript(f"a{i}", "x.csv", "text", None, {},
                     [Utterance(None, None, "text", "customer", "年费太高")]) for i in range(3)]
    an = [{"id": f"a{i}", "risk": {"level": lvl, "score": 0.5}, "sentiment": {"label": "negative"}}
          for i, lvl in enumerate(["high", "low", "low"])]
    with Workspace(tmp_path / "ws") as ws:
        ws.save_transcripts(ts, None, analyses=an)
        docs = [Doc(f"a{i}", "年费太高") for i in range(4)]
        assert add_analysis_classes(ws, docs, ["risk_level", "产品"]) == 3
        assert [d.fields.get("risk_level") for d in docs] == ["high", "low", "low", None]
        assert "sentiment" not in docs[0].fields  # only the classes asked for


# -- balance, outliers, share rises (plumbing on small arrays) ----------------------------------


def test_an_oversized_incoherent_topic_is_split_and_a_coherent_one_kept():
    from voc.topics.cluster import ClusterReport, _unit, reassign_noise, split_large

    rng = np.random.default_rng(0)
    axes = np.eye(8, dtype=np.float32)

    def blob(i, n, spread):
        return _unit(axes[i] + spread * rng.standard_normal((n, 8)).astype(np.float32))

    # topic 0 is two themes (axes 0 and 1) in one cluster, 60 % of the texts; 1 and 2 are tight
    x = np.vstack([blob(0, 30, 0.1), blob(1, 30, 0.1), blob(2, 20, 0.1), blob(3, 20, 0.1)])
    labels = np.array([0] * 60 + [1] * 20 + [2] * 20)
    rep = ClusterReport()
    out = split_large(x, x, labels, 1 / 3, 5, 0, rep)
    assert len(rep.splits) == 1 and max(np.bincount(out)) <= 40
    assert len(set(out[:30].tolist())) == 1 and out[0] != out[30]  # split along the two themes
    # one theme, tight: kept whole however big
    y = np.vstack([blob(0, 60, 0.05), blob(2, 20, 0.3), blob(3, 20, 0.3)])
    rep = ClusterReport()
    kept = split_large(y, y, labels, 1 / 3, 5, 0, rep)
    assert (kept == labels).all() and rep.unsplit and not rep.splits
    # noise: near a topic joins it, far from all stays 未归类
    z = np.vstack([x[60:], blob(2, 1, 0.05), blob(6, 1, 0.05)])
    lab = np.array([1] * 20 + [2] * 20 + [-1, -1])
    rep = ClusterReport()
    got = reassign_noise(z, lab, 0.1, rep)
    assert got[-2] == 1 and got[-1] == -1 and rep.noise == 2 and rep.reassigned == 1


def test_a_known_topic_whose_share_jumps_is_reported():
    from voc.topics import trends

    rows = []
    for day in range(1, 8):
        n_fee = 30 if day == 7 else 3  # 年费 goes from 3 % to 30 % on the last day
        rows += [{"topic": 0, "topic_label": "扣费争议", "time": f"2026-05-0{day}"}] * n_fee
        rows += [{"topic": 1, "topic_label": "挂失补卡", "time": f"2026-05-0{day}"}] * (100 - n_fee)
        rows += [{"topic": -1, "topic_label": "未归类", "time": f"2026-05-0{day}"}] * 5
    up = trends.share_rises(rows)
    assert [r["topic"] for r in up] == [0] and up[0]["ratio"] > 5 and up[0]["z"] > 3
    steady = [r for r in rows if r["time"] != "2026-05-07"]
    assert trends.share_rises(steady) == []


def test_demo_scenarios_fall_into_topics_of_their_own_with_the_defaults():
    """200 scripted contacts (customer side): with the default options (LSA, smallest topic and
    min_samples scaled for a small set, one SVD dimension per 10 texts) branch hours, collection
    and card loss each land mostly in one topic that holds nothing else, and few stay 未归类."""
    from collections import Counter

    from voc.demo import generate
    from voc.topics.embed import LsaEmbedder
    from voc.topics.model import fit_topics
    from voc.topics.options import TopicOptions
    from voc.topics.pipeline import collect

    records = generate(200)
    docs, _ = collect(records)
    scenario = {t.id: t.meta["scenario"] for t in records}
    texts = [d.text for d in docs]
    assert LsaEmbedder(dims=200).fit(texts).components.shape[0] == 20  # one per 10 texts
    r = fit_topics(texts, TopicOptions())
    n = len(texts)
    assert r.topics.count(-1) / n <= 0.1
    assert max(Counter(t for t in r.topics if t != -1).values()) / n <= 0.35
    for name in ("branch_hours", "collection", "card_loss"):
        mine = [t for d, t in zip(docs, r.topics) if scenario[d.id] == name]
        best, k = Counter(mine).most_common(1)[0]
        members = [scenario[d.id] for d, t in zip(docs, r.topics) if t == best]
        assert best != -1 and k / len(mine) > 0.5, (name, Counter(mine))
        assert members.count(name) / len(members) > 0.8, (name, Counter(members))


def test_many_texts_are_clustered_on_a_sample_and_classified():
    """Above cluster_limit distinct texts (LSA too) the topics come from a random sample and
    every text gets one of them (or 未归类) from the TF-IDF classifier; the report says so."""
    from voc.topics.model import fit_topics, sample_limit
    from voc.topics.options import TopicOptions

    texts = list(H.normalised())
    opts = TopicOptions(cluster_limit=150)
    assert sample_limit(opts, type("Lsa", (), {"kind": "lsa"})()) == 150
    assert sample_limit(TopicOptions(cluster_limit=0), type("Lsa", (), {"kind": "lsa"})()) == 0
    assert sample_limit(opts, type("E5", (), {"kind": "e5"})()) == 150
    assert sample_limit(TopicOptions(), type("E5", (), {"kind": "e5"})()) == 6000
    r = fit_topics(texts, opts)
    assert r.report["sampled"] == 150 and r.report["texts"] == len(texts)
    assert 0 <= r.report["classifier_agreement"] <= 1
    assert len(r.topics) == len(texts) and set(r.topics) <= {-1, *r.model.topic_ids}
    assert sum(row.size for row in r.table) == len(texts)
    # the texts outside the sample get real topics, not all one
    assert len(set(r.topics)) > 2
