#!/usr/bin/env python3
"""Chart and table of lenframe's criterion benchmarks. Python standard library only.

Reads every target/criterion/<group>/<function>/<payload size>/new/{benchmark,estimates}.json
that `cargo bench --all-features` wrote, then:

- writes an SVG chart against payload size (log scales), one panel per group and one line per
  implementation (default docs/bench_throughput.svg): frames/s where no payload byte is copied
  (decoding in memory, where a frame is a slice or a reference-counted handle, and the vectored
  encode, which writes the caller's slice), since "MB/s" of bytes nobody touched means nothing;
  MB/s of payload where every byte is copied or moved (encoding into a buffer, TCP);
- prints a Markdown table: median time per iteration, frames/s, MB/s (only where bytes move)
  and the ratio to each group's reference: tokio-util, or for the TCP groups the unframed
  stream of the same bytes (the socket's limit).

Usage:
    python3 scripts/bench_chart.py [--criterion-dir target/criterion]
                                   [--svg docs/bench_throughput.svg] [--table FILE]

MB here is 10^6 bytes of payload (headers are not counted); frames/s counts whole frames.
"""

import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

# Group order, titles, the implementation every row is compared with, and the unit: "frames"
# where no payload byte is copied (frames/s), "bytes" where every byte moves (MB/s).
GROUPS = [
    ("decode", "Decode, frames in memory", "tokio_util", "frames"),
    ("encode", "Encode into BytesMut", "tokio_util", "bytes"),
    ("encode_vectored", "Encode to io::Write (counting sink)", "tokio_util", "frames"),
    ("blocking_tcp", "Blocking TCP, 127.0.0.1", "unframed", "bytes"),
    ("tokio_tcp", "tokio TCP, 127.0.0.1", "unframed", "bytes"),
]

# A fixed colour and dash per implementation, so a name looks the same in every panel.
STYLE = {
    "lenframe": ("#d62728", ""),
    "lenframe_slice": ("#d62728", ""),
    "lenframe_bytesmut": ("#ff7f0e", ""),
    "lenframe_framed": ("#ff7f0e", ""),
    "lenframe_borrowed": ("#8c564b", ""),
    "lenframe_feed": ("#e377c2", ""),
    "tokio_util": ("#1f77b4", ""),
    "naive": ("#2ca02c", "6,3"),
    "naive_read_exact": ("#2ca02c", "6,3"),
    "naive_read_exact_reuse": ("#9467bd", "6,3"),
    "plain_loop": ("#7f7f7f", "2,3"),
    "unframed": ("#7f7f7f", "2,3"),
}


def load(criterion_dir):
    """{group: {function: {size: row}}} with time (ns/iteration), frames and bytes."""
    results = {}
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(root, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(root, "estimates.json")) as f:
            est = json.load(f)
        # The median time per iteration: the TCP groups on a shared 2-core machine have outliers
        # (a descheduled thread, a slow connection) that move the mean more than the median.
        ns = est["median"]["point_estimate"]
        tp = bench.get("throughput") or {}
        if "ElementsAndBytes" in tp:
            frames, nbytes = tp["ElementsAndBytes"]["elements"], tp["ElementsAndBytes"]["bytes"]
        elif "Elements" in tp:
            frames, nbytes = tp["Elements"], None
        elif "Bytes" in tp:
            frames, nbytes = None, tp["Bytes"]
        else:
            frames = nbytes = None
        try:
            size = int(bench["value_str"])
        except (KeyError, TypeError, ValueError):
            continue
        results.setdefault(bench["group_id"], {}).setdefault(bench["function_id"], {})[size] = {
            "ns": ns,
            "frames_per_s": frames / (ns * 1e-9) if frames else None,
            "mb_per_s": nbytes / (ns * 1e-9) / 1e6 if nbytes else None,
        }
    return results


def fmt_size(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def fmt_rate(x):
    if x is None:
        return "–"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g} {unit}"
    return f"{x:.3g}"


def fmt_tick(mb_per_s):
    """An axis label for a power of ten: 0.1, 1, 10, 100, 1k, 10k, 100k, 1M..."""
    for suffix, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if mb_per_s >= div:
            return f"{mb_per_s / div:g}{suffix}"
    return f"{mb_per_s:g}"


