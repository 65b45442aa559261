"""Complaint taxonomies for guided and zero-shot topics (default: voc/data/topics/taxonomy.yaml).

A taxonomy is a list of categories, each with a name and seed words. `match_category` names
the category whose seeds carry most of a topic's keyword weight, so every mode (free
discovery too) can label a topic "催收｜…" when its keywords say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voc.errors import ConfigError, InputError
from voc.paths import resource

DEFAULT_TAXONOMY = resource("topics", "taxonomy.yaml")


@dataclass(frozen=True)
class Category:
    name: str
    seeds: tuple[str, ...]
    description: str = ""

    def query(self) -> str:
        """The text embedded for zero-shot matching: the name and the seeds."""
        return " ".join(dict.fromkeys([*self.name.replace("/", " ").split(), *self.seeds]))


@dataclass(frozen=True)
class Taxonomy:
    name: str
    categories: tuple[Category, ...]
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    def seed_lists(self) -> list[list[str]]:
        return [list(c.seeds) for c in self.categories]

    def seed_words(self) -> list[str]:
        return list(dict.fromkeys(w for c in self.categories for w in c.seeds))

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path,
                "topics": [{"name": c.name, "description": c.description, "seeds": list(c.seeds)}
                           for c in self.categories]}


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy YAML (default: the shipped banking taxonomy); errors name the file."""
    import yaml

    p = Path(path) if path else DEFAULT_TAXONOMY
    try:
        with open(p, encoding="utf-8-sig") as f:
            raw = yaml.safe_load(f)
    except OSError as e:
        raise InputError(p, f"cannot read the taxonomy ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise InputError(p, f"not valid YAML ({str(e).splitlines()[0]})") from None
    return taxonomy_from_dict(raw, str(p))


def taxonomy_from_dict(raw, where: str = "taxonomy") -> Taxonomy:
    if isinstance(raw, list):
        raw = {"topics": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("topics"), list) or not raw["topics"]:
        raise ConfigError(f"{where}: expected a mapping with a non-empty list `topics:` "
                          f"(each with `name:` and `seeds:`)")
    cats, seen = [], set()
    for i, t in enumerate(raw["topics"], 1):
        if not isinstance(t, dict) or not str(t.get("name") or "").strip():
            raise ConfigError(f"{where}: topic {i} has no name")
        name = str(t["name"]).strip()
        if name in seen:
            raise ConfigError(f"{where}: topic name {name!r} appears twice")
        seen.add(name)
        seeds = t.get("seeds") or []
        if isinstance(seeds, str):
            seeds = seeds.replace("，", ",").split(",")
        seeds = tuple(dict.fromkeys(s for s in (str(x).strip() for x in seeds) if s))
        if not seeds:
            raise ConfigError(f"{where}: topic {name!r} has no seed words (`seeds: [词, 词]`)")
        cats.append(Category(name=name, seeds=seeds, description=str(t.get("description") or "")))
    return Taxonomy(name=str(raw.get("name") or Path(where).stem), categories=tuple(cats),
                    path=where)


def match_category(keywords: list[tuple[str, float]], taxonomy: Taxonomy | None,
                   min_share: float = 0.2) -> tuple[str | None, list[str]]:
    """(category, matched words) for a topic's weighted keywords, or (None, []).

    A category matches when its seeds carry at least `min_share` of the keyword weight and
    more than any other category, or else when the topic's first keyword is one of its seeds;
    the matched words explain the choice.
    """
    if not taxonomy or not keywords:
        return None, []
    total = sum(max(w, 0.0) for _, w in keywords) or 1.0
    best, best_w, best_words = None, 0.0, []
    for c in taxonomy.categories:
        seeds = set(c.seeds)
        hits = [(k, w) for k, w in keywords if k in seeds]
        weight = sum(max(w, 0.0) for _, w in hits)
        if weight > best_w:
            best, best_w, best_words = c.name, weight, [k for k, _ in hits]
    if best is None:
        return None, []
    if best_w / total < min_share:  # the topic's own first keyword is a seed: named for it too
        first = keywords[0][0]
        owner = next((c for c in taxonomy.categories if first in c.seeds), None)
        if owner is None:
            return None, []
        return owner.name, [k for k, _ in keywords if k in set(owner.seeds)]
    return best, best_words
