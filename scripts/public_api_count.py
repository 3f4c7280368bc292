#!/usr/bin/env python3
"""Counts lenframe's public API from rustdoc's JSON output (docs/api.md's figures).

    RUSTC_BOOTSTRAP=1 cargo rustdoc --lib --all-features --locked -- \
        -Z unstable-options --output-format json
    python3 scripts/public_api_count.py target/doc/lenframe.json [--list]

Walks the crate from its root through public modules and re-exports (each item counted once,
wherever it is reachable from), and counts the types (structs, enums, traits, type aliases),
constants, free functions, and the public methods of inherent impls of those types. Trait impls
(`Decoder`, `From`, ...) are not counted: they add no name. `--list` prints every item's path.
"""
import json
import sys

data = json.load(open(sys.argv[1]))
index = data["index"]
root = data["root"]
KINDS = {"struct", "enum", "trait", "type_alias", "constant", "function", "module", "variant"}


def kind(item):
    inner = item["inner"]
    return next(iter(inner)) if isinstance(inner, dict) else inner


seen = {}


def visit(item_id, path):
    item = index.get(str(item_id))
    if item is None:
        return
    k = kind(item)
    if k == "use":
        use = item["inner"]["use"]
        target = use.get("id")
        if target is None:
            return
        target_item = index.get(str(target))
        if use.get("is_glob") and target_item:
            for child in target_item["inner"]["module"]["items"]:
                visit(child, path)
            return
        visit(target, path + [use["name"]])
        return
    if item.get("visibility") != "public" and item_id != root:
        return
    name = item.get("name")
    full = "::".join(path if k == "use" else path[:-1] + [name]) if path else name
    if item_id in seen:
        if len(full) < len(seen[item_id][1]):
            seen[item_id] = (k, full)  # the shortest path it is reachable by
        return
    seen[item_id] = (k, full)
    if k == "module":
        for child in item["inner"]["module"]["items"]:
            child_item = index.get(str(child))
            if child_item is not None and kind(child_item) == "use":
                visit(child, path)  # the `use` adds its own name
            else:
                visit(child, path + [(child_item or {}).get("name") or ""])
    elif k in ("struct", "enum"):
        inner = item["inner"][k]
        for impl_id in inner.get("impls", []):
            impl = index[str(impl_id)]["inner"]["impl"]
            if impl.get("trait") is None:
                for m in impl["items"]:
                    mi = index[str(m)]
                    if mi.get("visibility") == "public":
                        seen[m] = (kind(mi) + "(method)", full + "::" + mi["name"])
        if k == "enum":
            for v in inner["variants"]:
                seen[v] = ("variant", full + "::" + index[str(v)]["name"])


visit(root, ["lenframe"])
counts = {}
for k, _ in seen.values():
    counts[k] = counts.get(k, 0) + 1
types = sum(counts.get(k, 0) for k in ("struct", "enum", "trait", "type_alias"))
fns = counts.get("function", 0) + counts.get("function(method)", 0)
print(f"modules {counts.get('module', 0)}, types {types} "
      f"(structs {counts.get('struct', 0)}, enums {counts.get('enum', 0)}, "
      f"traits {counts.get('trait', 0)}, aliases {counts.get('type_alias', 0)}), "
      f"functions {fns} (free {counts.get('function', 0)}, methods {counts.get('function(method)', 0)}), "
      f"constants {counts.get('constant', 0) + counts.get('assoc_const(method)', 0)}, "
      f"enum variants {counts.get('variant', 0)}")
if "--list" in sys.argv:
    for k, full in sorted(seen.values(), key=lambda x: x[1]):
        print(f"{k:20} {full}")