def fmt_time(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


def table(results):
    lines = []
    for group, title, base_name, unit in GROUPS + [
            (g, g, None, "bytes") for g in sorted(results) if g not in {x[0] for x in GROUPS}]:
        impls = results.get(group)
        if not impls:
            continue
        base = base_name if base_name in impls else next(iter(sorted(impls)))
        lines.append(f"### {title} (`{group}`)\n")
        if unit == "frames":
            lines.append("No payload byte is copied here: frames/s is the figure that means "
                         "something.\n")
        lines.append(f"| payload | implementation | median time / iteration | frames/s | MB/s | "
                     f"× {base} |")
        lines.append("|---:|---|---:|---:|---:|---:|")
        sizes = sorted({s for rows in impls.values() for s in rows})
        for size in sizes:
            ref = impls.get(base, {}).get(size)
            for name in order(impls):
                row = impls[name].get(size)
                if not row:
                    continue
                ratio = "–" if not ref else f"{ref['ns'] / row['ns']:.2f}"
                no_mb = row["mb_per_s"] is None or unit == "frames"
                mb = "–" if no_mb else f"{row['mb_per_s']:,.0f}"
                lines.append(
                    f"| {fmt_size(size)} | {name} | {fmt_time(row['ns'])} | "
                    f"{fmt_rate(row['frames_per_s'])} | {mb} | {ratio} |"
                )
        lines.append("")
    return "\n".join(lines)


def order(impls):
    """Implementations in a stable order: lenframe's first, then the others by name."""
    return sorted(impls, key=lambda n: (not n.startswith("lenframe"), n))


def svg(results):
    panels = [(g, t, u) for g, t, _, u in GROUPS if g in results]
    cols = 2
    pw, ph = 470, 330  # panel size
    ml, mr, mt, mb = 62, 36, 34, 92  # margins inside a panel: room for axes and legend
    rows = math.ceil(len(panels) / cols)
    width, height = cols * pw, rows * ph + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">'
        "lenframe benchmarks against payload size: frames/s where no byte is copied, "
        "payload MB/s where bytes move</text>",
    ]
    for i, (group, title, unit) in enumerate(panels):
        x0, y0 = (i % cols) * pw, 40 + (i // cols) * ph
        impls = results[group]
        key = "frames_per_s" if unit == "frames" else "mb_per_s"
        points = {
            name: sorted((s, r[key]) for s, r in rows.items() if r[key])
            for name, rows in impls.items()
        }
        xs = [s for pts in points.values() for s, _ in pts]
        ys = [v for pts in points.values() for _, v in pts]
        if not xs:
            continue
        lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))
        ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        if lx1 == lx0:
            lx1 += 1
        if ly1 == ly0:
            ly1 += 1
        left, right, top, bottom = x0 + ml, x0 + pw - mr, y0 + mt, y0 + ph - mb

        def px(s):
            return left + (math.log10(s) - lx0) / (lx1 - lx0) * (right - left)

        def py(v):
            return bottom - (math.log10(v) - ly0) / (ly1 - ly0) * (bottom - top)

        out.append(f'<text x="{(left + right) / 2}" y="{y0 + 20}" text-anchor="middle" '
                   f'font-size="13">{escape(title)}</text>')
        out.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
                   'fill="none" stroke="#999"/>')
        for e in range(ly0, ly1 + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
                       f'{fmt_tick(10 ** e)}</text>')
        for s in sorted(set(xs)):
            x = px(s)
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">'
                       f'{escape(fmt_size(s))}</text>')
        out.append(f'<text x="{x0 + 14}" y="{(top + bottom) / 2}" text-anchor="middle" '
                   f'transform="rotate(-90 {x0 + 14} {(top + bottom) / 2})">'
                   f'{"frames/s" if unit == "frames" else "MB/s"}</text>')
        for j, name in enumerate(order(impls)):
            pts = points[name]
            if not pts:
                continue
            color, dash = STYLE.get(name, ("#000000", ""))
            path = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in pts)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                       f'stroke-width="2"{dash_attr}/>')
            for s, v in pts:
                out.append(f'<circle cx="{px(s):.1f}" cy="{py(v):.1f}" r="2.5" fill="{color}"/>')
            lx = left + (j % 2) * 200
            ly = bottom + 32 + (j // 2) * 15
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" '
                       f'stroke="{color}" stroke-width="2"{dash_attr}/>')
            out.append(f'<text x="{lx + 27}" y="{ly}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion-dir", default="target/criterion")
    parser.add_argument("--svg", default="docs/bench_throughput.svg")
    parser.add_argument("--table", help="also write the Markdown table to this file")
    args = parser.parse_args()
    results = load(args.criterion_dir)
    if not results:
        sys.exit(f"no criterion results under {args.criterion_dir}: run cargo bench first")
    os.makedirs(os.path.dirname(args.svg) or ".", exist_ok=True)
    with open(args.svg, "w") as f:
        f.write(svg(results))
    text = table(results)
    if args.table:
        with open(args.table, "w") as f:
            f.write(text)
    print(text)
    print(f"chart written to {args.svg}", file=sys.stderr)


if __name__ == "__main__":
    main()
